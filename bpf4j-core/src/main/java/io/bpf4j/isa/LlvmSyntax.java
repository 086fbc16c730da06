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
import java.util.Locale;

/**
 * LLVM's BPF assembly syntax, as {@code llvm-objdump -d} prints it and clang's inline
 * assembler reads it: {@code r1 = *(u32 *)(r10 - 4)}, {@code if w1 s< 7 goto +3},
 * {@code r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)}. Follows LLVM 19 (the first release with
 * every ISA v4 instruction), LLVM 21 for load-acquire and store-release, and LLVM's 32-bit
 * ALU mode for 32-bit atomics. {@link Objdump} knows where a given llvm-objdump release prints
 * something else.
 *
 * <pre>{@code
 * LlvmSyntax.DECIMAL.format(new Instruction.Load(Size.W, false, 0, 10, (short) -4));
 * // "r0 = *(u32 *)(r10 - 4)"
 * }</pre>
 */
public final class LlvmSyntax {
    /** Immediates in decimal (llvm-objdump before LLVM 19, or {@code --no-print-imm-hex}). */
    public static final LlvmSyntax DECIMAL = new LlvmSyntax(false);
    /** Immediates in hex, as llvm-objdump 19 prints by default. */
    public static final LlvmSyntax HEX = new LlvmSyntax(true);

    private final boolean hex;

    private LlvmSyntax(boolean hex) {
        this.hex = hex;
    }

    /** The instruction in LLVM syntax; a jump's offset is printed as is, without its target. */
    public String format(Instruction insn) {
        return switch (insn) {
            case AluImm a when a.op() == AluOp.NEG -> reg(a.alu64(), a.dst()) + " = -" + reg(a.alu64(), a.dst());
            case AluImm a -> reg(a.alu64(), a.dst()) + " " + a.op().operator() + " " + imm(a.imm());
            case AluReg a -> reg(a.alu64(), a.dst()) + " " + a.op().operator() + " " + reg(a.alu64(), a.src());
            case MoveSignExtend m -> reg(m.alu64(), m.dst()) + " = (s" + m.from().bytes() * 8 + ")" + reg(m.alu64(), m.src());
            case AddressSpaceCast c -> "r" + c.dst() + " = addr_space_cast(r" + c.src() + ", " + imm(c.dstAddressSpace())
                    + ", " + imm(c.srcAddressSpace()) + ")";
            case ByteSwap b -> "r" + b.dst() + " = " + b.kind().name().toLowerCase(Locale.ROOT) + b.width() + " r" + b.dst();
            case Jump j -> "goto " + jumpOffset(j.offset());
            case JumpLong j -> "gotol " + jumpOffset(j.imm());
            case JumpImm j -> "if " + reg(!j.jmp32(), j.dst()) + " " + j.op().operator() + " " + imm(j.imm()) + " goto "
                    + jumpOffset(j.offset());
            case JumpReg j -> "if " + reg(!j.jmp32(), j.dst()) + " " + j.op().operator() + " " + reg(!j.jmp32(), j.src())
                    + " goto " + jumpOffset(j.offset());
            case CallHelper c -> "call " + imm(c.id());
            case CallLocal c -> "call " + imm(c.imm());
            case CallKfunc c -> "call " + imm(c.btfId());
            case CallIndirect c -> "callx r" + c.dst();
            case Exit e -> "exit";
            case MayGoto m -> "may_goto " + jumpOffset(m.offset());
            case Load l -> "r" + l.dst() + " = *(" + (l.signExtend() ? "s" : "u") + l.size().bytes() * 8 + " *)"
                    + memory(l.src(), l.offset());
            case StoreImm s -> "*(" + type(s.size()) + " *)" + memory(s.dst(), s.offset()) + " = " + imm(s.imm());
            case Store s -> "*(" + type(s.size()) + " *)" + memory(s.dst(), s.offset()) + " = r" + s.src();
            case Atomic a -> atomic(a);
            case LoadImm64 ld when ld.source() == PseudoSource.NONE -> "r" + ld.dst() + " = " + imm(ld.imm64()) + " ll";
            case LoadImm64 ld -> "ld_pseudo\tr" + ld.dst() + ", " + imm(ld.source().code()) + ", "
                    + imm(Integer.toUnsignedLong(ld.imm()));
            case LoadPacket p -> "r0 = *(" + type(p.size()) + " *)skb[" + (p.indirect() ? "r" + p.src() : imm(p.imm())) + "]";
        };
    }

    private String atomic(Atomic a) {
        boolean wide = a.size() == Size.DW;
        String src = reg(wide, a.src());
        String address = "(" + type(a.size()) + " *)" + memory(a.dst(), a.offset());
        return switch (a.op()) {
            case ADD, OR, AND, XOR -> "lock *" + address + " " + lockOperator(a.op()) + " " + src;
            case FETCH_ADD, FETCH_OR, FETCH_AND, FETCH_XOR -> src + " = atomic_fetch_"
                    + a.op().name().substring("FETCH_".length()).toLowerCase(Locale.ROOT) + "(" + address + ", " + src + ")";
            case XCHG -> src + " = xchg" + (wide ? "_64(" : "32_32(") + "r" + a.dst() + offsetText(a.offset()) + ", " + src + ")";
            case CMPXCHG -> reg(wide, 0) + " = cmpxchg" + (wide ? "_64(" : "32_32(") + "r" + a.dst() + offsetText(a.offset())
                    + ", " + reg(wide, 0) + ", " + src + ")";
            case LOAD_ACQUIRE -> reg(wide, a.dst()) + " = load_acquire((" + type(a.size()) + " *)" + memory(a.src(), a.offset())
                    + ")";
            case STORE_RELEASE -> "store_release(" + address + ", " + src + ")";
        };
    }

    /** The text llvm-objdump prints for {@code lock *(u32 *)(dst + off) += src} without ALU32 mode. */
    String lockAddWithoutAlu32(Atomic a) {
        return "lock *(" + type(a.size()) + " *)" + memory(a.dst(), a.offset()) + " += r" + a.src();
    }

    private static String lockOperator(AtomicOp op) {
        return switch (op) {
            case ADD -> "+=";
            case OR -> "|=";
            case AND -> "&=";
            default -> "^=";
        };
    }

    private static String reg(boolean wide, int reg) {
        return (wide ? "r" : "w") + reg;
    }

    private static String type(Size size) {
        return "u" + size.bytes() * 8;
    }

    private String memory(int base, short offset) {
        return "(r" + base + offsetText(offset) + ")";
    }

    private String offsetText(short offset) {
        return offset < 0 ? " - " + imm(-offset) : " + " + imm(offset);
    }

    private String jumpOffset(long offset) {
        return (offset >= 0 ? "+" : "") + imm(offset);
    }

    private String imm(long value) {
        if (!hex) {
            return Long.toString(value);
        }
        return value < 0 ? "-0x" + Long.toUnsignedString(-value, 16) : "0x" + Long.toHexString(value);
    }
}
