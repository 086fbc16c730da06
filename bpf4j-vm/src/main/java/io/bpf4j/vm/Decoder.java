package io.bpf4j.vm;

import io.bpf4j.ProgramType;
import java.util.HexFormat;
import java.util.function.IntFunction;

/**
 * Checks raw BPF instructions the way the kernel checks their encoding (reserved fields
 * zero, registers in range, r10 never written, jumps inside the program and never into
 * the middle of a 64-bit load, helpers and maps known) and translates each into the
 * interpreter's packed form ({@link Op#pack}). Map references of {@code ld_imm64} become
 * the map's address; a function reference becomes a function pointer.
 */
final class Decoder {
    private static final int LD = 0, LDX = 1, ST = 2, STX = 3, ALU = 4, JMP = 5, JMP32 = 6, ALU64 = 7;
    private static final int PSEUDO_MAP_FD = 1, PSEUDO_MAP_VALUE = 2, PSEUDO_BTF_ID = 3, PSEUDO_FUNC = 4;
    private static final int PSEUDO_MAP_IDX = 5, PSEUDO_MAP_IDX_VALUE = 6;
    private static final int PSEUDO_CALL = 1, PSEUDO_KFUNC_CALL = 2;

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
            out[pc] = decode(pc);
        }
        checkJumpTargets();
        int last = raw.length - 1;
        int lastOp = Op.op(out[secondHalf[last] ? last - 1 : last]);
        if (secondHalf[last] || lastOp != Op.EXIT && lastOp != Op.JA && lastOp != Op.JA32) {
            throw invalid(last, "the last instruction is not exit or an unconditional jump: execution could run past the end");
        }
        return new Code(name, type, out, raw);
    }

    private long decode(int pc) {
        long w = raw[pc];
        int code = (int) w & 0xff;
        int dst = (int) (w >>> 8) & 0xf;
        int src = (int) (w >>> 12) & 0xf;
        int off = (short) (w >>> 16);
        int imm = (int) (w >>> 32);
        if (dst > 10 || src > 10) {
            throw invalid(pc, "register r" + Math.max(dst, src) + " does not exist");
        }
        return switch (code & 7) {
            case ALU, ALU64 -> alu(pc, code, dst, src, off, imm);
            case JMP, JMP32 -> jump(pc, code, dst, src, off, imm);
            case LD -> ld(pc, code, dst, src, off, imm);
            case LDX -> ldx(pc, code, dst, src, off, imm);
            case ST -> st(pc, code, dst, src, off, imm);
            default -> stx(pc, code, dst, src, off, imm);
        };
    }

    private long alu(int pc, int code, int dst, int src, int off, int imm) {
        boolean is64 = (code & 7) == ALU64;
        boolean reg = (code & 0x08) != 0;
        int aluOp = code & 0xf0;
        writes(pc, dst);
        if (aluOp == 0xd0) { // byte swap
            if (src != 0 || off != 0) {
                throw reserved(pc);
            }
            if (imm != 16 && imm != 32 && imm != 64) {
                throw invalid(pc, "byte swap width " + imm + " is not 16, 32 or 64");
            }
            if (is64 && reg) {
                throw invalid(pc, "unknown opcode 0x" + Integer.toHexString(code));
            }
            boolean swap = is64 || reg;
            int op = swap ? (imm == 16 ? Op.BSWAP16 : imm == 32 ? Op.BSWAP32 : Op.BSWAP64)
                    : (imm == 16 ? Op.ZEXT16 : imm == 32 ? Op.ZEXT32 : Op.NOP);
            return Op.pack(op, dst, 0, 0, imm);
        }
        if (aluOp == 0x80) { // neg
            if (reg || src != 0 || off != 0 || imm != 0) {
                throw reserved(pc);
            }
            return Op.pack(is64 ? Op.NEG64 : Op.NEG32, dst, 0, 0, 0);
        }
        if (aluOp > 0xc0) {
            throw invalid(pc, "unknown opcode 0x" + Integer.toHexString(code));
        }
        if (reg ? imm != 0 : src != 0) {
            throw reserved(pc);
        }
        boolean signed = false;
        int op;
        switch (aluOp) {
            case 0x30, 0x90 -> { // div, mod: offset 1 means signed
                if (off != 0 && off != 1) {
                    throw reserved(pc);
                }
                signed = off == 1;
                op = aluOp == 0x30 ? (signed ? Op.SDIV64_IMM : Op.DIV64_IMM) : (signed ? Op.SMOD64_IMM : Op.MOD64_IMM);
            }
            case 0xb0 -> { // mov, movsx
                if (off != 0) {
                    if (!reg || !(off == 8 || off == 16 || off == 32 && is64)) {
                        throw invalid(pc, "sign-extending move with offset " + off);
                    }
                    int sx = is64 ? (off == 8 ? Op.MOVSX64_8 : off == 16 ? Op.MOVSX64_16 : Op.MOVSX64_32)
                            : (off == 8 ? Op.MOVSX32_8 : Op.MOVSX32_16);
                    return Op.pack(sx, dst, src, 0, 0);
                }
                op = Op.MOV64_IMM;
            }
            default -> {
                if (off != 0) {
                    throw reserved(pc);
                }
                op = switch (aluOp) {
                    case 0x00 -> Op.ADD64_IMM;
                    case 0x10 -> Op.SUB64_IMM;
                    case 0x20 -> Op.MUL64_IMM;
                    case 0x40 -> Op.OR64_IMM;
                    case 0x50 -> Op.AND64_IMM;
                    case 0x60 -> Op.LSH64_IMM;
                    case 0x70 -> Op.RSH64_IMM;
                    case 0xa0 -> Op.XOR64_IMM;
                    default -> Op.ARSH64_IMM;
                };
            }
        }
        // The 32-bit op of each pair sits at a fixed distance (ADD32_IMM - ADD64_IMM), the REG form one after.
        if (!is64) {
            op += Op.ADD32_IMM - Op.ADD64_IMM;
        }
        if (reg) {
            op += 1;
        }
        return Op.pack(op, dst, src, 0, imm);
    }

    private long jump(int pc, int code, int dst, int src, int off, int imm) {
        boolean is32 = (code & 7) == JMP32;
        boolean reg = (code & 0x08) != 0;
        int jmpOp = code & 0xf0;
        switch (jmpOp) {
            case 0x00 -> { // ja
                if (reg || dst != 0 || src != 0 || (is32 ? off != 0 : imm != 0)) {
                    throw reserved(pc);
                }
                return is32 ? Op.pack(Op.JA32, 0, 0, 0, imm) : Op.pack(Op.JA, 0, 0, off, 0);
            }
            case 0x80 -> { // call
                if (is32) {
                    throw invalid(pc, "unknown opcode 0x" + Integer.toHexString(code));
                }
                if (reg) {
                    if (src != 0 || off != 0 || imm != 0) {
                        throw reserved(pc);
                    }
                    return Op.pack(Op.CALLX, dst, 0, 0, 0);
                }
                if (dst != 0 || off != 0) {
                    throw reserved(pc);
                }
                return switch (src) {
                    case 0 -> {
                        if (!VmHelpers.exists(imm)) {
                            throw invalid(pc, VmHelpers.describe(imm) + " is not available in the VM");
                        }
                        yield Op.pack(Op.CALL_HELPER, 0, 0, 0, imm);
                    }
                    case PSEUDO_CALL -> {
                        target(pc, pc + 1L + imm);
                        yield Op.pack(Op.CALL_LOCAL, 0, 0, 0, imm);
                    }
                    case PSEUDO_KFUNC_CALL -> throw invalid(pc, "kfunc calls (BTF id " + imm + ") are not available in the VM");
                    default -> throw reserved(pc);
                };
            }
            case 0x90 -> { // exit
                if (is32 || reg || dst != 0 || src != 0 || off != 0 || imm != 0) {
                    throw is32 ? invalid(pc, "unknown opcode 0x" + Integer.toHexString(code)) : reserved(pc);
                }
                return Op.pack(Op.EXIT, 0, 0, 0, 0);
            }
            case 0xe0 -> { // may_goto
                if (is32 || reg || dst != 0 || src != 0 || imm != 0) {
                    throw is32 || reg ? invalid(pc, "unknown opcode 0x" + Integer.toHexString(code)) : reserved(pc);
                }
                return Op.pack(Op.MAY_GOTO, 0, 0, off, 0);
            }
            case 0xf0 -> throw invalid(pc, "unknown opcode 0x" + Integer.toHexString(code));
            default -> {
                if (reg ? imm != 0 : src != 0) {
                    throw reserved(pc);
                }
                int index = switch (jmpOp) {
                    case 0x10 -> 0; // jeq
                    case 0x20 -> 1; // jgt
                    case 0x30 -> 2; // jge
                    case 0x40 -> 3; // jset
                    case 0x50 -> 4; // jne
                    case 0x60 -> 5; // jsgt
                    case 0x70 -> 6; // jsge
                    case 0xa0 -> 7; // jlt
                    case 0xb0 -> 8; // jle
                    case 0xc0 -> 9; // jslt
                    default -> 10; // jsle
                };
                int op = (is32 ? Op.JEQ32_IMM : Op.JEQ_IMM) + 2 * index + (reg ? 1 : 0);
                return Op.pack(op, dst, src, off, imm);
            }
        }
    }

    private long ld(int pc, int code, int dst, int src, int off, int imm) {
        if (code == 0x18) {
            return lddw(pc, dst, src, off, imm);
        }
        int mode = code & 0xe0;
        int size = code & 0x18;
        if ((mode != 0x20 && mode != 0x40) || size == 0x18) {
            throw invalid(pc, "unknown opcode 0x" + Integer.toHexString(code));
        }
        if (dst != 0 || off != 0 || (mode == 0x20 && src != 0)) {
            throw reserved(pc);
        }
        if (!SkbContext.handles(type)) {
            throw invalid(pc, "legacy packet loads (BPF_ABS/BPF_IND) need a socket buffer program, not " + type);
        }
        int sizeIndex = size == 0x10 ? 0 : size == 0x08 ? 1 : 2;
        return Op.pack((mode == 0x20 ? Op.LD_ABS_B : Op.LD_IND_B) + sizeIndex, 0, src, 0, imm);
    }

    private long lddw(int pc, int dst, int src, int off, int imm) {
        if (pc + 1 >= raw.length) {
            throw invalid(pc, "64-bit immediate load has no second half");
        }
        long next = raw[pc + 1];
        if ((next & 0xffff_ffffL) != 0) {
            throw invalid(pc + 1, "second half of a 64-bit immediate load uses reserved fields");
        }
        if (off != 0) {
            throw reserved(pc);
        }
        writes(pc, dst);
        secondHalf[pc + 1] = true;
        int high = (int) (next >>> 32);
        long value = switch (src) {
            case 0 -> (imm & 0xffff_ffffL) | (long) high << 32;
            case PSEUDO_MAP_FD, PSEUDO_MAP_IDX -> {
                if (high != 0) {
                    throw reserved(pc);
                }
                yield map(pc, src, imm).address();
            }
            case PSEUDO_MAP_VALUE, PSEUDO_MAP_IDX_VALUE -> {
                VmMap map = map(pc, src, imm);
                long address = map.directValueAddress(high);
                if (address == 0) {
                    throw invalid(pc, "map '" + map.name() + "' (" + map.type() + ") has no value at offset " + high
                            + " to point to");
                }
                yield address;
            }
            case PSEUDO_FUNC -> {
                if (high != 0) {
                    throw reserved(pc);
                }
                yield Memory.address(Memory.FUNCTIONS, target(pc, pc + 1L + imm));
            }
            case PSEUDO_BTF_ID -> throw invalid(pc, "kernel symbol references (BTF id " + imm + ") are not available in the VM");
            default -> throw invalid(pc, "unknown 64-bit immediate kind (src " + src + ")");
        };
        out[pc + 1] = value;
        return Op.pack(Op.LDDW, dst, 0, 0, 0);
    }

    private VmMap map(int pc, int src, int imm) {
        int fd = imm;
        if (src == PSEUDO_MAP_IDX || src == PSEUDO_MAP_IDX_VALUE) {
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

    private long ldx(int pc, int code, int dst, int src, int off, int imm) {
        int mode = code & 0xe0;
        int size = code & 0x18;
        if (imm != 0) {
            throw reserved(pc);
        }
        writes(pc, dst);
        int sizeIndex = sizeIndex(size);
        if (mode == 0x60) {
            return Op.pack(Op.LDX_B + sizeIndex, dst, src, off, 0);
        }
        if (mode == 0x80 && size != 0x18) {
            return Op.pack(Op.LDXS_B + sizeIndex, dst, src, off, 0);
        }
        throw invalid(pc, "unknown opcode 0x" + Integer.toHexString(code));
    }

    private long st(int pc, int code, int dst, int src, int off, int imm) {
        if ((code & 0xe0) != 0x60) {
            throw invalid(pc, "unknown opcode 0x" + Integer.toHexString(code));
        }
        if (src != 0) {
            throw reserved(pc);
        }
        return Op.pack(Op.ST_B + sizeIndex(code & 0x18), dst, 0, off, imm);
    }

    private long stx(int pc, int code, int dst, int src, int off, int imm) {
        int mode = code & 0xe0;
        int size = code & 0x18;
        int sizeIndex = sizeIndex(size);
        if (mode == 0x60) {
            if (imm != 0) {
                throw reserved(pc);
            }
            return Op.pack(Op.STX_B + sizeIndex, dst, src, off, 0);
        }
        if (mode != 0xc0) {
            throw invalid(pc, "unknown opcode 0x" + Integer.toHexString(code));
        }
        switch (imm) {
            case Op.LOAD_ACQUIRE -> {
                writes(pc, dst);
                return Op.pack(Op.LOAD_ACQ_B + sizeIndex, dst, src, off, imm);
            }
            case Op.STORE_RELEASE -> {
                return Op.pack(Op.STORE_REL_B + sizeIndex, dst, src, off, imm);
            }
            default -> {
                if (size != 0x00 && size != 0x18) {
                    throw invalid(pc, "atomic operation 0x" + Integer.toHexString(imm) + " on a "
                            + (size == 0x10 ? "byte" : "half word"));
                }
                boolean dw = size == 0x18;
                int rmw = imm & ~Op.ATOMIC_FETCH;
                if (imm == Op.ATOMIC_CMPXCHG) {
                    return Op.pack(dw ? Op.CMPXCHG_DW : Op.CMPXCHG_W, dst, src, off, imm);
                }
                if (imm == Op.ATOMIC_XCHG
                        || rmw == Op.ATOMIC_ADD || rmw == Op.ATOMIC_OR || rmw == Op.ATOMIC_AND || rmw == Op.ATOMIC_XOR) {
                    return Op.pack(dw ? Op.ATOMIC_DW : Op.ATOMIC_W, dst, src, off, imm);
                }
                throw invalid(pc, "unknown atomic operation 0x" + Integer.toHexString(imm));
            }
        }
    }

    /** B, H, W, DW as 0..3, in the order the Op constants use. */
    private static int sizeIndex(int size) {
        return switch (size) {
            case 0x10 -> 0;
            case 0x08 -> 1;
            case 0x00 -> 2;
            default -> 3;
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
            if (op == Op.JA32) {
                t = pc + 1L + Op.imm(insn);
            } else if (op == Op.CALL_LOCAL) {
                t = pc + 1L + Op.imm(insn);
            } else if (op == Op.JA || op == Op.MAY_GOTO || op >= Op.JEQ_IMM && op <= Op.JSLE32_REG) {
                t = pc + 1L + Op.off(insn);
            } else if (op == Op.LDDW && Memory.regionId(out[pc + 1]) == Memory.FUNCTIONS
                    && (raw[pc] >>> 12 & 0xf) == PSEUDO_FUNC) {
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

    private VmException reserved(int pc) {
        return invalid(pc, "instruction uses reserved fields");
    }

    private VmException invalid(int pc, String what) {
        String where = "program '" + name + "': ";
        VmException e = VmException.of(VmException.Kind.INVALID_PROGRAM, where + what);
        return pc < 0 ? e : e.at(pc, hex(raw[pc]));
    }
}
