package io.bpf4j.bcc;

/**
 * BCC's text histograms ({@code print_log2_hist}, {@code print_linear_hist}), character for
 * character: the same headers, column widths, 40-character star bars (20 when a log2
 * histogram reaches past slot 32) and the same rounding of bar lengths. Counts are unsigned
 * 64-bit, as BPF maps hold them.
 */
final class HistogramText {
    private static final int STARS_MAX = 40;

    private HistogramText() {}

    static String log2(long[] counts, String valType, boolean stripLeadingZero) {
        int idxMax = lastNonZero(counts);
        long valMax = max(counts);
        boolean wide = idxMax > 32;
        int stars = wide ? STARS_MAX / 2 : STARS_MAX;
        StringBuilder out = new StringBuilder();
        if (idxMax > 0) {
            out.append(wide ? "               " + pad(valType, 29) : "     " + pad(valType, 19)).append(" : count     distribution\n");
        }
        boolean strip = stripLeadingZero;
        for (int i = 1; i <= idxMax; i++) {
            // slot i holds [2^(i-1), 2^i - 1]; slot 1 also holds 0
            long low = i == 1 ? 0 : 1L << (i - 1);
            long high = i == 64 ? -1L : (1L << i) - 1;
            long val = counts[i];
            if (strip && val == 0) {
                continue;
            }
            strip = false;
            int width = wide ? 20 : 10;
            out.append(padLeft(Long.toUnsignedString(low), width)).append(" -> ").append(pad(Long.toUnsignedString(high), width))
                    .append(" : ").append(pad(Long.toUnsignedString(val), 8)).append(" |").append(pad(stars(val, valMax, stars), stars))
                    .append("|\n");
        }
        return out.toString();
    }

    static String linear(long[] counts, String valType, boolean stripLeadingZero) {
        int idxMax = lastNonZero(counts);
        long valMax = max(counts);
        StringBuilder out = new StringBuilder();
        if (idxMax >= 0) {
            out.append("     ").append(pad(valType, 13)).append(" : count     distribution\n");
        }
        boolean strip = stripLeadingZero;
        for (int i = 0; i <= idxMax; i++) {
            long val = counts[i];
            if (strip && val == 0) {
                continue;
            }
            strip = false;
            out.append("        ").append(pad(Integer.toString(i), 10)).append(" : ").append(pad(Long.toUnsignedString(val), 8))
                    .append(" |").append(pad(stars(val, valMax, STARS_MAX), STARS_MAX)).append("|\n");
        }
        return out.toString();
    }

    /** As many stars as BCC's {@code _stars}: {@code width * val / max} rounded down, at most {@code width}. */
    static String stars(long val, long max, int width) {
        double scaled = width * unsigned(val) / unsigned(max);
        StringBuilder s = new StringBuilder();
        for (int i = 0; !(i > scaled - 1) && i <= width - 1; i++) {
            s.append('*');
        }
        return s.toString();
    }

    private static double unsigned(long v) {
        return v >= 0 ? v : (v >>> 1) * 2.0 + (v & 1);
    }

    private static int lastNonZero(long[] counts) {
        for (int i = counts.length - 1; i >= 0; i--) {
            if (counts[i] != 0) {
                return i;
            }
        }
        return -1;
    }

    private static long max(long[] counts) {
        long m = 0;
        for (long c : counts) {
            if (Long.compareUnsigned(c, m) > 0) {
                m = c;
            }
        }
        return m;
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    private static String padLeft(String s, int width) {
        return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
    }
}
