package io.bpf4j.cli;

import io.bpf4j.BpfException;
import io.bpf4j.BpfFormatException;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfType;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.Instructions;
import io.bpf4j.isa.KernelSyntax;
import io.bpf4j.kernel.KernelBtf;
import io.bpf4j.kernel.ProgramInfo;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A loaded program's translated instructions as {@code bpftool prog dump xlated} prints
 * them: the kernel's disassembly syntax ({@link KernelSyntax}) with calls named from
 * {@code /proc/kallsyms}, map references as {@code map[id:N]}, function prototypes from
 * the program's BTF and source lines from its line info.
 */
final class XlatedDump {
    /** BPF_REG_AX, the kernel's auxiliary register. */
    private static final int AX = 11;
    private final ProgramInfo info;
    private final Btf btf;
    private final List<Instruction> program = new java.util.ArrayList<>();
    /** Per instruction slot, the register that stands for the kernel's r11 in it, or 0. */
    private final Map<Integer, Integer> axStandIns = new HashMap<>();
    private final Symbols symbols;
    private final ByteBuffer raw;

    XlatedDump(ProgramInfo info) {
        this.info = info;
        if (info.xlatedInstructions().length == 0) {
            throw new BpfException("error retrieving insn dump: kernel.kptr_restrict set?");
        }
        this.raw = ByteBuffer.wrap(info.xlatedInstructions()).order(ByteOrder.nativeOrder());
        for (int slot = 0; slot * 8 < info.xlatedInstructions().length; slot += program.getLast().slots()) {
            program.add(decode(slot));
        }
        this.btf = info.btfId() == 0 ? null : loadBtf(info.btfId());
        this.symbols = new Symbols(info.jitedKsyms());
    }

    /**
     * The instruction at {@code slot}. The kernel's translated code holds internal forms
     * with an offset where the ISA has none (a subprogram call's target, a per-CPU move);
     * bpftool's disassembler ignores that field, and so does this, retrying without it.
     */
    private Instruction decode(int slot) {
        byte[] bytes = slotBytes(slot, (raw.get(slot * 8) & 0xff) == 0x18 && (slot + 2) * 8 <= raw.capacity() ? 16 : 8);
        int standIn = axStandIn(bytes);
        if (standIn != 0) {
            axStandIns.put(slot, standIn);
        }
        try {
            return Instructions.decode(bytes, ByteOrder.nativeOrder()).getFirst();
        } catch (BpfFormatException e) {
            bytes[2] = 0;
            bytes[3] = 0;
            try {
                return Instructions.decode(bytes, ByteOrder.nativeOrder()).getFirst();
            } catch (BpfFormatException again) {
                throw new BpfException("program " + info.id() + ": cannot decode translated instruction " + slot + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /**
     * The kernel's own rewrites (may_goto's counter, constant blinding) use its auxiliary
     * register r11, which no program may and the ISA's decoder refuses: it is decoded as a
     * register the instruction does not use, written back as r11 when printed, as bpftool
     * prints it. Returns that stand-in (having put it in {@code bytes}), or 0.
     */
    private static int axStandIn(byte[] bytes) {
        int dst = bytes[1] & 0xf;
        int src = (bytes[1] >> 4) & 0xf;
        if (dst != AX && src != AX) {
            return 0;
        }
        int standIn = dst != 9 && src != 9 ? 9 : dst != 8 && src != 8 ? 8 : 7;
        bytes[1] = (byte) ((dst == AX ? standIn : dst) | (src == AX ? standIn : src) << 4);
        return standIn;
    }

    /** An instruction as the kernel's syntax prints it, with r11 back where it stood. */
    private String format(Instruction insn, int slot) {
        String text = KernelSyntax.format(insn, symbols.at(rawOffset(slot)));
        Integer standIn = axStandIns.get(slot);
        return standIn == null ? text : text.replaceAll("\\b([rw])" + standIn + "\\b", "$111");
    }

    private static Btf loadBtf(int id) {
        try (KernelBtf b = KernelBtf.openById(id)) {
            return Btf.parse(b.rawData());
        } catch (BpfException e) {
            throw new BpfException("failed to get btf: " + e.getMessage(), e);
        }
    }

    /** dump_xlated_plain. */
    void plain(StringBuilder out, boolean opcodes, boolean linum) {
        Walk walk = new Walk();
        for (Instruction insn : program) {
            int i = walk.slot;
            walk.prototype(i).ifPresent(sig -> out.append(sig).append(":\n"));
            walk.line(i).ifPresent(l -> {
                out.append("; ").append(l.text());
                if (linum) {
                    out.append(" [file:").append(l.file()).append(" line_num:").append(l.number()).append(" line_col:")
                            .append(l.column()).append(']');
                }
                out.append('\n');
            });
            out.append(String.format("%4s: ", " " + i)).append(format(insn, i)).append('\n');
            if (opcodes) {
                out.append("       ").append(Bpftool.hex(slotBytes(i, 8), " "));
                if (insn.slots() == 2) {
                    out.append(' ').append(Bpftool.hex(slotBytes(i + 1, 8), " "));
                }
                out.append('\n');
            }
            walk.slot += insn.slots();
        }
    }

    /** dump_xlated_json. */
    void json(JsonWriter w, boolean opcodes, boolean linum) {
        Walk walk = new Walk();
        w.startArray();
        for (Instruction insn : program) {
            int i = walk.slot;
            w.startObject();
            walk.prototype(i).ifPresent(sig -> w.field("proto", sig));
            walk.line(i).ifPresent(l -> {
                w.field("src", l.text());
                if (linum) {
                    w.field("file", l.file());
                    if (l.number() != 0) {
                        w.field("line_num", l.number());
                    }
                    if (l.column() != 0) {
                        w.field("line_col", l.column());
                    }
                }
            });
            // bpftool quotes the disassembly without escaping it
            w.name("disasm").raw("\"" + format(insn, i) + "\"");
            if (opcodes) {
                byte[] slot = slotBytes(i, 8);
                w.name("opcodes").startObject();
                w.name("code").raw(String.format("\"0x%02x\"", slot[0] & 0xff));
                w.name("src_reg").raw(String.format("\"0x%x\"", (slot[1] >> 4) & 0xf));
                w.name("dst_reg").raw(String.format("\"0x%x\"", slot[1] & 0xf));
                w.name("off");
                Bpftool.hexJson(w, Arrays.copyOfRange(slot, 2, 4));
                w.name("imm");
                Bpftool.hexJson(w, insn.slots() == 2 ? Arrays.copyOfRange(slotBytes(i, 16), 4, 16) : Arrays.copyOfRange(slot, 4, 8));
                w.endObject();
            }
            w.endObject();
            walk.slot += insn.slots();
        }
        w.endArray();
    }

    /** The offset field of the instruction at {@code slot} as the kernel left it. */
    private short rawOffset(int slot) {
        return raw.getShort(slot * 8 + 2);
    }

    private byte[] slotBytes(int slot, int n) {
        byte[] b = new byte[n];
        raw.get(slot * 8, b);
        return b;
    }

    /** A line of source: its text (leading spaces cut), file, line and column. */
    record Line(String text, String file, int number, int column) {}

    /** Where the walk is: the next func_info record and how many line_info records were printed. */
    private final class Walk {
        int slot;
        private int funcRecord;
        private int linesPrinted;

        Optional<String> prototype(int insnOffset) {
            int rec = info.funcInfoRecordSize();
            int base = funcRecord * rec;
            if (btf == null || rec == 0 || base + rec > info.funcInfo().length) {
                return Optional.empty();
            }
            ByteBuffer f = ByteBuffer.wrap(info.funcInfo()).order(ByteOrder.nativeOrder());
            if (f.getInt(base) != insnOffset) {
                return Optional.empty();
            }
            funcRecord++;
            String sig = Prototype.of(btf, f.getInt(base + 4));
            return sig.isEmpty() ? Optional.empty() : Optional.of(sig);
        }

        /** bpf_prog_linfo__lfind: the first unprinted record for this instruction, if its turn has come. */
        Optional<Line> line(int insnOffset) {
            int rec = info.lineInfoRecordSize();
            if (rec == 0) {
                return Optional.empty();
            }
            int count = info.lineInfo().length / rec;
            ByteBuffer b = ByteBuffer.wrap(info.lineInfo()).order(ByteOrder.nativeOrder());
            if (linesPrinted >= count || insnOffset < b.getInt(linesPrinted * rec)) {
                return Optional.empty();
            }
            for (int k = linesPrinted; k < count; k++) {
                if (b.getInt(k * rec) == insnOffset) {
                    Optional<String> text = btf == null ? Optional.empty() : btf.string(b.getInt(k * rec + 8));
                    if (text.isEmpty()) {
                        return Optional.empty();
                    }
                    linesPrinted++;
                    int lineCol = b.getInt(k * rec + 12);
                    return Optional.of(new Line(text.get().stripLeading(), btf.string(b.getInt(k * rec + 4)).orElse(""),
                            lineCol >>> 10, lineCol & 0x3ff));
                }
            }
            return Optional.empty();
        }
    }

    /** Names for what the kernel resolved at load time, as bpftool's print_call and print_imm give them. */
    private static final class Symbols implements KernelSyntax.Symbolizer {
        private static Map<Long, String> kallsyms;
        private static long callBase;
        private final long[] jitedKsyms;
        /** The instruction's offset field, which a subprogram call keeps its distance in. */
        private final short offset;

        Symbols(long[] jitedKsyms) {
            this(jitedKsyms, (short) 0);
            loadKallsyms();
        }

        private Symbols(long[] jitedKsyms, short offset) {
            this.jitedKsyms = jitedKsyms;
            this.offset = offset;
        }

        /** These symbols for an instruction whose raw offset field is {@code rawOffset}. */
        Symbols at(short rawOffset) {
            return new Symbols(jitedKsyms, rawOffset);
        }

        private static synchronized void loadKallsyms() {
            if (kallsyms != null) {
                return;
            }
            Map<Long, String> byAddress = new HashMap<>();
            try (BufferedReader r = Files.newBufferedReader(Path.of("/proc/kallsyms"))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    String[] f = line.split("\\s+");
                    if (f.length < 3) {
                        continue;
                    }
                    long address = Long.parseUnsignedLong(f[0], 16);
                    if (f[2].equals("__bpf_call_base")) {
                        callBase = address;
                    }
                    if (address != 0) {
                        byAddress.putIfAbsent(address, f[2]);
                    }
                }
            } catch (IOException | NumberFormatException e) {
                byAddress.clear(); // without symbols, calls print as addresses
            }
            kallsyms = byAddress;
        }

        @Override
        public Optional<String> call(Instruction call) {
            long address = callBase + call.imm();
            boolean local = call instanceof Instruction.CallLocal;
            if (local && Integer.compareUnsigned(call.imm(), jitedKsyms.length) < 0) {
                address = jitedKsyms[call.imm()];
            }
            String sym = kallsyms.get(address);
            if (local) {
                String off = String.format("%+d", offset);
                if (jitedKsyms.length == 0) {
                    return Optional.of(off);
                }
                return Optional.of(off + "#" + (sym != null ? sym : "0x" + Long.toHexString(address)));
            }
            return Optional.of(sym != null ? sym : "0x" + Long.toHexString(address));
        }

        @Override
        public Optional<String> imm(Instruction.LoadImm64 load) {
            int lo = (int) load.imm64();
            int hi = (int) (load.imm64() >>> 32);
            return Optional.of(switch (load.source()) {
                case MAP_FD -> "map[id:" + Integer.toUnsignedString(lo) + "]";
                case MAP_VALUE -> "map[id:" + Integer.toUnsignedString(lo) + "][0]+" + Integer.toUnsignedString(hi);
                case MAP_IDX_VALUE -> "map[idx:" + Integer.toUnsignedString(lo) + "]+" + Integer.toUnsignedString(hi);
                case FUNC -> String.format("subprog[%+d]", lo);
                default -> "0x" + Long.toHexString(load.imm64());
            });
        }
    }

    /** btf_dumper_type_only: a function's C prototype, as bpftool prints it above its instructions. */
    static final class Prototype {
        private final Btf btf;
        private final StringBuilder sb = new StringBuilder();

        private Prototype(Btf btf) {
            this.btf = btf;
        }

        /** The prototype of type {@code id}, or empty when a type on the way cannot be printed. */
        static String of(Btf btf, int id) {
            Prototype p = new Prototype(btf);
            return p.type(id) ? p.sb.toString() : "";
        }

        private boolean type(int id) {
            if (id == 0) {
                sb.append("void ");
                return true;
            }
            BtfType t = btf.type(id);
            switch (t) {
                case BtfType.Int i -> sb.append(i.name()).append(' ');
                case BtfType.Typedef td -> sb.append(td.name()).append(' ');
                case BtfType.Float f -> sb.append(f.name()).append(' ');
                case BtfType.Struct s -> sb.append("struct ").append(s.name()).append(' ');
                case BtfType.Union u -> sb.append("union ").append(u.name()).append(' ');
                case BtfType.Enumeration e -> sb.append("enum ").append(e.name()).append(' ');
                case BtfType.Array a -> {
                    if (!type(a.type())) {
                        return false;
                    }
                    sb.append('[').append(a.length()).append(']');
                }
                case BtfType.Ptr p -> {
                    if (!type(p.type())) {
                        return false;
                    }
                    sb.append("* ");
                }
                case BtfType.Fwd f -> sb.append(f.union() ? "union " : "struct ").append(f.name()).append(' ');
                case BtfType.Volatile v -> {
                    sb.append("volatile ");
                    return type(v.type());
                }
                case BtfType.Const c -> {
                    sb.append("const ");
                    return type(c.type());
                }
                case BtfType.Restrict r -> {
                    sb.append("restrict ");
                    return type(r.type());
                }
                case BtfType.FuncProto fp -> {
                    return function(fp, null);
                }
                case BtfType.Func f -> {
                    return btf.type(f.type()) instanceof BtfType.FuncProto fp && function(fp, f.name());
                }
                case BtfType.Var v -> {
                    if (v.linkage() == BtfType.Linkage.STATIC) {
                        sb.append("static ");
                    }
                    if (!type(v.type())) {
                        return false;
                    }
                    sb.append(' ').append(v.name());
                }
                case BtfType.Datasec d -> sb.append("section (\"").append(d.name()).append("\") ");
                default -> {
                    return false;
                }
            }
            return true;
        }

        private boolean function(BtfType.FuncProto proto, String name) {
            if (!type(proto.returnType())) {
                return false;
            }
            sb.append(name != null ? name : "").append('(');
            for (int i = 0; i < proto.params().size(); i++) {
                BtfType.Param p = proto.params().get(i);
                if (i > 0) {
                    sb.append(", ");
                }
                if (p.type() == 0) {
                    sb.append("...");
                    continue;
                }
                if (!type(p.type())) {
                    return false;
                }
                if (!p.name().isEmpty()) {
                    sb.append(p.name());
                } else if (!sb.isEmpty() && sb.charAt(sb.length() - 1) == ' ') {
                    sb.setLength(sb.length() - 1);
                }
            }
            sb.append(')');
            return true;
        }
    }
}
