package io.bpf4j.isa;

/**
 * Atomic operations of {@code STX | ATOMIC}, selected by the immediate (RFC 9669 5.3), plus the
 * kernel's load-acquire and store-release.
 */
public enum AtomicOp {
    ADD(0x00),
    OR(0x40),
    AND(0x50),
    XOR(0xa0),
    FETCH_ADD(0x01),
    FETCH_OR(0x41),
    FETCH_AND(0x51),
    FETCH_XOR(0xa1),
    /** Exchange: always fetches. */
    XCHG(0xe1),
    /** Compare {@code r0} with memory and exchange if equal; the old value lands in {@code r0}. */
    CMPXCHG(0xf1),
    /** {@code dst = load_acquire(*(size *)(src + off))}; kernel extension, any size. */
    LOAD_ACQUIRE(0x100),
    /** {@code store_release(*(size *)(dst + off), src)}; kernel extension, any size. */
    STORE_RELEASE(0x110);

    private final int imm;

    AtomicOp(int imm) {
        this.imm = imm;
    }

    /** The immediate that selects this operation. */
    public int imm() {
        return imm;
    }

    /** True if the old memory value is returned (into {@code src}, or {@code r0} for cmpxchg). */
    public boolean fetches() {
        return (imm & 0x01) != 0;
    }

    /** True for read-modify-write operations, which exist only for 32- and 64-bit sizes. */
    public boolean isReadModifyWrite() {
        return imm < 0x100;
    }

    private static final AtomicOp[] ALL = values();

    /** The operation an immediate selects, or null. */
    static AtomicOp of(int imm) {
        for (AtomicOp op : ALL) {
            if (op.imm == imm) {
                return op;
            }
        }
        return null;
    }
}
