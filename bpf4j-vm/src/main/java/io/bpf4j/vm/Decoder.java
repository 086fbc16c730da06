package io.bpf4j.vm;

import io.bpf4j.BpfFormatException;
import io.bpf4j.ProgramType;
import io.bpf4j.isa.AluOp;
import io.bpf4j.isa.AtomicOp;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.Instructions;
import io.bpf4j.isa.JumpOp;
import io.bpf4j.isa.PseudoSource;
import io.bpf4j.isa.Size;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.function.IntFunction;

/**
 * Checks BPF instructions as the kernel does before running them (the ISA's strict
 * decoding: reserved fields zero, registers in range, known opcodes; then r10 never
 * written, jumps inside the program and never into the middle of a 64-bit load, helpers
 * and maps known) and translates each into the interpreter's packed form ({@link Op#pack}). Map references of {@code ld_imm64} become
 * the map's address; a function reference becomes a function pointer.
 */
final class Decoder {
    private final String name;
    private final ProgramType type;
    private final long[] raw;
    private final IntFunction<VmMap> mapsByFd;
    private final int[] fdArray;
    private final long[] out;
    private final boolean[] secondHalf;

    private Decoder(String name, ProgramType type, long[] raw, IntFunction<VmMap> mapsByFd, int[] fdArray) {
        this.name = name;
        this.type = type;
        this.raw = raw;
        this.mapsByFd = mapsByFd;
        this.fdArray = fdArray;
        this.out = new long[raw.length];
        this.secondHalf = new boolean[raw.length];
    }

    /**
     * Decodes a program.
     *
     * @param raw      instructions as little-endian 64-bit words ({@link #words})
     * @param mapsByFd the VM's map of a file descriptor number, or null
     * @param fdArray  the {@code fd_array} of {@code BPF_PSEUDO_MAP_IDX} references (may be empty)
     */
    static Code decode(String name, ProgramType type, long[] raw, IntFunction<VmMap> mapsByFd, int[] fdArray) {
        return new Decoder(name, type, raw, mapsByFd, fdArray).run();
    }

    /** Splits instruction bytes into little-endian 64-bit words. */
    static long[] words(byte[] bytes) {
        if (bytes.length % 8 != 0) {
            throw VmException.of(VmException.Kind.INVALID_PROGRAM,
                    "program is " + bytes.length + " bytes long, not a multiple of the 8-byte instruction size");
        }
        long[] words = new long[bytes.length / 8];
        for (int i = 0; i < words.length; i++) {
            words[i] = Memory.getLong(bytes, i * 8);
        }
        return words;
    }

    /** An instruction's bytes in hex, as the kernel's verifier log and llvm-objdump print them. */
    static String hex(long word) {
        byte[] b = new byte[8];
        Memory.putLong(b, 0, word);
        return HexFormat.ofDelimiter(" ").formatHex(b);
    }

    private Code run() {
        if (raw.length == 0) {
            throw invalid(-1, "program has no instructions");
        }
        for (int pc = 0; pc < raw.length; pc++) {
            if (secondHalf[pc]) {
                continue;
            }
            out[pc] = translate(pc, instruction(pc));
        }
        checkJumpTargets();
        int last = raw.length - 1;
        int lastOp = Op.op(out[secondHalf[last] ? last - 1 : last]);
        if (secondHalf[last] || lastOp != Op.EXIT && lastOp != Op.JA && lastOp != Op.JA32) {
            throw invalid(last, "the last instruction is not exit or an unconditional jump: execution could run past the end");
        }
        return new Code(name, type, out, raw);
    }

    /** The instruction at slot {@code pc} of {@code raw}, by the ISA's strict decoder (reserved fields, registers, opcodes). */
    static Instruction instructionAt(long[] raw, int pc) {
        int slots = ((int) raw[pc] & 0xff) == 0x18 && pc + 1 < raw.length ? 2 : 1;
        byte[] bytes = new byte[slots * 8];
        for (int i = 0; i < slots; i++) {
            Memory.putLong(bytes, i * 8, raw[pc + i]);
        }
        return Instructions.decode(bytes, ByteOrder.LITTLE_ENDIAN).getFirst();
    }

    private Instruction instruction(int pc) {
        try {
            return instructionAt(raw, pc);
        } catch (BpfFormatException e) {
            String message = e.getMessage();
            int colon = message.indexOf(": ");
            throw invalid(pc, message.startsWith("instruction 0 at byte offset 0") && colon > 0
                    ? message.substring(colon + 2) : message);
        }
    }

    private long translate(int pc, Instruction insn) {
        return switch (insn) {
            case Instruction.AluImm(boolean alu64, AluOp op, int dst, int imm) -> {
                writes(pc, dst);
                yield Op.pack(alu(op, alu64, false), dst, 0, 0, imm);
            }
            case Instruction.AluReg(boolean alu64, AluOp op, int dst, int src) -> {
                writes(pc, dst);
                yield Op.pack(alu(op, alu64, true), dst, src, 0, 0);
            }
            case Instruction.MoveSignExtend(boolean alu64, int dst, int src, Size from) -> {
                writes(pc, dst);
                int op = switch (from) {
                    case B -> alu64 ? Op.MOVSX64_8 : Op.MOVSX32_8;
                    case H -> alu64 ? Op.MOVSX64_16 : Op.MOVSX32_16;
                    default -> Op.MOVSX64_32;
                };
                yield Op.pack(op, dst, src, 0, 0);
            }
            case Instruction.ByteSwap(Instruction.ByteSwap.Kind kind, int dst, int width) -> {
                writes(pc, dst);
                int op = kind == Instruction.ByteSwap.Kind.LE
                        ? (width == 16 ? Op.ZEXT16 : width == 32 ? Op.ZEXT32 : Op.NOP)
                        : (width == 16 ? Op.BSWAP16 : width == 32 ? Op.BSWAP32 : Op.BSWAP64);
                yield Op.pack(op, dst, 0, 0, width);
            }
            case Instruction.Jump(short offset) -> Op.pack(Op.JA, 0, 0, offset, 0);
            case Instruction.JumpLong(int imm) -> Op.pack(Op.JA32, 0, 0, 0, imm);
            case Instruction.JumpImm(boolean jmp32, JumpOp op, int dst, int imm, short offset) ->
                    Op.pack(condition(op, jmp32, false), dst, 0, offset, imm);
            case Instruction.JumpReg(boolean jmp32, JumpOp op, int dst, int src, short offset) ->
                    Op.pack(condition(op, jmp32, true), dst, src, offset, 0);
            case Instruction.CallHelper(int id) -> {
                if (!VmHelpers.exists(id)) {
                    throw invalid(pc, VmHelpers.describe(id) + " is not available in the VM");
                }
                yield Op.pack(Op.CALL_HELPER, 0, 0, 0, id);
            }
            case Instruction.CallLocal(int imm) -> {
                target(pc, pc + 1L + imm);
                yield Op.pack(Op.CALL_LOCAL, 0, 0, 0, imm);
            }
            case Instruction.CallKfunc(int btfId, short offset) ->
                    throw invalid(pc, "kfunc calls (BTF id " + btfId + ") are not available in the VM");
            case Instruction.CallIndirect(int dst) -> Op.pack(Op.CALLX, dst, 0, 0, 0);
            case Instruction.Exit() -> Op.pack(Op.EXIT, 0, 0, 0, 0);
            case Instruction.MayGoto(short offset) -> Op.pack(Op.MAY_GOTO, 0, 0, offset, 0);
            case Instruction.Load(Size size, boolean signExtend, int dst, int src, short offset) -> {
                writes(pc, dst);
                yield Op.pack((signExtend ? Op.LDXS_B : Op.LDX_B) + sizeIndex(size), dst, src, offset, 0);
            }
            case Instruction.StoreImm(Size size, int dst, short offset, int imm) ->
                    Op.pack(Op.ST_B + sizeIndex(size), dst, 0, offset, imm);
            case Instruction.Store(Size size, int dst, int src, short offset) ->
                    Op.pack(Op.STX_B + sizeIndex(size), dst, src, offset, 0);
            case Instruction.Atomic(Size size, AtomicOp op, int dst, int src, short offset) -> atomic(pc, size, op, dst, src,
                    offset);
            case Instruction.LoadImm64(int dst, PseudoSource source, long imm64) -> {
                writes(pc, dst);
                secondHalf[pc + 1] = true;
                out[pc + 1] = immediate(pc, source, imm64);
                yield Op.pack(Op.LDDW, dst, 0, 0, 0);
            }
            case Instruction.LoadPacket(Size size, boolean indirect, int src, int imm) -> {
                if (!SkbContext.handles(type)) {
                    throw invalid(pc, "legacy packet loads (BPF_ABS/BPF_IND) need a socket buffer program, not "
                            + type.bpftoolName());
                }
                int sizeIndex = sizeIndex(size);
                yield Op.pack((indirect ? Op.LD_IND_B : Op.LD_ABS_B) + sizeIndex, 0, src, 0, imm);
            }
            case Instruction.AddressSpaceCast c -> throw invalid(pc, "address space casts (BPF arenas) are not available in the VM");
        };
    }

    /** The interpreter operation of an ALU operation: IMM forms, 32-bit ones 32 further on, REG forms one after. */
    private static int alu(AluOp op, boolean alu64, boolean reg) {
        int base = switch (op) {
            case ADD -> Op.ADD64_IMM;
            case SUB -> Op.SUB64_IMM;
            case MUL -> Op.MUL64_IMM;
            case DIV -> Op.DIV64_IMM;
            case SDIV -> Op.SDIV64_IMM;
            case OR -> Op.OR64_IMM;
            case AND -> Op.AND64_IMM;
            case LSH -> Op.LSH64_IMM;
            case RSH -> Op.RSH64_IMM;
            case NEG -> Op.NEG64;
            case MOD -> Op.MOD64_IMM;
            case SMOD -> Op.SMOD64_IMM;
            case XOR -> Op.XOR64_IMM;
            case MOV -> Op.MOV64_IMM;
            case ARSH -> Op.ARSH64_IMM;
        };
        return base + (alu64 ? 0 : Op.ADD32_IMM - Op.ADD64_IMM) + (reg && op != AluOp.NEG ? 1 : 0);
    }

    private static int condition(JumpOp op, boolean jmp32, boolean reg) {
        int index = switch (op) {
            case JEQ -> 0;
            case JGT -> 1;
            case JGE -> 2;
            case JSET -> 3;
            case JNE -> 4;
            case JSGT -> 5;
            case JSGE -> 6;
            case JLT -> 7;
            case JLE -> 8;
            case JSLT -> 9;
            case JSLE -> 10;
            default -> throw new IllegalArgumentException(op + " is not a condition");
        };
        return (jmp32 ? Op.JEQ32_IMM : Op.JEQ_IMM) + 2 * index + (reg ? 1 : 0);
    }

    private long atomic(int pc, Size size, AtomicOp op, int dst, int src, short offset) {
        int s = sizeIndex(size);
        return switch (op) {
            case LOAD_ACQUIRE -> {
                writes(pc, dst);
                yield Op.pack(Op.LOAD_ACQ_B + s, dst, src, offset, op.imm());
            }
            case STORE_RELEASE -> Op.pack(Op.STORE_REL_B + s, dst, src, offset, op.imm());
            case CMPXCHG -> Op.pack(size == Size.DW ? Op.CMPXCHG_DW : Op.CMPXCHG_W, dst, src, offset, op.imm());
            default -> {
                if (op.fetches()) {
                    writes(pc, src);
                }
                yield Op.pack(size == Size.DW ? Op.ATOMIC_DW : Op.ATOMIC_W, dst, src, offset, op.imm());
            }
        };
    }

    /** The value an {@code ld_imm64} loads: a constant, a map's or map value's address, or a function pointer. */
    private long immediate(int pc, PseudoSource source, long imm64) {
        int imm = (int) imm64;
        int high = (int) (imm64 >>> 32);
        return switch (source) {
            case NONE -> imm64;
            case MAP_FD, MAP_IDX -> {
                if (high != 0) {
                    throw invalid(pc, "a map reference has a non-zero second immediate");
                }
                yield map(pc, source, imm).address();
            }
            case MAP_VALUE, MAP_IDX_VALUE -> {
                VmMap map = map(pc, source, imm);
                long address = map.directValueAddress(high);
                if (address == 0) {
                    throw invalid(pc, "map '" + map.name() + "' (" + map.type().bpftoolName() + ") has no value at offset "
                            + high + " to point to");
                }
                yield address;
            }
            case FUNC -> Memory.address(Memory.FUNCTIONS, target(pc, pc + 1L + imm));
            case BTF_ID -> throw invalid(pc, "kernel symbol references (BTF id " + imm + ") are not available in the VM");
        };
    }

    private VmMap map(int pc, PseudoSource source, int imm) {
        int fd = imm;
        if (source == PseudoSource.MAP_IDX || source == PseudoSource.MAP_IDX_VALUE) {
            if (imm < 0 || imm >= fdArray.length) {
                throw invalid(pc, "map index " + imm + " is outside the fd array of " + fdArray.length + " entries");
            }
            fd = fdArray[imm];
        }
        VmMap map = mapsByFd.apply(fd);
        if (map == null) {
            throw invalid(pc, "fd " + fd + " is not a map of this VM");
        }
        return map;
    }

    /** B, H, W, DW as 0..3, in the order the Op constants use. */
    private static int sizeIndex(Size size) {
        return switch (size) {
            case B -> 0;
            case H -> 1;
            case W -> 2;
            case DW -> 3;
        };
    }

    private void writes(int pc, int dst) {
        if (dst == 10) {
            throw invalid(pc, "r10 is the read-only frame pointer");
        }
    }

    private int target(int pc, long target) {
        if (target < 0 || target >= raw.length) {
            throw invalid(pc, "jump or call target " + target + " is outside the program (0.." + (raw.length - 1) + ")");
        }
        return (int) target;
    }

    private void checkJumpTargets() {
        for (int pc = 0; pc < raw.length; pc++) {
            if (secondHalf[pc]) {
                continue;
            }
            long insn = out[pc];
            int op = Op.op(insn);
            long t;
            if (op == Op.JA32 || op == Op.CALL_LOCAL) {
                t = pc + 1L + Op.imm(insn);
            } else if (op == Op.JA || op == Op.MAY_GOTO || op >= Op.JEQ_IMM && op <= Op.JSLE32_REG) {
                t = pc + 1L + Op.off(insn);
            } else if (op == Op.LDDW && (raw[pc] >>> 12 & 0xf) == PseudoSource.FUNC.code()) {
                t = (int) out[pc + 1];
            } else {
                continue;
            }
            int target = target(pc, t);
            if (secondHalf[target]) {
                throw invalid(pc, "jump target " + target + " is the second half of a 64-bit immediate load");
            }
        }
    }

    private VmException invalid(int pc, String what) {
        String where = "program '" + name + "': ";
        VmException e = VmException.of(VmException.Kind.INVALID_PROGRAM, where + what);
        return pc < 0 ? e : e.at(pc, hex(raw[pc]));
    }
}
