package io.bpf4j.bcc;

import java.util.Arrays;

/**
 * Counts in slots of width one (0, 1, 2...), printed as BCC's {@code print_linear_hist}
 * prints them. A BPF program usually fills the slots in a map and
 * {@link Table#linearHistogram} reads them; {@link #add} fills them from Java.
 *
 * <pre>{@code
 * LinearHistogram h = new LinearHistogram();
 * h.add(3);
 * System.out.print(h.format("queue length"));
 * }</pre>
 */
public final class LinearHistogram extends Histogram {
    /** BCC's limit on linear slots. */
    public static final int MAX_SLOTS = 1025;

    private long[] counts = new long[16];

    /** Counts one value (a slot number, 0 to {@link #MAX_SLOTS} - 1). */
    public void add(int value) {
        add(value, 1);
    }

    /** Adds {@code count} to slot {@code slot}. */
    public void add(int slot, long count) {
        if (slot < 0 || slot >= MAX_SLOTS) {
            throw new IllegalArgumentException("linear slot " + slot + " is outside 0.." + (MAX_SLOTS - 1));
        }
        if (slot >= counts.length) {
            counts = Arrays.copyOf(counts, Math.min(MAX_SLOTS, Math.max(slot + 1, counts.length * 2)));
        }
        counts[slot] += count;
    }

    /** The count of slot {@code slot} (0 past the highest slot counted). */
    public long count(int slot) {
        return slot < counts.length ? counts[slot] : 0;
    }

    @Override
    long[] slots() {
        return counts;
    }

    @Override
    String text(long[] slots, String valType, boolean stripLeadingZero) {
        return HistogramText.linear(slots, valType, stripLeadingZero);
    }
}
