package io.bpf4j.isa;

import java.util.Objects;

/**
 * One eBPF instruction (RFC 9669, ISA v1 to v4, plus the kernel's may_goto, addr_space_cast,
 * load-acquire and store-release). Each kind is a record holding exactly what it means; the
 * raw encoding fields are derived from it ({@link #opcode()}, {@link #dst()}, {@link #src()},
 * {@link #offset()}, {@link #imm()}), so a decoded instruction encodes back to the same bytes.
 * Registers are numbered 0 to 10 ({@code r10} is the read-only frame pointer).
 *
 * <p>Jump offsets count 8-byte slots relative to the next slot; {@link LoadImm64} takes two
 * slots ({@link SlotMap} maps between slots and instruction indexes).
 *
 * <pre>{@code
 * List<Instruction> program = List.of(
 *         new Instruction.AluImm(true, AluOp.MOV, 0, 2),   // r0 = 2
 *         new Instruction.Exit());
 * byte[] code = Instructions.encode(program, ByteOrder.LITTLE_ENDIAN);
 * String text = switch (program.get(0)) {
 *     case Instruction.AluImm(var wide, var op, var dst, var imm) -> op + " " + imm;
 *     default -> "other";
 * };
 * }</pre>
 */
public sealed interface Instruction {

    /** The opcode byte: class, operation or size/mode, and source bits. */
    int opcode();

    /** The destination register field; 0 where the instruction has none. */
    default int dst() {
        return 0;
    }

    /** The source register field (the pseudo source for {@link LoadImm64}); 0 where unused. */
    default int src() {
        return 0;
    }

    /** The signed 16-bit offset field; 0 where unused. */
    default short offset() {
        return 0;
    }

    /** The signed 32-bit immediate field (of the first slot, for {@link LoadImm64}); 0 where unused. */
    default int imm() {
        return 0;
    }

    /** Number of 8-byte slots the instruction occupies: 2 for {@link LoadImm64}, else 1. */
    default int slots() {
        return 1;
    }

    /** The instruction class, from the opcode. */
    default InstructionClass instructionClass() {
        return InstructionClass.of(opcode());
    }

    /** Source bit of ALU and JMP opcodes: the operand is the immediate. */
    int K = 0x00;
    /** Source bit of ALU and JMP opcodes: the operand is the source register. */
    int X = 0x08;

    /** {@code dst op= imm}, 32-bit ({@code w} registers) unless {@code alu64}. {@code NEG} takes imm 0. */
    record AluImm(boolean alu64, AluOp op, int dst, int imm) implements Instruction {
        public AluImm {
            Objects.requireNonNull(op, "op");
            requireRegister(dst, "dst");
            if (op == AluOp.NEG && imm != 0) {
                throw new IllegalArgumentException("neg takes no operand, imm must be 0 but is " + imm);
            }
        }

        @Override
        public int opcode() {
            return aluClass(alu64) | op.code() | K;
        }

        @Override
        public short offset() {
            return (short) op.offset();
        }
    }

    /** {@code dst op= src}, 32-bit unless {@code alu64}. {@code NEG} has no register form. */
    record AluReg(boolean alu64, AluOp op, int dst, int src) implements Instruction {
        public AluReg {
            Objects.requireNonNull(op, "op");
            requireRegister(dst, "dst");
            requireRegister(src, "src");
            if (op == AluOp.NEG) {
                throw new IllegalArgumentException("neg has no register form");
            }
        }

        @Override
        public int opcode() {
            return aluClass(alu64) | op.code() | X;
        }

        @Override
        public short offset() {
            return (short) op.offset();
        }
    }

    /**
     * {@code dst = (s8/s16/s32) src} (ISA v4 movsx): sign-extends the low {@code from} part of
     * {@code src}; to 32 bits (then zero-extended) unless {@code alu64}. From W only with alu64.
     */
    record MoveSignExtend(boolean alu64, int dst, int src, Size from) implements Instruction {
        public MoveSignExtend {
            requireRegister(dst, "dst");
            requireRegister(src, "src");
            Objects.requireNonNull(from, "from");
            if (from == Size.DW || (from == Size.W && !alu64)) {
                throw new IllegalArgumentException("movsx" + (alu64 ? "" : "32") + " cannot extend from " + from);
            }
        }

        @Override
        public int opcode() {
            return aluClass(alu64) | AluOp.MOV.code() | X;
        }

        @Override
        public short offset() {
            return (short) (from.bytes() * 8);
        }
    }

    /**
     * {@code dst = addr_space_cast(src, dstAddressSpace, srcAddressSpace)}: the kernel's arena
     * pointer conversion between address spaces 0 (kernel) and 1 (user), one of each
     * (ALU64 MOV with offset 1; imm = dst space << 16 | src space).
     */
    record AddressSpaceCast(int dst, int src, int dstAddressSpace, int srcAddressSpace) implements Instruction {
        public AddressSpaceCast {
            requireRegister(dst, "dst");
            requireRegister(src, "src");
            if (dstAddressSpace + srcAddressSpace != 1 || dstAddressSpace * srcAddressSpace != 0) {
                throw new IllegalArgumentException("addr_space_cast converts between address spaces 0 and 1, not from "
                        + srcAddressSpace + " to " + dstAddressSpace);
            }
        }

        @Override
        public int opcode() {
            return InstructionClass.ALU64.code() | AluOp.MOV.code() | X;
        }

        @Override
        public short offset() {
            return 1;
        }

        @Override
        public int imm() {
            return dstAddressSpace << 16 | srcAddressSpace;
        }
    }

    /** Byte order conversion of the low {@code width} bits (16, 32 or 64) of {@code dst}. */
    record ByteSwap(Kind kind, int dst, int width) implements Instruction {
        /** Which conversion. */
        public enum Kind {
            /** {@code dst = le16/32/64 dst}: to little endian (ALU END, source bit K). */
            LE,
            /** {@code dst = be16/32/64 dst}: to big endian (ALU END, source bit X). */
            BE,
            /** {@code dst = bswap16/32/64 dst}: unconditional swap (ALU64 END, ISA v4). */
            BSWAP
        }

        public ByteSwap {
            Objects.requireNonNull(kind, "kind");
            requireRegister(dst, "dst");
            if (width != 16 && width != 32 && width != 64) {
                throw new IllegalArgumentException("byte swap width must be 16, 32 or 64, not " + width);
            }
        }

        @Override
        public int opcode() {
            return switch (kind) {
                case LE -> InstructionClass.ALU.code() | 0xd0 | K;
                case BE -> InstructionClass.ALU.code() | 0xd0 | X;
                case BSWAP -> InstructionClass.ALU64.code() | 0xd0 | K;
            };
        }

        @Override
        public int imm() {
            return width;
        }
    }

    /** {@code goto +offset}: unconditional jump (JMP JA). */
    record Jump(short offset) implements Instruction {
        @Override
        public int opcode() {
            return InstructionClass.JMP.code() | JumpOp.JA.code();
        }
    }

    /** {@code gotol +imm}: unconditional jump with a 32-bit offset in imm (JMP32 JA, ISA v4). */
    record JumpLong(int imm) implements Instruction {
        @Override
        public int opcode() {
            return InstructionClass.JMP32.code() | JumpOp.JA.code();
        }
    }

    /** {@code if dst op imm goto +offset}; compares 32-bit halves if {@code jmp32}. */
    record JumpImm(boolean jmp32, JumpOp op, int dst, int imm, short offset) implements Instruction {
        public JumpImm {
            requireCondition(op);
            requireRegister(dst, "dst");
        }

        @Override
        public int opcode() {
            return jumpClass(jmp32) | op.code() | K;
        }
    }

    /** {@code if dst op src goto +offset}; compares 32-bit halves if {@code jmp32}. */
    record JumpReg(boolean jmp32, JumpOp op, int dst, int src, short offset) implements Instruction {
        public JumpReg {
            requireCondition(op);
            requireRegister(dst, "dst");
            requireRegister(src, "src");
        }

        @Override
        public int opcode() {
            return jumpClass(jmp32) | op.code() | X;
        }
    }

    /** {@code call id}: a kernel helper function by its id. */
    record CallHelper(int id) implements Instruction {
        @Override
        public int opcode() {
            return CALL_OPCODE;
        }

        @Override
        public int imm() {
            return id;
        }
    }

    /** Call of a BPF subprogram at {@code imm} slots after the next one (src 1, BPF_PSEUDO_CALL). */
    record CallLocal(int imm) implements Instruction {
        @Override
        public int opcode() {
            return CALL_OPCODE;
        }

        @Override
        public int src() {
            return 1;
        }
    }

    /**
     * Call of a kernel function by BTF id (src 2, BPF_PSEUDO_KFUNC_CALL); {@code offset} is 0 for
     * vmlinux or the index of a module BTF in the fd array.
     */
    record CallKfunc(int btfId, short offset) implements Instruction {
        @Override
        public int opcode() {
            return CALL_OPCODE;
        }

        @Override
        public int src() {
            return 2;
        }

        @Override
        public int imm() {
            return btfId;
        }
    }

    /** {@code callx dst}: call through a register (JMP CALL, source bit X). */
    record CallIndirect(int dst) implements Instruction {
        public CallIndirect {
            requireRegister(dst, "dst");
        }

        @Override
        public int opcode() {
            return CALL_OPCODE | X;
        }
    }

    /** {@code exit}: return {@code r0} from the (sub)program. */
    record Exit() implements Instruction {
        @Override
        public int opcode() {
            return InstructionClass.JMP.code() | JumpOp.EXIT.code();
        }
    }

    /** {@code may_goto +offset}: jumps once the kernel's loop budget is spent (JMP JCOND). */
    record MayGoto(short offset) implements Instruction {
        @Override
        public int opcode() {
            return InstructionClass.JMP.code() | JumpOp.JCOND.code();
        }
    }

    /**
     * {@code dst = *(size *)(src + offset)} (LDX MEM), or sign-extending to 64 bits
     * ({@code signExtend}, LDX MEMSX, ISA v4, sizes B, H, W).
     */
    record Load(Size size, boolean signExtend, int dst, int src, short offset) implements Instruction {
        public Load {
            Objects.requireNonNull(size, "size");
            requireRegister(dst, "dst");
            requireRegister(src, "src");
            if (signExtend && size == Size.DW) {
                throw new IllegalArgumentException("a sign-extending load cannot be 64-bit");
            }
        }

        @Override
        public int opcode() {
            return InstructionClass.LDX.code() | (signExtend ? Mode.MEMSX : Mode.MEM).code() | size.code();
        }
    }

    /** {@code *(size *)(dst + offset) = imm} (ST MEM); imm is truncated to the size. */
    record StoreImm(Size size, int dst, short offset, int imm) implements Instruction {
        public StoreImm {
            Objects.requireNonNull(size, "size");
            requireRegister(dst, "dst");
        }

        @Override
        public int opcode() {
            return InstructionClass.ST.code() | Mode.MEM.code() | size.code();
        }
    }

    /** {@code *(size *)(dst + offset) = src} (STX MEM). */
    record Store(Size size, int dst, int src, short offset) implements Instruction {
        public Store {
            Objects.requireNonNull(size, "size");
            requireRegister(dst, "dst");
            requireRegister(src, "src");
        }

        @Override
        public int opcode() {
            return InstructionClass.STX.code() | Mode.MEM.code() | size.code();
        }
    }

    /**
     * An atomic operation on {@code *(size *)(dst + offset)} with {@code src} (STX ATOMIC).
     * Read-modify-write operations take sizes W and DW; {@link AtomicOp#LOAD_ACQUIRE} loads into
     * {@code dst} from {@code src + offset} and takes any size.
     */
    record Atomic(Size size, AtomicOp op, int dst, int src, short offset) implements Instruction {
        public Atomic {
            Objects.requireNonNull(size, "size");
            Objects.requireNonNull(op, "op");
            requireRegister(dst, "dst");
            requireRegister(src, "src");
            if (op.isReadModifyWrite() && size != Size.W && size != Size.DW) {
                throw new IllegalArgumentException("atomic " + op + " exists only for W and DW, not " + size);
            }
        }

        @Override
        public int opcode() {
            return InstructionClass.STX.code() | Mode.ATOMIC.code() | size.code();
        }

        @Override
        public int imm() {
            return op.imm();
        }
    }

    /**
     * {@code dst = imm64 ll} (LD IMM DW, 16 bytes): the low half of {@code imm64} is the first
     * slot's imm, the high half the second's. A {@code source} other than NONE makes it a
     * reference the loader resolves (map, map value, BTF variable, function).
     */
    record LoadImm64(int dst, PseudoSource source, long imm64) implements Instruction {
        public LoadImm64 {
            requireRegister(dst, "dst");
            Objects.requireNonNull(source, "source");
        }

        /** A plain 64-bit constant load. */
        public LoadImm64(int dst, long imm64) {
            this(dst, PseudoSource.NONE, imm64);
        }

        @Override
        public int opcode() {
            return InstructionClass.LD.code() | Mode.IMM.code() | Size.DW.code();
        }

        @Override
        public int src() {
            return source.code();
        }

        @Override
        public int imm() {
            return (int) imm64;
        }

        /** The second slot's imm: the high half, or the offset into a map value. */
        public int nextImm() {
            return (int) (imm64 >>> 32);
        }

        @Override
        public int slots() {
            return 2;
        }
    }

    /**
     * Legacy packet load into {@code r0}: {@code r0 = ntoh(*(size *)(skb->data + imm))}, or at
     * {@code src + imm} if {@code indirect} (LD ABS / LD IND; sizes B, H, W). Clobbers r1 to r5.
     */
    record LoadPacket(Size size, boolean indirect, int src, int imm) implements Instruction {
        public LoadPacket {
            Objects.requireNonNull(size, "size");
            requireRegister(src, "src");
            if (size == Size.DW) {
                throw new IllegalArgumentException("legacy packet loads cannot be 64-bit");
            }
            if (!indirect && src != 0) {
                throw new IllegalArgumentException("an absolute packet load takes no register, src must be 0");
            }
        }

        @Override
        public int opcode() {
            return InstructionClass.LD.code() | (indirect ? Mode.IND : Mode.ABS).code() | size.code();
        }
    }

    /** The number of registers, r0 to r10. */
    int REGISTERS = 11;

    /** The opcode of helper, local and kfunc calls. */
    int CALL_OPCODE = 0x85;

    private static void requireRegister(int reg, String field) {
        if (reg < 0 || reg >= REGISTERS) {
            throw new IllegalArgumentException(field + " register r" + reg + " does not exist (r0 to r10)");
        }
    }

    private static void requireCondition(JumpOp op) {
        Objects.requireNonNull(op, "op");
        if (!op.isConditional()) {
            throw new IllegalArgumentException(op + " is not a conditional jump");
        }
    }

    private static int aluClass(boolean alu64) {
        return (alu64 ? InstructionClass.ALU64 : InstructionClass.ALU).code();
    }

    private static int jumpClass(boolean jmp32) {
        return (jmp32 ? InstructionClass.JMP32 : InstructionClass.JMP).code();
    }
}
