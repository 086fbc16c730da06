package io.bpf4j.vm;

/**
 * The interpreter's operations: one dense number per distinct behaviour, so the
 * interpreter dispatches with a single switch and never looks at an instruction's
 * offset or immediate to find out what to do (sdiv vs div, movsx vs mov, bswap width).
 * {@link Decoder} maps each BPF instruction to one of these.
 */
final class Op {
    private Op() {}

    // ALU64, immediate operand (sign-extended) and register operand.
    static final int ADD64_IMM = 0, ADD64_REG = 1, SUB64_IMM = 2, SUB64_REG = 3, MUL64_IMM = 4, MUL64_REG = 5;
    static final int DIV64_IMM = 6, DIV64_REG = 7, SDIV64_IMM = 8, SDIV64_REG = 9, OR64_IMM = 10, OR64_REG = 11;
    static final int AND64_IMM = 12, AND64_REG = 13, LSH64_IMM = 14, LSH64_REG = 15, RSH64_IMM = 16, RSH64_REG = 17;
    static final int NEG64 = 18, MOD64_IMM = 19, MOD64_REG = 20, SMOD64_IMM = 21, SMOD64_REG = 22;
    static final int XOR64_IMM = 23, XOR64_REG = 24, MOV64_IMM = 25, MOV64_REG = 26;
    static final int MOVSX64_8 = 27, MOVSX64_16 = 28, MOVSX64_32 = 29, ARSH64_IMM = 30, ARSH64_REG = 31;

    // ALU32: results zero-extended to 64 bits.
    static final int ADD32_IMM = 32, ADD32_REG = 33, SUB32_IMM = 34, SUB32_REG = 35, MUL32_IMM = 36, MUL32_REG = 37;
    static final int DIV32_IMM = 38, DIV32_REG = 39, SDIV32_IMM = 40, SDIV32_REG = 41, OR32_IMM = 42, OR32_REG = 43;
    static final int AND32_IMM = 44, AND32_REG = 45, LSH32_IMM = 46, LSH32_REG = 47, RSH32_IMM = 48, RSH32_REG = 49;
    static final int NEG32 = 50, MOD32_IMM = 51, MOD32_REG = 52, SMOD32_IMM = 53, SMOD32_REG = 54;
    static final int XOR32_IMM = 55, XOR32_REG = 56, MOV32_IMM = 57, MOV32_REG = 58;
    static final int MOVSX32_8 = 59, MOVSX32_16 = 60, /* 61: no 32-bit movsx from 32 bits */ ARSH32_IMM = 62, ARSH32_REG = 63;

    // Byte order: to-little-endian on a little-endian machine truncates; to-big-endian and bswap swap.
    static final int ZEXT16 = 64, ZEXT32 = 65, NOP = 66, BSWAP16 = 67, BSWAP32 = 68, BSWAP64 = 69;

    // Jumps. JMP compares 64-bit values, JMP32 the low 32 bits; IMM is sign-extended for JMP.
    static final int JA = 70, JA32 = 71;
    static final int JEQ_IMM = 72, JEQ_REG = 73, JGT_IMM = 74, JGT_REG = 75, JGE_IMM = 76, JGE_REG = 77;
    static final int JSET_IMM = 78, JSET_REG = 79, JNE_IMM = 80, JNE_REG = 81, JSGT_IMM = 82, JSGT_REG = 83;
    static final int JSGE_IMM = 84, JSGE_REG = 85, JLT_IMM = 86, JLT_REG = 87, JLE_IMM = 88, JLE_REG = 89;
    static final int JSLT_IMM = 90, JSLT_REG = 91, JSLE_IMM = 92, JSLE_REG = 93;
    static final int JEQ32_IMM = 94, JEQ32_REG = 95, JGT32_IMM = 96, JGT32_REG = 97, JGE32_IMM = 98, JGE32_REG = 99;
    static final int JSET32_IMM = 100, JSET32_REG = 101, JNE32_IMM = 102, JNE32_REG = 103;
    static final int JSGT32_IMM = 104, JSGT32_REG = 105, JSGE32_IMM = 106, JSGE32_REG = 107;
    static final int JLT32_IMM = 108, JLT32_REG = 109, JLE32_IMM = 110, JLE32_REG = 111;
    static final int JSLT32_IMM = 112, JSLT32_REG = 113, JSLE32_IMM = 114, JSLE32_REG = 115;
    static final int CALL_HELPER = 116, CALL_LOCAL = 117, CALLX = 118, EXIT = 119, MAY_GOTO = 120;

    // Memory. LDXS sign-extends. The 64-bit immediate of LDDW sits in the following slot.
    static final int LDX_B = 121, LDX_H = 122, LDX_W = 123, LDX_DW = 124, LDXS_B = 125, LDXS_H = 126, LDXS_W = 127;
    static final int ST_B = 128, ST_H = 129, ST_W = 130, ST_DW = 131, STX_B = 132, STX_H = 133, STX_W = 134, STX_DW = 135;
    static final int ATOMIC_W = 136, ATOMIC_DW = 137, CMPXCHG_W = 138, CMPXCHG_DW = 139;
    static final int LOAD_ACQ_B = 140, LOAD_ACQ_H = 141, LOAD_ACQ_W = 142, LOAD_ACQ_DW = 143;
    static final int STORE_REL_B = 144, STORE_REL_H = 145, STORE_REL_W = 146, STORE_REL_DW = 147;
    static final int LDDW = 148;
    // Legacy packet access of socket filters (BPF_LD | BPF_ABS / BPF_IND), big-endian.
    static final int LD_ABS_B = 149, LD_ABS_H = 150, LD_ABS_W = 151, LD_IND_B = 152, LD_IND_H = 153, LD_IND_W = 154;

    // The immediates of BPF_ATOMIC that the interpreter and the atomics look at.
    static final int ATOMIC_ADD = 0x00, ATOMIC_OR = 0x40, ATOMIC_AND = 0x50, ATOMIC_XOR = 0xa0;
    static final int ATOMIC_FETCH = 0x01, ATOMIC_XCHG = 0xe1;

    /** Packs a decoded instruction: op, registers, offset and immediate in one long. */
    static long pack(int op, int dst, int src, int off, int imm) {
        return (op & 0xff) | (dst & 0xf) << 8 | (src & 0xf) << 12 | (off & 0xffffL) << 16 | (long) imm << 32;
    }

    static int op(long insn) {
        return (int) insn & 0xff;
    }

    static int dst(long insn) {
        return (int) (insn >>> 8) & 0xf;
    }

    static int src(long insn) {
        return (int) (insn >>> 12) & 0xf;
    }

    static int off(long insn) {
        return (short) (insn >>> 16);
    }

    static int imm(long insn) {
        return (int) (insn >>> 32);
    }
}
