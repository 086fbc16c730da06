package io.bpf4j.isa;

import io.bpf4j.BpfFormatException;
import io.bpf4j.elf.ElfFile;
import io.bpf4j.elf.ElfRelocation;
import io.bpf4j.elf.ElfSection;
import io.bpf4j.elf.ElfSymbol;
import io.bpf4j.isa.Instruction.AddressSpaceCast;
import io.bpf4j.isa.Instruction.AluImm;
import io.bpf4j.isa.Instruction.AluReg;
import io.bpf4j.isa.Instruction.Atomic;
import io.bpf4j.isa.Instruction.ByteSwap;
import io.bpf4j.isa.Instruction.CallIndirect;
import io.bpf4j.isa.Instruction.Jump;
import io.bpf4j.isa.Instruction.JumpImm;
import io.bpf4j.isa.Instruction.JumpLong;
import io.bpf4j.isa.Instruction.JumpReg;
import io.bpf4j.isa.Instruction.Load;
import io.bpf4j.isa.Instruction.MayGoto;
import io.bpf4j.isa.Instruction.MoveSignExtend;
import io.bpf4j.isa.Instruction.StoreImm;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Reproduces {@code llvm-objdump -d -r --no-show-raw-insn FILE} for BPF ELF objects: the file
 * format line, each executable section, its symbols as labels, every instruction with branch
 * targets, and relocations inline. Two releases are reproduced, quirks included: LLVM 14
 * (Debian's default {@code llvm-objdump}), which predates ISA v4 and prints
 * {@code <unknown>} for what it cannot decode, and LLVM 19, which knows ISA v4 and prints
 * immediates in hex. LLVM 19's CO-RE relocation lines (read from {@code .BTF.ext}) are not
 * printed. Known differences: encodings that bpf4j's strict decoder rejects (non-zero unused
 * fields, registers above r10) print as {@code <unknown>}, where llvm-objdump may print an
 * instruction; LLVM 14's reading of {@code lddw r0} with pseudo source 2 as an unrelated
 * {@code lea} is not reproduced; branch targets in executables and shared objects are looked
 * up as in relocatable objects (in the branch's own section).
 *
 * <pre>{@code
 * String text = Objdump.disassemble(ElfFile.read(path), path.toString(), Objdump.Version.LLVM_14);
 * }</pre>
 */
public final class Objdump {
    /** Which llvm-objdump release to reproduce. */
    public enum Version {
        LLVM_14,
        LLVM_19
    }

    private static final String UNKNOWN = "<unknown>";
    private static final String HEX_DIGITS = "0123456789abcdef";

    private Objdump() {}

    /**
     * The disassembly of every executable section of {@code elf}, as llvm-objdump of
     * {@code version} prints it; {@code fileName} is printed as given, like llvm-objdump does.
     */
    public static String disassemble(ElfFile elf, String fileName, Version version) {
        if (elf.machine() != ElfFile.EM_BPF) {
            throw new BpfFormatException(fileName + ": not a BPF object (e_machine is " + elf.machine() + ", BPF is 247)");
        }
        StringBuilder out = new StringBuilder();
        out.append('\n').append(fileName).append(":\tfile format elf64-bpf\n");
        List<ElfSymbol> allSymbols = elf.symbols();
        for (ElfSection section : elf.sections()) {
            if (section.isExecutable() && section.type() != ElfSection.SHT_NOBITS) {
                new SectionPrinter(elf, section, allSymbols, version, out).print();
            }
        }
        return out.toString();
    }

    /** A symbol as llvm-objdump sorts and prints it. */
    private record Label(long address, String name, int type) {
        static final Comparator<Label> ORDER = Comparator.comparing(Label::address, Long::compareUnsigned)
                .thenComparing(Label::name, Objdump::compareBytes)
                .thenComparingInt(Label::type);
    }

    private static int compareBytes(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static final class SectionPrinter {
        private final ElfFile elf;
        private final ElfSection section;
        private final Version version;
        private final StringBuilder out;
        private final ByteBuffer bytes;
        private final List<Label> labels = new ArrayList<>();
        private final List<ElfRelocation> relocations;
        private final List<ElfSymbol> symbols;
        private int nextRelocation;

        SectionPrinter(ElfFile elf, ElfSection section, List<ElfSymbol> symbols, Version version, StringBuilder out) {
            this.elf = elf;
            this.section = section;
            this.version = version;
            this.out = out;
            this.bytes = section.data();
            this.symbols = symbols;
            for (ElfSymbol s : symbols) {
                // llvm-objdump skips the null symbol, unnamed symbols and section symbols.
                if (s.index() != 0 && s.sectionIndex() == section.index() && s.isInSection() && !s.name().isEmpty()
                        && s.type() != ElfSymbol.STT_SECTION) {
                    labels.add(new Label(s.value(), s.name(), s.type()));
                }
            }
            labels.sort(Label.ORDER);
            if (labels.isEmpty() || labels.getFirst().address() != 0) {
                labels.addFirst(new Label(0, section.name(), ElfSymbol.STT_FUNC));
            }
            relocations = new ArrayList<>(elf.relocationsFor(section));
            relocations.sort(Comparator.comparing(ElfRelocation::offset, Long::compareUnsigned));
        }

        void print() {
            long size = bytes.limit();
            boolean headerPrinted = false;
            for (int i = 0; i < labels.size(); i++) {
                Label label = labels.get(i);
                long start = label.address();
                long end = i + 1 < labels.size() ? Math.min(size, labels.get(i + 1).address()) : size;
                if (Long.compareUnsigned(start, end) >= 0) {
                    continue;
                }
                if (!headerPrinted) {
                    out.append("\nDisassembly of section ").append(section.name()).append(":\n");
                    headerPrinted = true;
                }
                out.append('\n');
                padLeft(Long.toHexString(section.addr() + start), 16, '0').append(" <").append(label.name()).append(">:\n");
                if (label.type() == ElfSymbol.STT_OBJECT || label.type() == ElfSymbol.STT_COMMON) {
                    dumpData((int) start, (int) end);
                } else {
                    disassemble((int) start, (int) end);
                }
            }
        }

        private StringBuilder padLeft(String text, int width, char pad) {
            return out.repeat(pad, Math.max(0, width - text.length())).append(text);
        }

        /** Data in a code section: hex and ASCII, 8 bytes a line, as llvm-objdump dumps it. */
        private void dumpData(int start, int end) {
            for (int line = start; line < end; line += 8) {
                int n = Math.min(8, end - line);
                padLeft(Long.toHexString(section.addr() + line), 8, ' ').append(':');
                StringBuilder ascii = new StringBuilder();
                for (int k = 0; k < n; k++) {
                    int b = bytes.get(line + k) & 0xff;
                    out.append(' ').append(HEX_DIGITS.charAt(b >>> 4)).append(HEX_DIGITS.charAt(b & 0xf));
                    ascii.append(b >= 0x20 && b < 0x7f ? (char) b : '.');
                }
                out.repeat(' ', 3 * (8 - n) + 9).append(ascii).append('\n');
            }
        }

        private void disassemble(int start, int end) {
            int index = start;
            while (index < end) {
                int zeros = skippableZeros(index, end);
                if (zeros > 0) {
                    out.append("\t\t...\n");
                    index += zeros;
                    continue;
                }
                int size;
                String text;
                Instruction insn = null;
                int left = bytes.limit() - index;
                boolean lddw = left >= 8 && (bytes.get(index) & 0xff) == 0x18;
                if (left < 8 || (lddw && left < 16)) {
                    size = 1;
                    text = UNKNOWN;
                } else {
                    size = lddw ? 16 : 8;
                    try {
                        insn = Instructions.decodeAt(bytes, index, 0);
                        text = instructionText(insn, version);
                    } catch (BpfFormatException e) {
                        text = UNKNOWN;
                    }
                }
                long address = section.addr() + index;
                padLeft(Long.toString(address / 8), 8, ' ').append(":\t").append(text);
                Long offset = UNKNOWN.equals(text) ? null : branchOffset(insn, version);
                if (offset != null) {
                    appendTarget(address + 8 + offset * 8);
                }
                out.append('\n');
                appendRelocations(index, index + size);
                index += size;
            }
        }

        /**
         * llvm-objdump prints a run of 8 or more zero bytes as {@code ...} and skips it in steps
         * of 4, stopping at the next relocation so that the relocation is still shown.
         */
        private int skippableZeros(int index, int end) {
            long limit = end - index;
            if (nextRelocation < relocations.size()) {
                limit = unsignedMin(relocations.get(nextRelocation).offset() - index, limit);
            }
            int n = 0;
            while (n < limit && bytes.get(index + n) == 0) {
                n++;
            }
            return n < 8 ? 0 : n & ~3;
        }

        private static long unsignedMin(long a, long b) {
            return Long.compareUnsigned(a, b) < 0 ? a : b;
        }

        /** The {@code <symbol+0xdisp>} llvm-objdump appends to a branch. */
        private void appendTarget(long target) {
            Label found = null;
            for (Label label : labels) {
                if (Long.compareUnsigned(label.address(), target) <= 0) {
                    found = label;
                } else {
                    break;
                }
            }
            if (found != null) {
                long displacement = target - found.address();
                out.append(" <").append(found.name());
                if (displacement != 0) {
                    out.append("+0x").append(Long.toHexString(displacement));
                }
                out.append('>');
            }
        }

        private void appendRelocations(long from, long to) {
            while (nextRelocation < relocations.size()) {
                ElfRelocation r = relocations.get(nextRelocation);
                if (Long.compareUnsigned(r.offset(), to) >= 0) {
                    return;
                }
                if (Long.compareUnsigned(r.offset(), from) >= 0) {
                    out.append("\t\t");
                    padLeft(Long.toHexString(section.addr() + r.offset()), 16, '0').append(":  ").append(relocationType(r.type()))
                            .append('\t').append(relocationValue(r)).append('\n');
                }
                nextRelocation++;
            }
        }

        private String relocationValue(ElfRelocation r) {
            String value;
            if (r.symbol() == 0) {
                value = "*ABS*";
            } else {
                ElfSymbol s = symbols.get(r.symbol());
                value = s.type() == ElfSymbol.STT_SECTION ? elf.section(s.sectionIndex()).name() : s.name();
            }
            if (r.addend() != 0) {
                value += (r.addend() < 0 ? "-0x" + Long.toUnsignedString(-r.addend(), 16) : "+0x" + Long.toHexString(r.addend()));
            }
            return value;
        }
    }

    private static String relocationType(int type) {
        return switch (type) {
            case ElfRelocation.R_BPF_NONE -> "R_BPF_NONE";
            case ElfRelocation.R_BPF_64_64 -> "R_BPF_64_64";
            case ElfRelocation.R_BPF_64_ABS64 -> "R_BPF_64_ABS64";
            case ElfRelocation.R_BPF_64_ABS32 -> "R_BPF_64_ABS32";
            case ElfRelocation.R_BPF_64_NODYLD32 -> "R_BPF_64_NODYLD32";
            case ElfRelocation.R_BPF_64_32 -> "R_BPF_64_32";
            default -> "Unknown";
        };
    }

    /**
     * What llvm-objdump of {@code version} prints for a valid instruction: LLVM syntax, or
     * that release's reading of the encoding (it may decode an instruction it predates as
     * another one), or {@code <unknown>}.
     */
    static String instructionText(Instruction insn, Version version) {
        LlvmSyntax syntax = version == Version.LLVM_14 ? LlvmSyntax.DECIMAL : LlvmSyntax.HEX;
        if (insn instanceof Atomic a) {
            return atomicText(a, syntax);
        }
        if (version == Version.LLVM_19) {
            return syntax.format(insn);
        }
        // LLVM 14 knows ISA v1 to v3 only, and not even all of those.
        return switch (insn) {
            case AluImm a when a.op() == AluOp.MOD || a.op() == AluOp.SMOD -> UNKNOWN;
            case AluReg a when a.op() == AluOp.MOD || a.op() == AluOp.SMOD -> UNKNOWN;
            case AluImm a when a.op() == AluOp.SDIV -> syntax.format(new AluImm(a.alu64(), AluOp.DIV, a.dst(), a.imm()));
            case AluReg a when a.op() == AluOp.SDIV -> syntax.format(new AluReg(a.alu64(), AluOp.DIV, a.dst(), a.src()));
            case MoveSignExtend m -> syntax.format(new AluReg(m.alu64(), AluOp.MOV, m.dst(), m.src()));
            case AddressSpaceCast c -> syntax.format(new AluReg(true, AluOp.MOV, c.dst(), c.src()));
            case ByteSwap b when b.kind() == ByteSwap.Kind.BSWAP -> UNKNOWN;
            case JumpImm j when j.op() == JumpOp.JSET -> UNKNOWN;
            case JumpReg j when j.op() == JumpOp.JSET -> UNKNOWN;
            case JumpLong j -> UNKNOWN;
            case MayGoto m -> UNKNOWN;
            case StoreImm s -> UNKNOWN;
            case Load l when l.signExtend() -> UNKNOWN;
            // LLVM 14 takes callx's register from the immediate, which is 0.
            case CallIndirect c -> "callx r0";
            default -> syntax.format(insn);
        };
    }

    /** Without ALU32 mode both releases decode only some atomics, a few of them as a plain add. */
    private static String atomicText(Atomic a, LlvmSyntax syntax) {
        return switch (a.size()) {
            case W -> switch (a.op()) {
                case ADD, FETCH_ADD, LOAD_ACQUIRE -> syntax.lockAddWithoutAlu32(a);
                default -> UNKNOWN;
            };
            case DW -> switch (a.op()) {
                case LOAD_ACQUIRE -> syntax.lockAddWithoutAlu32(a);
                case STORE_RELEASE -> UNKNOWN;
                default -> syntax.format(a);
            };
            default -> UNKNOWN;
        };
    }

    /** The slot offset llvm-objdump resolves to a target label, or null if it shows none. */
    private static Long branchOffset(Instruction insn, Version version) {
        return switch (insn) {
            case Jump j -> (long) j.offset();
            case JumpImm j -> (long) j.offset();
            case JumpReg j -> (long) j.offset();
            case JumpLong j when version == Version.LLVM_19 -> (long) j.imm();
            case MayGoto m when version == Version.LLVM_19 -> (long) m.offset();
            case null, default -> null;
        };
    }
}
