package io.bpf4j.vm;

/**
 * Internet checksum arithmetic as the kernel's helpers do it on x86-64 (32-bit
 * ones'-complement sums, {@code csum_partial} over little-endian words, folding). Values
 * are in memory order loaded natively, as the helpers receive them.
 */
final class Checksum {
    private static final long M32 = 0xffff_ffffL;

    private Checksum() {}

    static int add(int a, int b) {
        long r = (a & M32) + (b & M32);
        return (int) ((r & M32) + (r >>> 32));
    }

    static int sub(int a, int b) {
        return add(a, ~b);
    }

    /** csum_fold: 32 bits to a complemented 16-bit checksum. */
    static int fold(int sum) {
        long s = (sum & 0xffffL) + ((sum & M32) >>> 16);
        s = (s & 0xffff) + (s >>> 16);
        return (int) (~s & 0xffff);
    }

    /** csum_partial (x86-64): little-endian 64-bit words, the last one zero-padded, with a seed. */
    static int partial(byte[] b, int off, int len, int seed) {
        long sum = seed & M32;
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            sum = add64(sum, Memory.getLong(b, off + i));
        }
        long tail = 0;
        for (int j = len - 1; j >= i; j--) {
            tail = tail << 8 | (b[off + j] & 0xff);
        }
        sum = add64(sum, tail);
        return add((int) (sum >>> 32), (int) sum);
    }

    private static long add64(long a, long b) {
        long r = a + b;
        return Long.compareUnsigned(r, a) < 0 ? r + 1 : r;
    }

    /** csum_from32to16. */
    static int from32to16(int sum) {
        int s = sum + Integer.rotateLeft(sum, 16);
        return s >>> 16;
    }

    /** bpf_csum_diff (Linux 6.13 and later): the 16-bit difference of two buffers of any length, seeded. */
    static int diff(byte[] from, int fromOff, int fromSize, byte[] to, int toOff, int toSize, int seed) {
        if (fromSize > 0 && toSize > 0) {
            return from32to16(sub(partial(to, toOff, toSize, seed), partial(from, fromOff, fromSize, 0)));
        }
        if (toSize > 0) {
            return from32to16(partial(to, toOff, toSize, seed));
        }
        if (fromSize > 0) {
            return from32to16(~partial(from, fromOff, fromSize, ~seed));
        }
        return seed;
    }

    /**
     * The checksum {@code sum} after a field changed from {@code from} to {@code to}:
     * csum_replace4 for 4-byte fields, csum_replace2 (16-bit arithmetic) for 2-byte
     * fields of the l3 helper, csum_replace_by_diff when {@code size} is 0 ({@code to} is a diff).
     */
    static int replace(int sum, long from, long to, int size, boolean l3) {
        return switch (size) {
            case 0 -> fold(add((int) to, ~sum));
            case 2 -> l3 ? ~add16(add16(~sum & 0xffff, ~(int) from & 0xffff), (int) to & 0xffff) & 0xffff
                    : fold(add(sub(~sum, (int) (from & 0xffff)), (int) (to & 0xffff)));
            default -> fold(add(sub(~sum, (int) from), (int) to));
        };
    }

    private static int add16(int a, int b) {
        int r = (a + b) & 0xffff;
        return r < b ? r + 1 : r;
    }
}
