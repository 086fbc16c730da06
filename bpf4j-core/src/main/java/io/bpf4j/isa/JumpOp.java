package io.bpf4j.isa;

/** Operations of the JMP and JMP32 classes, {@code opcode & 0xf0} (RFC 9669 4.3). */
public enum JumpOp {
    JA(0x00, null),
    JEQ(0x10, "=="),
    JGT(0x20, ">"),
    JGE(0x30, ">="),
    JSET(0x40, "&"),
    JNE(0x50, "!="),
    JSGT(0x60, "s>"),
    JSGE(0x70, "s>="),
    CALL(0x80, null),
    EXIT(0x90, null),
    JLT(0xa0, "<"),
    JLE(0xb0, "<="),
    JSLT(0xc0, "s<"),
    JSLE(0xd0, "s<="),
    /** Kernel extension beyond RFC 9669: {@code may_goto} (the {@code can_loop} macro). */
    JCOND(0xe0, null);

    private final int code;
    private final String operator;

    JumpOp(int code, String operator) {
        this.code = code;
        this.operator = operator;
    }

    /** The operation bits, {@code opcode & 0xf0}. */
    public int code() {
        return code;
    }

    /** True for the comparisons that jump when a condition holds. */
    public boolean isConditional() {
        return operator != null;
    }

    /** The comparison operator of LLVM's and the kernel's syntax, e.g. {@code s<=}; null if unconditional. */
    public String operator() {
        return operator;
    }

    private static final JumpOp[] BY_CODE = new JumpOp[16];

    static {
        for (JumpOp op : values()) {
            BY_CODE[op.code >> 4] = op;
        }
    }

    /** The operation of an opcode, or null for the unassigned code 0xf0. */
    static JumpOp of(int opcode) {
        return BY_CODE[(opcode & 0xf0) >> 4];
    }
}
