package io.bpf4j.isa;

/** The eight instruction classes: the low three bits of an opcode (RFC 9669 section 3). */
public enum InstructionClass {
    LD(0x00),
    LDX(0x01),
    ST(0x02),
    STX(0x03),
    ALU(0x04),
    JMP(0x05),
    JMP32(0x06),
    ALU64(0x07);

    private static final InstructionClass[] BY_CODE = values();

    private final int code;

    InstructionClass(int code) {
        this.code = code;
    }

    /** The class bits, {@code opcode & 0x07}. */
    public int code() {
        return code;
    }

    /** The class of an opcode. */
    public static InstructionClass of(int opcode) {
        return BY_CODE[opcode & 0x07];
    }
}
