package io.bpf4j.isa;

import io.bpf4j.isa.Instruction.AddressSpaceCast;
import io.bpf4j.isa.Instruction.AluImm;
import io.bpf4j.isa.Instruction.AluReg;
import io.bpf4j.isa.Instruction.Atomic;
import io.bpf4j.isa.Instruction.ByteSwap;
import io.bpf4j.isa.Instruction.CallHelper;
import io.bpf4j.isa.Instruction.CallIndirect;
import io.bpf4j.isa.Instruction.CallKfunc;
import io.bpf4j.isa.Instruction.CallLocal;
import io.bpf4j.isa.Instruction.Exit;
import io.bpf4j.isa.Instruction.Jump;
import io.bpf4j.isa.Instruction.JumpImm;
import io.bpf4j.isa.Instruction.JumpLong;
import io.bpf4j.isa.Instruction.JumpReg;
import io.bpf4j.isa.Instruction.Load;
import io.bpf4j.isa.Instruction.LoadImm64;
import io.bpf4j.isa.Instruction.LoadPacket;
import io.bpf4j.isa.Instruction.MayGoto;
import io.bpf4j.isa.Instruction.MoveSignExtend;
import io.bpf4j.isa.Instruction.Store;
import io.bpf4j.isa.Instruction.StoreImm;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The kernel's BPF disassembly syntax ({@code kernel/bpf/disasm.c}), which the verifier log and
 * {@code bpftool prog dump xlated} print: {@code (b7) r0 = 0}, {@code (85) call
 * bpf_map_lookup_elem#1}, {@code (15) if r1 == 0x0 goto pc+3}. What the kernel learns only at
 * load time (map pointers, kernel function names, subprogram names) comes from a
 * {@link Symbolizer}; without one, lddw prints its 64-bit immediate in hex and calls fall back
 * to the kernel's defaults.
 *
 * <pre>{@code
 * for (String line : KernelSyntax.formatProgram(program)) {
 *     System.out.println(line);          // "   0: (b7) r0 = 0"
 * }
 * }</pre>
 */
public final class KernelSyntax {
    private KernelSyntax() {}

    /** Names for what only a loaded program knows, as bpftool resolves them. */
    public interface Symbolizer {
        /** The name of a call's target (e.g. a kernel function), or empty for the default. */
        default Optional<String> call(Instruction call) {
            return Optional.empty();
        }

        /** The text for an lddw's value (e.g. {@code map[id:12]}), or empty for hex. */
        default Optional<String> imm(LoadImm64 load) {
            return Optional.empty();
        }
    }

    private static final Symbolizer NONE = new Symbolizer() {};

    /** One instruction, without the index, e.g. {@code (07) r1 += -8}. */
    public static String format(Instruction insn) {
        return format(insn, NONE);
    }

    /** One instruction, with names from {@code symbols}. */
    public static String format(Instruction insn, Symbolizer symbols) {
        return String.format("(%02x) ", insn.opcode()) + body(insn, symbols);
    }

    /**
     * A whole program as bpftool's {@code prog dump xlated} prints it: one line per
     * instruction, preceded by its slot number as C's {@code "% 4d: "} prints it.
     */
    public static List<String> formatProgram(List<? extends Instruction> program) {
        List<String> lines = new ArrayList<>(program.size());
        int slot = 0;
        for (Instruction insn : program) {
            lines.add(String.format("%4s: %s", " " + slot, format(insn)));
            slot += insn.slots();
        }
        return lines;
    }

    private static String body(Instruction insn, Symbolizer symbols) {
        return switch (insn) {
            case AluImm a when a.op() == AluOp.NEG -> reg(a.alu64(), a.dst()) + " = -" + reg(a.alu64(), a.dst());
            case AluImm a -> reg(a.alu64(), a.dst()) + " " + a.op().operator() + " " + a.imm();
            case AluReg a -> reg(a.alu64(), a.dst()) + " " + a.op().operator() + " " + reg(a.alu64(), a.src());
            case MoveSignExtend m -> reg(m.alu64(), m.dst()) + " = (s" + m.from().bytes() * 8 + ")" + reg(m.alu64(), m.src());
            case AddressSpaceCast c -> "r" + c.dst() + " = addr_space_cast(r" + c.src() + ", " + c.dstAddressSpace() + ", "
                    + c.srcAddressSpace() + ")";
            case ByteSwap b -> "r" + b.dst() + " = " + b.kind().name().toLowerCase(Locale.ROOT) + b.width() + " r" + b.dst();
            case Jump j -> "goto pc" + signed(j.offset());
            case JumpLong j -> "gotol pc" + signed(j.imm());
            case MayGoto m -> "may_goto pc" + signed(m.offset());
            case JumpImm j -> "if " + reg(!j.jmp32(), j.dst()) + " " + j.op().operator() + " 0x" + Integer.toHexString(j.imm())
                    + " goto pc" + signed(j.offset());
            case JumpReg j -> "if " + reg(!j.jmp32(), j.dst()) + " " + j.op().operator() + " " + reg(!j.jmp32(), j.src())
                    + " goto pc" + signed(j.offset());
            case CallHelper c -> "call " + Helpers.name(c.id()).or(() -> symbols.call(c)).orElse("unknown") + "#" + c.id();
            case CallLocal c -> "call pc" + symbols.call(c).orElseGet(() -> signed(c.imm()));
            case CallKfunc c -> "call " + symbols.call(c).orElse("kernel-function") + "#" + c.btfId();
            case CallIndirect c -> "callx r" + c.dst();
            case Exit e -> "exit";
            case Load l -> "r" + l.dst() + " = *(" + (l.signExtend() ? "s" : "u") + l.size().bytes() * 8 + " *)(r" + l.src() + " "
                    + signed(l.offset()) + ")";
            case StoreImm s -> "*(" + type(s.size()) + " *)(r" + s.dst() + " " + signed(s.offset()) + ") = " + s.imm();
            case Store s -> "*(" + type(s.size()) + " *)(r" + s.dst() + " " + signed(s.offset()) + ") = r" + s.src();
            case Atomic a -> atomic(a);
            case LoadImm64 ld -> "r" + ld.dst() + " = " + symbols.imm(ld).orElseGet(() -> "0x" + Long.toHexString(ld.imm64()));
            case LoadPacket p when p.indirect() -> "r0 = *(" + type(p.size()) + " *)skb[r" + p.src() + " + " + p.imm() + "]";
            case LoadPacket p -> "r0 = *(" + type(p.size()) + " *)skb[" + p.imm() + "]";
        };
    }

    private static String atomic(Atomic a) {
        String type = type(a.size());
        String address = "(" + type + " *)(r" + a.dst() + " " + signed(a.offset()) + ")";
        String wide = a.size() == Size.DW ? "64" : "";
        return switch (a.op()) {
            case ADD -> "lock *" + address + " += r" + a.src();
            case OR -> "lock *" + address + " |= r" + a.src();
            case AND -> "lock *" + address + " &= r" + a.src();
            case XOR -> "lock *" + address + " ^= r" + a.src();
            case FETCH_ADD, FETCH_OR, FETCH_AND, FETCH_XOR -> "r" + a.src() + " = atomic" + wide + "_fetch_"
                    + a.op().name().substring("FETCH_".length()).toLowerCase(Locale.ROOT) + "(" + address + ", r" + a.src() + ")";
            case XCHG -> "r" + a.src() + " = atomic" + wide + "_xchg(" + address + ", r" + a.src() + ")";
            case CMPXCHG -> "r0 = atomic" + wide + "_cmpxchg(" + address + ", r0, r" + a.src() + ")";
            case LOAD_ACQUIRE -> "r" + a.dst() + " = load_acquire((" + type + " *)(r" + a.src() + " " + signed(a.offset()) + "))";
            case STORE_RELEASE -> "store_release(" + address + ", r" + a.src() + ")";
        };
    }

    private static String reg(boolean wide, int reg) {
        return (wide ? "r" : "w") + reg;
    }

    private static String type(Size size) {
        return "u" + size.bytes() * 8;
    }

    /** C's {@code %+d}. */
    private static String signed(long value) {
        return (value >= 0 ? "+" : "") + value;
    }
}
