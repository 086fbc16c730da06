package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.BpfFormatException;
import io.bpf4j.elf.ElfFile;
import io.bpf4j.elf.ElfSection;
import io.bpf4j.isa.AluOp;
import io.bpf4j.isa.Helpers;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.PseudoSource;
import io.bpf4j.isa.Size;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A USDT probe (a SystemTap {@code .note.stapsdt} note) of an executable or library: where a
 * uprobe must go, the semaphore the kernel counts up while it is attached, and how to find
 * each argument in the registers or memory at the probe.
 *
 * <pre>{@code
 * for (UsdtProbe p : UsdtProbe.list(Path.of("/usr/lib/jvm/.../libjvm.so"))) {
 *     System.out.println(p.provider() + ":" + p.name() + " " + p.arguments());
 * }
 * }</pre>
 *
 * @param address           the probe's address, adjusted for prelinking ({@code .stapsdt.base})
 * @param fileOffset        where the uprobe goes
 * @param semaphoreOffset   the semaphore's file offset ({@code ref_ctr_offset}), 0 when the probe has none
 * @param argumentText      the note's argument string, e.g. {@code -4@%edi 8@-16(%rbp)}
 */
public record UsdtProbe(String provider, String name, long address, long fileOffset, long semaphoreOffset,
        String argumentText, List<Argument> arguments) {

    private static final int NT_STAPSDT = 3;

    /** Where one argument is at the probe. */
    public sealed interface Argument {
        /** Bytes of the value: 1, 2, 4 or 8. */
        int size();

        /** Whether the value is signed (a negative size in the note). */
        boolean signed();
    }

    /** A constant: {@code N@$VALUE}. */
    public record Constant(int size, boolean signed, long value) implements Argument {}

    /** A register: {@code N@%REG}; {@code ptRegsOffset} is where the register is in {@code struct pt_regs}. */
    public record Register(int size, boolean signed, String register, int ptRegsOffset) implements Argument {}

    /** Memory at a register plus an offset: {@code N@OFFSET(%REG)}; the program reads it with {@code bpf_probe_read_user}. */
    public record Memory(int size, boolean signed, String register, int ptRegsOffset, long offset) implements Argument {}

    /**
     * Instructions that put argument {@code index} into register {@code dst}, sign- or
     * zero-extended to 64 bits, for a program whose {@code struct pt_regs *} is in {@code ctx}
     * (r6 to r9: a memory argument calls {@code bpf_probe_read_user}, which clobbers r1 to r5,
     * through the 8 bytes of stack at {@code stackOffset}).
     */
    public List<Instruction> loadArgument(int index, int dst, int ctx, short stackOffset) {
        if (index < 0 || index >= arguments.size()) {
            throw new BpfException("USDT probe " + provider + ":" + name + " has " + arguments.size()
                    + " arguments, not " + (index + 1));
        }
        List<Instruction> out = new ArrayList<>();
        Argument a = arguments.get(index);
        switch (a) {
            case Constant c -> out.add(new Instruction.LoadImm64(dst, PseudoSource.NONE, c.value()));
            case Register r -> out.add(new Instruction.Load(Size.DW, false, dst, ctx, (short) r.ptRegsOffset()));
            case Memory m -> {
                out.add(new Instruction.AluReg(true, AluOp.MOV, 1, 10));
                out.add(new Instruction.AluImm(true, AluOp.ADD, 1, stackOffset));
                out.add(new Instruction.AluImm(true, AluOp.MOV, 2, m.size()));
                out.add(new Instruction.Load(Size.DW, false, 3, ctx, (short) m.ptRegsOffset()));
                out.add(new Instruction.AluImm(true, AluOp.ADD, 3, Math.toIntExact(m.offset())));
                out.add(new Instruction.CallHelper(Helpers.id("probe_read_user").orElseThrow()));
                out.add(new Instruction.Load(sizeOf(m.size()), false, dst, 10, stackOffset));
            }
        }
        if (!(a instanceof Constant) && a.size() < 8) {
            int shift = 64 - 8 * a.size();
            out.add(new Instruction.AluImm(true, AluOp.LSH, dst, shift));
            out.add(new Instruction.AluImm(true, a.signed() ? AluOp.ARSH : AluOp.RSH, dst, shift));
        }
        return out;
    }

    private static Size sizeOf(int bytes) {
        return switch (bytes) {
            case 1 -> Size.B;
            case 2 -> Size.H;
            case 4 -> Size.W;
            default -> Size.DW;
        };
    }

    /** The USDT probes of {@code elf}, in note order; none when it has no {@code .note.stapsdt}. */
    public static List<UsdtProbe> list(ElfFile elf) {
        ElfSection notes = elf.section(".note.stapsdt").orElse(null);
        if (notes == null) {
            return List.of();
        }
        long baseAddress = elf.section(".stapsdt.base").map(ElfSection::addr).orElse(0L);
        ByteBuffer b = notes.data().order(elf.byteOrder());
        List<UsdtProbe> probes = new ArrayList<>();
        int pos = 0;
        while (pos + 12 <= b.limit()) {
            int nameSize = b.getInt(pos);
            int descSize = b.getInt(pos + 4);
            int type = b.getInt(pos + 8);
            int nameStart = pos + 12;
            int descStart = nameStart + align4(nameSize);
            int next = descStart + align4(descSize);
            if (nameSize < 0 || descSize < 0 || next > b.limit() || next <= pos) {
                throw malformed(elf, notes, pos, "note of " + nameSize + "+" + descSize
                        + " bytes overruns the section");
            }
            if (type == NT_STAPSDT && cString(b, nameStart, nameStart + nameSize).equals("stapsdt")) {
                probes.add(parse(elf, notes, b, descStart, descStart + descSize, baseAddress));
            }
            pos = next;
        }
        return probes;
    }

    /** The probes of {@code provider:name} (a probe may be compiled in at several places). */
    public static List<UsdtProbe> find(ElfFile elf, String provider, String name) {
        List<UsdtProbe> found = list(elf).stream().filter(p -> p.provider.equals(provider) && p.name.equals(name)).toList();
        if (found.isEmpty()) {
            throw new BpfException(elf.name() + " has no USDT probe " + provider + ":" + name);
        }
        return found;
    }

    private static UsdtProbe parse(ElfFile elf, ElfSection notes, ByteBuffer b, int start, int end, long baseAddress) {
        if (end - start < 24) {
            throw malformed(elf, notes, start, "stapsdt note of " + (end - start) + " bytes is too short");
        }
        long pc = b.getLong(start);
        long noteBase = b.getLong(start + 8);
        long semaphore = b.getLong(start + 16);
        int p = start + 24;
        int providerEnd = nul(b, p, end, elf, notes);
        String provider = cString(b, p, providerEnd);
        int nameEnd = nul(b, providerEnd + 1, end, elf, notes);
        String name = cString(b, providerEnd + 1, nameEnd);
        String args = nameEnd + 1 < end ? cString(b, nameEnd + 1, end) : "";
        if (baseAddress != 0 && noteBase != 0) {
            // Prelinking moved the file after the notes were written: move the addresses with it.
            pc += baseAddress - noteBase;
            if (semaphore != 0) {
                semaphore += baseAddress - noteBase;
            }
        }
        String what = "USDT probe " + provider + ":" + name;
        return new UsdtProbe(provider, name, pc, ElfSymbols.fileOffset(elf, pc, what),
                semaphore == 0 ? 0 : ElfSymbols.fileOffset(elf, semaphore, what + " semaphore"), args,
                parseArguments(args, elf.machine()));
    }

    private static final Pattern ARG = Pattern.compile(
            "(-?)(\\d+)@(?:\\$(-?\\d+)|%(\\w+)|(-?\\d*)\\(%(\\w+)\\))");

    /** Parses a note's argument string; x86-64 register names (bpf4j knows no other machine's yet). */
    static List<Argument> parseArguments(String text, int machine) {
        List<Argument> out = new ArrayList<>();
        for (String spec : text.trim().split("\\s+")) {
            if (spec.isEmpty()) {
                continue;
            }
            Matcher m = ARG.matcher(spec);
            if (!m.matches()) {
                throw new BpfException("unsupported USDT argument '" + spec + "' in '" + text + "'");
            }
            boolean signed = !m.group(1).isEmpty();
            int size = Integer.parseInt(m.group(2));
            if (size != 1 && size != 2 && size != 4 && size != 8) {
                throw new BpfException("USDT argument '" + spec + "' has size " + size + ", not 1, 2, 4 or 8");
            }
            if (m.group(3) != null) {
                out.add(new Constant(size, signed, Long.parseLong(m.group(3))));
            } else if (m.group(4) != null) {
                out.add(new Register(size, signed, m.group(4), ptRegsOffset(m.group(4), machine, spec)));
            } else {
                String off = m.group(5);
                out.add(new Memory(size, signed, m.group(6), ptRegsOffset(m.group(6), machine, spec),
                        off.isEmpty() || off.equals("-") ? 0 : Long.parseLong(off)));
            }
        }
        return List.copyOf(out);
    }

    private static final int EM_X86_64 = 62;

    /** x86-64 {@code struct pt_regs}: every name of a general register maps to its 8-byte slot. */
    private static final Map<String, Integer> X86_64 = x86Registers();

    private static Map<String, Integer> x86Registers() {
        Map<String, Integer> m = new HashMap<>();
        String[][] legacy = {{"bp", "32"}, {"bx", "40"}, {"ax", "80"}, {"cx", "88"}, {"dx", "96"}, {"si", "104"},
            {"di", "112"}, {"sp", "152"}};
        for (String[] r : legacy) {
            int off = Integer.parseInt(r[1]);
            m.put("r" + r[0], off);
            m.put("e" + r[0], off);
            m.put(r[0], off);
            m.put(r[0].endsWith("x") ? r[0].charAt(0) + "l" : r[0] + "l", off);
        }
        int[] numbered = {72, 64, 56, 48, 24, 16, 8, 0}; // r8 .. r15
        for (int i = 8; i <= 15; i++) {
            int off = numbered[i - 8];
            for (String suffix : new String[] {"", "d", "w", "b"}) {
                m.put("r" + i + suffix, off);
            }
        }
        m.put("rip", 128);
        return Map.copyOf(m);
    }

    private static int ptRegsOffset(String register, int machine, String spec) {
        if (machine != EM_X86_64) {
            throw new BpfException("USDT arguments of machine " + machine + " are not supported yet (only x86-64)");
        }
        Integer off = X86_64.get(register.toLowerCase(Locale.ROOT));
        if (off == null) {
            throw new BpfException("unknown register %" + register + " in USDT argument '" + spec + "'");
        }
        return off;
    }

    private static int align4(int n) {
        return (n + 3) & ~3;
    }

    private static int nul(ByteBuffer b, int from, int end, ElfFile elf, ElfSection notes) {
        for (int i = from; i < end; i++) {
            if (b.get(i) == 0) {
                return i;
            }
        }
        throw malformed(elf, notes, from, "unterminated string in a stapsdt note");
    }

    private static String cString(ByteBuffer b, int from, int end) {
        int n = from;
        while (n < end && b.get(n) != 0) {
            n++;
        }
        byte[] bytes = new byte[n - from];
        b.get(from, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** A format error of the notes, naming file, section and offset. */
    private static BpfFormatException malformed(ElfFile elf, ElfSection section, long offset, String message) {
        return new BpfFormatException(elf.name() + ": section " + section.name() + " offset " + offset + ": " + message);
    }
}
