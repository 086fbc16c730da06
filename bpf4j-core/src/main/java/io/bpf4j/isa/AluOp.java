package io.bpf4j.isa;

/**
 * Arithmetic operations of the ALU and ALU64 classes. The signed variants share their
 * opcode with the unsigned ones and are told apart by the offset field (RFC 9669 4.1).
 * Byte swaps, sign-extending moves and address-space casts have their own instruction types.
 */
public enum AluOp {
    ADD(0x00, 0, "+="),
    SUB(0x10, 0, "-="),
    MUL(0x20, 0, "*="),
    DIV(0x30, 0, "/="),
    SDIV(0x30, 1, "s/="),
    OR(0x40, 0, "|="),
    AND(0x50, 0, "&="),
    LSH(0x60, 0, "<<="),
    RSH(0x70, 0, ">>="),
    NEG(0x80, 0, "= -"),
    MOD(0x90, 0, "%="),
    SMOD(0x90, 1, "s%="),
    XOR(0xa0, 0, "^="),
    MOV(0xb0, 0, "="),
    ARSH(0xc0, 0, "s>>=");

    private final int code;
    private final int offset;
    private final String operator;

    AluOp(int code, int offset, String operator) {
        this.code = code;
        this.offset = offset;
        this.operator = operator;
    }

    /** The operation bits, {@code opcode & 0xf0}. */
    public int code() {
        return code;
    }

    /** The offset field that selects this operation: 1 for the signed division and modulo, else 0. */
    public int offset() {
        return offset;
    }

    /** The C-like operator of LLVM's and the kernel's syntax, e.g. {@code +=}. */
    public String operator() {
        return operator;
    }

    /** Indexed by {@code code >> 4}, then by offset 0 or 1. */
    private static final AluOp[][] BY_CODE = new AluOp[16][2];

    static {
        for (AluOp op : values()) {
            BY_CODE[op.code >> 4][op.offset] = op;
        }
    }

    /** The operation of an opcode and offset field, or null if there is none. */
    static AluOp of(int code, int offset) {
        return offset == 0 || offset == 1 ? BY_CODE[(code & 0xf0) >> 4][offset] : null;
    }
}
