package io.bpf4j.isa;

/** Addressing modes of the load and store classes, {@code opcode & 0xe0}. */
public enum Mode {
    /** 64-bit immediate load ({@code lddw}), class LD only. */
    IMM(0x00),
    /** Legacy packet access at a constant offset, class LD only. */
    ABS(0x20),
    /** Legacy packet access at a register plus constant offset, class LD only. */
    IND(0x40),
    MEM(0x60),
    /** Sign-extending load, class LDX only (ISA v4). */
    MEMSX(0x80),
    /** Atomic operations, class STX only. */
    ATOMIC(0xc0);

    private final int code;

    Mode(int code) {
        this.code = code;
    }

    /** The mode bits, {@code opcode & 0xe0}. */
    public int code() {
        return code;
    }

    private static final Mode[] BY_CODE = new Mode[8];

    static {
        for (Mode m : values()) {
            BY_CODE[m.code >> 5] = m;
        }
    }

    /** The mode of an opcode, or null for the unassigned codes 0xa0 and 0xe0. */
    public static Mode of(int opcode) {
        return BY_CODE[(opcode & 0xe0) >> 5];
    }
}
