package io.bpf4j.isa;

import io.bpf4j.BpfFormatException;
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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Decoding and encoding of eBPF bytecode. Decoding is strict, like the kernel's verifier:
 * an unknown opcode, a register beyond r10, a truncated {@code lddw} or a non-zero unused
 * field is a {@link BpfFormatException} naming the instruction index and byte offset. So every
 * decoded program encodes back to exactly the same bytes.
 *
 * <p>In big-endian bytecode the offset and immediate are big endian and the register byte
 * holds dst in its high nibble (the little-endian layout has src there).
 *
 * <pre>{@code
 * List<Instruction> program = Instructions.decode(bytes, ByteOrder.LITTLE_ENDIAN);
 * assert Arrays.equals(Instructions.encode(program, ByteOrder.LITTLE_ENDIAN), bytes);
 * }</pre>
 */
public final class Instructions {
    /** Bytes per instruction slot. */
    public static final int SLOT_SIZE = 8;

    private Instructions() {}

    /** Decodes a whole program; {@code code.length} must be a multiple of 8. */
    public static List<Instruction> decode(byte[] code, ByteOrder order) {
        List<Instruction> out = new ArrayList<>(code.length / SLOT_SIZE);
        ByteBuffer buf = ByteBuffer.wrap(code).order(order);
        int pos = 0;
        while (pos < code.length) {
            Instruction insn = decodeAt(buf, pos, out.size());
            out.add(insn);
            pos += insn.slots() * SLOT_SIZE;
        }
        return out;
    }

    /** Encodes a program into {@code 8 * slots} bytes. */
    public static byte[] encode(List<? extends Instruction> program, ByteOrder order) {
        int slots = 0;
        for (Instruction insn : program) {
            slots += insn.slots();
        }
        ByteBuffer buf = ByteBuffer.allocate(slots * SLOT_SIZE).order(order);
        for (Instruction insn : program) {
            putSlot(buf, insn.opcode(), insn.dst(), insn.src(), insn.offset(), insn.imm());
            if (insn instanceof LoadImm64 ld) {
                putSlot(buf, 0, 0, 0, (short) 0, ld.nextImm());
            }
        }
        return buf.array();
    }

    private static void putSlot(ByteBuffer buf, int opcode, int dst, int src, short offset, int imm) {
        buf.put((byte) opcode);
        buf.put((byte) (buf.order() == ByteOrder.LITTLE_ENDIAN ? src << 4 | dst : dst << 4 | src));
        buf.putShort(offset);
        buf.putInt(imm);
    }

    /**
     * Decodes the instruction at byte {@code pos} of {@code buf} (whose order is the bytecode's);
     * {@code index} only names it in error messages.
     */
    static Instruction decodeAt(ByteBuffer buf, int pos, int index) {
        if (buf.limit() - pos < SLOT_SIZE) {
            throw new BpfFormatException(where(index, pos) + (buf.limit() - pos)
                    + " trailing bytes are not a whole instruction (8 bytes)");
        }
        Raw raw = Raw.read(buf, pos, index);
        return switch (InstructionClass.of(raw.opcode)) {
            case ALU, ALU64 -> decodeAlu(raw);
            case JMP, JMP32 -> decodeJump(raw);
            case LD -> decodeLd(raw, buf, pos);
            case LDX -> decodeLdx(raw);
            case ST -> decodeSt(raw);
            case STX -> decodeStx(raw);
        };
    }

    private static String where(int index, int pos) {
        return "instruction " + index + " at byte offset " + pos + ": ";
    }

    /** The fields of one 8-byte slot, before interpretation, and where it is (for errors). */
    private record Raw(int opcode, int dst, int src, short offset, int imm, int index, int pos) {
        static Raw read(ByteBuffer buf, int pos, int index) {
            int regs = buf.get(pos + 1) & 0xff;
            boolean little = buf.order() == ByteOrder.LITTLE_ENDIAN;
            return new Raw(buf.get(pos) & 0xff, little ? regs & 0x0f : regs >>> 4, little ? regs >>> 4 : regs & 0x0f,
                    buf.getShort(pos + 2), buf.getInt(pos + 4), index, pos);
        }

        /** An error about this instruction; {@code message} names what is wrong. */
        BpfFormatException error(String message) {
            return new BpfFormatException(where(index, pos) + message);
        }

        boolean usesImm() {
            return (opcode & Instruction.X) == 0;
        }

        int dstReg() {
            return register(dst, "dst");
        }

        int srcReg() {
            return register(src, "src");
        }

        private int register(int reg, String field) {
            if (reg >= Instruction.REGISTERS) {
                throw error(name() + ": bad register: " + field + " is r" + reg + " (registers are r0 to r10)");
            }
            return reg;
        }

        /** Requires an unused field to be zero. */
        void zero(String field, int value) {
            if (value != 0) {
                throw error(name() + ": unused field " + field + " must be 0 but is " + value);
            }
        }

        BpfFormatException unknown() {
            return error(String.format("unknown opcode 0x%02x", opcode));
        }

        /** The opcode in the kernel's notation, e.g. {@code ALU64|ADD|K (0x07)}. */
        String name() {
            InstructionClass cls = InstructionClass.of(opcode);
            String rest = switch (cls) {
                case ALU, ALU64 -> aluName() + ((opcode & 0xf0) == 0xd0 ? "" : sourceName());
                case JMP, JMP32 -> {
                    JumpOp op = JumpOp.of(opcode);
                    yield (op == null ? "?" : op.name()) + sourceName();
                }
                default -> {
                    Mode mode = Mode.of(opcode);
                    yield (mode == null ? "?" : mode.name()) + "|" + Size.of(opcode).name();
                }
            };
            return String.format("%s|%s (0x%02x)", cls.name(), rest, opcode);
        }

        private String aluName() {
            int code = opcode & 0xf0;
            if (code == 0xd0) {
                return "END|" + (InstructionClass.of(opcode) == InstructionClass.ALU64 ? "BSWAP" : usesImm() ? "TO_LE" : "TO_BE");
            }
            AluOp op = AluOp.of(code, 0);
            return op == null ? "?" : op.name();
        }

        private String sourceName() {
            return usesImm() ? "|K" : "|X";
        }
    }

    private static Instruction decodeAlu(Raw r) {
        boolean alu64 = InstructionClass.of(r.opcode) == InstructionClass.ALU64;
        int code = r.opcode & 0xf0;
        if (code == 0xd0) {
            if (alu64 && !r.usesImm()) {
                throw r.unknown();
            }
            int dst = r.dstReg();
            r.zero("src", r.src);
            r.zero("offset", r.offset);
            if (r.imm != 16 && r.imm != 32 && r.imm != 64) {
                throw r.error(r.name() + ": byte swap width (imm) must be 16, 32 or 64 but is " + r.imm);
            }
            ByteSwap.Kind kind = alu64 ? ByteSwap.Kind.BSWAP : r.usesImm() ? ByteSwap.Kind.LE : ByteSwap.Kind.BE;
            return new ByteSwap(kind, dst, r.imm);
        }
        if (code >= 0xe0 || (code == AluOp.NEG.code() && !r.usesImm())) {
            throw r.unknown();
        }
        int dst = r.dstReg();
        if (code == AluOp.MOV.code() && !r.usesImm() && r.offset != 0) {
            int src = r.srcReg();
            if (alu64 && r.offset == 1) {
                if (r.imm != 1 && r.imm != 1 << 16) {
                    throw r.error(r.name() + ": unused field offset must be 0 but is 1"
                            + " (an addr_space_cast would need imm 0x1 or 0x10000)");
                }
                return new AddressSpaceCast(dst, src, r.imm >>> 16, r.imm & 0xffff);
            }
            Size from = switch (r.offset) {
                case 8 -> Size.B;
                case 16 -> Size.H;
                case 32 -> alu64 ? Size.W : null;
                default -> null;
            };
            if (from == null) {
                throw r.error(r.name() + ": offset must be 0 (mov) or 8, 16" + (alu64 ? ", 32" : "")
                        + " (movsx) but is " + r.offset);
            }
            r.zero("imm", r.imm);
            return new MoveSignExtend(alu64, dst, src, from);
        }
        AluOp op = AluOp.of(code, r.offset);
        if (op == null) {
            if (code != AluOp.DIV.code() && code != AluOp.MOD.code()) {
                r.zero("offset", r.offset);
            }
            throw r.error(r.name() + ": offset must be 0 (unsigned) or 1 (signed) but is " + r.offset);
        }
        if (r.usesImm()) {
            r.zero("src", r.src);
            if (op == AluOp.NEG) {
                r.zero("imm", r.imm);
            }
            return new AluImm(alu64, op, dst, r.imm);
        }
        int src = r.srcReg();
        r.zero("imm", r.imm);
        return new AluReg(alu64, op, dst, src);
    }

    private static Instruction decodeJump(Raw r) {
        boolean jmp32 = InstructionClass.of(r.opcode) == InstructionClass.JMP32;
        JumpOp op = JumpOp.of(r.opcode);
        if (op == null) {
            throw r.unknown();
        }
        if (op.isConditional()) {
            int dst = r.dstReg();
            if (r.usesImm()) {
                r.zero("src", r.src);
                return new JumpImm(jmp32, op, dst, r.imm, r.offset);
            }
            int src = r.srcReg();
            r.zero("imm", r.imm);
            return new JumpReg(jmp32, op, dst, src, r.offset);
        }
        boolean known = r.usesImm() ? !(jmp32 && op != JumpOp.JA) : op == JumpOp.CALL && !jmp32;
        if (!known) {
            throw r.unknown();
        }
        return switch (op) {
            case JA -> {
                r.zero("dst", r.dst);
                r.zero("src", r.src);
                if (jmp32) {
                    r.zero("offset", r.offset);
                    yield new JumpLong(r.imm);
                }
                r.zero("imm", r.imm);
                yield new Jump(r.offset);
            }
            case CALL -> decodeCall(r);
            case EXIT -> {
                r.zero("dst", r.dst);
                r.zero("src", r.src);
                r.zero("offset", r.offset);
                r.zero("imm", r.imm);
                yield new Exit();
            }
            case JCOND -> {
                r.zero("dst", r.dst);
                r.zero("src (only may_goto, 0, is defined)", r.src);
                r.zero("imm", r.imm);
                yield new MayGoto(r.offset);
            }
            default -> throw r.unknown();
        };
    }

    private static Instruction decodeCall(Raw r) {
        if (!r.usesImm()) {
            int dst = r.dstReg();
            r.zero("src", r.src);
            r.zero("offset", r.offset);
            r.zero("imm", r.imm);
            return new CallIndirect(dst);
        }
        r.zero("dst", r.dst);
        return switch (r.src) {
            case 0 -> {
                r.zero("offset", r.offset);
                yield new CallHelper(r.imm);
            }
            case 1 -> {
                r.zero("offset", r.offset);
                yield new CallLocal(r.imm);
            }
            case 2 -> new CallKfunc(r.imm, r.offset);
            default -> throw r.error(r.name() + ": src " + r.src
                    + " is no call kind (0 helper, 1 local function, 2 kfunc)");
        };
    }

    private static Instruction decodeLd(Raw r, ByteBuffer buf, int pos) {
        Size size = Size.of(r.opcode);
        Mode mode = Mode.of(r.opcode);
        if (mode == Mode.IMM && size == Size.DW) {
            int dst = r.dstReg();
            PseudoSource source = PseudoSource.of(r.src);
            if (source == null) {
                throw r.error(r.name() + ": src " + r.src + " is no lddw pseudo source (0 to 6)");
            }
            r.zero("offset", r.offset);
            if (buf.limit() - pos < 2 * SLOT_SIZE) {
                throw r.error("lddw is truncated: it needs 16 bytes but " + (buf.limit() - pos) + " are left");
            }
            Raw next = Raw.read(buf, pos + SLOT_SIZE, r.index());
            if (next.opcode != 0 || next.dst != 0 || next.src != 0 || next.offset != 0) {
                throw r.error("second slot of lddw must have opcode, registers and offset 0 but has "
                        + String.format("opcode 0x%02x dst %d src %d offset %d", next.opcode, next.dst, next.src, next.offset));
            }
            return new LoadImm64(dst, source, (long) next.imm << 32 | (r.imm & 0xffffffffL));
        }
        if ((mode == Mode.ABS || mode == Mode.IND) && size != Size.DW) {
            r.zero("dst", r.dst);
            r.zero("offset", r.offset);
            if (mode == Mode.ABS) {
                r.zero("src", r.src);
                return new LoadPacket(size, false, 0, r.imm);
            }
            return new LoadPacket(size, true, r.srcReg(), r.imm);
        }
        throw r.unknown();
    }

    private static Instruction decodeLdx(Raw r) {
        Mode mode = Mode.of(r.opcode);
        Size size = Size.of(r.opcode);
        if (mode != Mode.MEM && !(mode == Mode.MEMSX && size != Size.DW)) {
            throw r.unknown();
        }
        int dst = r.dstReg();
        int src = r.srcReg();
        r.zero("imm", r.imm);
        return new Load(size, mode == Mode.MEMSX, dst, src, r.offset);
    }

    private static Instruction decodeSt(Raw r) {
        if (Mode.of(r.opcode) != Mode.MEM) {
            throw r.unknown();
        }
        int dst = r.dstReg();
        r.zero("src", r.src);
        return new StoreImm(Size.of(r.opcode), dst, r.offset, r.imm);
    }

    private static Instruction decodeStx(Raw r) {
        Mode mode = Mode.of(r.opcode);
        Size size = Size.of(r.opcode);
        if (mode == Mode.MEM) {
            int dst = r.dstReg();
            int src = r.srcReg();
            r.zero("imm", r.imm);
            return new Store(size, dst, src, r.offset);
        }
        if (mode != Mode.ATOMIC) {
            throw r.unknown();
        }
        int dst = r.dstReg();
        int src = r.srcReg();
        AtomicOp op = AtomicOp.of(r.imm);
        if (op == null) {
            throw r.error(r.name() + String.format(": imm 0x%x is no atomic operation", r.imm));
        }
        if (op.isReadModifyWrite() && size != Size.W && size != Size.DW) {
            throw r.error(r.name() + ": atomic " + op.name().toLowerCase(Locale.ROOT)
                    + " exists only for sizes W and DW");
        }
        return new Atomic(size, op, dst, src, r.offset);
    }
}
