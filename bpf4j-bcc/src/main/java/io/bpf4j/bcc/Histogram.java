package io.bpf4j.bcc;

/**
 * Counts in slots, printed as BCC prints its histograms: {@link Log2Histogram} (power-of-two
 * slots, {@code print_log2_hist}) or {@link LinearHistogram} ({@code print_linear_hist}).
 *
 * <pre>{@code
 * Histogram h = bpf.table("dist", Integer.class, Long.class).log2Histogram();
 * System.out.print(h.format("usecs"));
 * }</pre>
 */
public abstract sealed class Histogram permits Log2Histogram, LinearHistogram {
    Histogram() {}

    /** The counts as they are held, indexed by slot (not a copy). */
    abstract long[] slots();

    /** The text of {@code counts} with {@code valType} heading the value column. */
    abstract String text(long[] counts, String valType, boolean stripLeadingZero);

    /** A copy of the counts, indexed by slot. */
    public long[] counts() {
        return slots().clone();
    }

    /** The histogram as BCC prints it, with {@code valType} (e.g. {@code "usecs"}) heading the value column. */
    public String format(String valType) {
        return format(valType, false);
    }

    /** As {@link #format(String)}; with {@code stripLeadingZero}, empty slots before the first count are left out. */
    public String format(String valType, boolean stripLeadingZero) {
        return text(slots(), valType, stripLeadingZero);
    }

    @Override
    public String toString() {
        return format("value");
    }
}
