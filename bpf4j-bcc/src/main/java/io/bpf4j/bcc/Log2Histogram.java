package io.bpf4j.bcc;

import java.util.Arrays;

/**
 * Counts in power-of-two slots, printed as BCC's {@code print_log2_hist} prints them. Slot
 * {@code i} (1 to 64) counts values from {@code 2^(i-1)} to {@code 2^i - 1}; slot 1 also counts
 * 0, as BCC's {@code bpf_log2l} puts 0 there. A BPF program usually fills the slots in a map
 * and {@link Table#log2Histogram} reads them; {@link #add} fills them from Java.
 *
 * <pre>{@code
 * Log2Histogram h = new Log2Histogram();
 * for (long usecs : latencies) h.add(usecs);
 * System.out.print(h.format("usecs"));
 * //      usecs               : count     distribution
 * //          0 -> 1          : 3        |****************************************|
 * }</pre>
 */
public final class Log2Histogram extends Histogram {
    /** Slots 0 to 64: enough for every unsigned 64-bit value. */
    public static final int SLOTS = 65;

    private final long[] counts = new long[SLOTS];

    /** The slot of {@code value} (unsigned), as BCC's {@code bpf_log2l}: 1 for 0 and 1, 2 for 2 and 3, 3 for 4 to 7... */
    public static int slot(long value) {
        return value == 0 ? 1 : 64 - Long.numberOfLeadingZeros(value);
    }

    /** Counts one {@code value}. */
    public void add(long value) {
        counts[slot(value)]++;
    }

    /** Adds {@code count} to slot {@code slot}. */
    public void add(int slot, long count) {
        if (slot < 0 || slot >= SLOTS) {
            throw new IllegalArgumentException("log2 slot " + slot + " is outside 0.." + (SLOTS - 1));
        }
        counts[slot] += count;
    }

    /** The count of slot {@code slot}. */
    public long count(int slot) {
        return counts[slot];
    }

    /** Sum of all slots. */
    public long total() {
        return Arrays.stream(counts).sum();
    }

    @Override
    long[] slots() {
        return counts;
    }

    @Override
    String text(long[] slots, String valType, boolean stripLeadingZero) {
        return HistogramText.log2(slots, valType, stripLeadingZero);
    }
}
