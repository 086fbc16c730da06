package io.bpf4j.isa;

/** Access sizes of loads and stores, {@code opcode & 0x18}. */
public enum Size {
    W(0x00, 4),
    H(0x08, 2),
    B(0x10, 1),
    DW(0x18, 8);

    private final int code;
    private final int bytes;

    Size(int code, int bytes) {
        this.code = code;
        this.bytes = bytes;
    }

    /** The size bits, {@code opcode & 0x18}. */
    public int code() {
        return code;
    }

    /** Number of bytes accessed. */
    public int bytes() {
        return bytes;
    }

    /** The size of an opcode. */
    public static Size of(int opcode) {
        return switch (opcode & 0x18) {
            case 0x00 -> W;
            case 0x08 -> H;
            case 0x10 -> B;
            default -> DW;
        };
    }
}
