package io.bpf4j.bcc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The histograms against BCC itself: each case is printed by BCC's own {@code
 * bcc.table._print_log2_hist} / {@code _print_linear_hist} (Debian's python3-bpfcc, run live)
 * and by bpf4j, and the texts must be equal.
 */
class HistogramTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    // Reads cases "kind|valType|strip|c0,c1,..." from stdin; prints BCC's text of each, cases separated by \0.
    private static final String ORACLE = """
            import sys, io, contextlib
            import bcc.table as t
            out = []
            for line in sys.stdin.read().split("\\n"):
                if not line:
                    continue
                kind, val_type, strip, counts = line.split("|")
                vals = [int(c) for c in counts.split(",")] if counts else []
                buf = io.StringIO()
                with contextlib.redirect_stdout(buf):
                    f = t._print_log2_hist if kind == "log2" else t._print_linear_hist
                    f(vals, val_type, strip == "1")
                out.append(buf.getvalue())
            sys.stdout.write("\\0".join(out))
            """;

    private record Case(String kind, String valType, boolean strip, long[] counts) {
        String line() {
            return kind + "|" + valType + "|" + (strip ? "1" : "0") + "|"
                    + Arrays.stream(counts).mapToObj(Long::toUnsignedString).collect(Collectors.joining(","));
        }

        String bpf4j() {
            return kind.equals("log2") ? HistogramText.log2(counts, valType, strip) : HistogramText.linear(counts, valType, strip);
        }
    }

    @Test
    void equalsBccOutput() throws Exception {
        assumeTrue(bccAvailable(), "BCC's python module (python3-bpfcc) is not installed: no oracle");
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("log2", "usecs", false, new long[Log2Histogram.SLOTS]));
        cases.add(new Case("log2", "usecs", false, slots(0, 5)));
        cases.add(new Case("log2", "usecs", false, slots(1, 1)));
        cases.add(new Case("log2", "msecs", false, slots(1, 3, 2, 7, 5, 100, 9, 1)));
        cases.add(new Case("log2", "usecs", true, slots(20, 4, 21, 40, 23, 1)));
        cases.add(new Case("log2", "kbytes", false, slots(32, 1)));
        cases.add(new Case("log2", "nsecs", false, slots(33, 1, 2, 9)));
        cases.add(new Case("log2", "nsecs", false, slots(64, -1L, 63, Long.MAX_VALUE, 3, 1)));
        cases.add(new Case("log2", "a value type name longer than the column", false, slots(3, 7)));
        cases.add(new Case("linear", "msecs", false, new long[10]));
        cases.add(new Case("linear", "msecs", false, new long[] {0, 1, 5, 100, 3}));
        cases.add(new Case("linear", "queue", true, new long[] {0, 0, 0, 7, 0, 3}));
        cases.add(new Case("linear", "x", false, new long[] {4}));
        Random random = new Random(42);
        for (int i = 0; i < 200; i++) {
            boolean log2 = random.nextBoolean();
            long[] counts = new long[log2 ? Log2Histogram.SLOTS : 1 + random.nextInt(60)];
            int filled = random.nextInt(counts.length);
            for (int j = 0; j < filled; j++) {
                int slot = random.nextInt(log2 ? 40 : counts.length);
                counts[slot] = random.nextInt(4) == 0 ? random.nextLong(1L << 40) : random.nextInt(1000);
            }
            cases.add(new Case(log2 ? "log2" : "linear", "usecs", random.nextInt(4) == 0, counts));
        }
        String[] expected = oracle(cases.stream().map(Case::line).collect(Collectors.joining("\n"))).split("\0", -1);
        assertEquals(cases.size(), expected.length);
        for (int i = 0; i < cases.size(); i++) {
            assertEquals(expected[i], cases.get(i).bpf4j(), "case " + cases.get(i).line());
        }
    }

    @Test
    void slotsAreBccLog2l() {
        assertEquals(1, Log2Histogram.slot(0));
        assertEquals(1, Log2Histogram.slot(1));
        assertEquals(2, Log2Histogram.slot(2));
        assertEquals(2, Log2Histogram.slot(3));
        assertEquals(3, Log2Histogram.slot(4));
        assertEquals(11, Log2Histogram.slot(1024));
        assertEquals(64, Log2Histogram.slot(-1L));
    }

    @Test
    void accumulatesFromJava() {
        Log2Histogram h = new Log2Histogram();
        for (long v : new long[] {0, 1, 2, 3, 900, 1000}) {
            h.add(v);
        }
        assertEquals(2, h.count(1));
        assertEquals(2, h.count(10));
        assertEquals(6, h.total());
        assertEquals(HistogramText.log2(h.counts(), "usecs", false), h.format("usecs"));
        LinearHistogram l = new LinearHistogram();
        l.add(3);
        l.add(300, 2);
        assertEquals(2, l.count(300));
        assertEquals(0, l.count(1000));
        assertThrows(IllegalArgumentException.class, () -> l.add(LinearHistogram.MAX_SLOTS));
        assertThrows(IllegalArgumentException.class, () -> h.add(65, 1));
    }

    private static long[] slots(long... slotCountPairs) {
        long[] counts = new long[Log2Histogram.SLOTS];
        for (int i = 0; i < slotCountPairs.length; i += 2) {
            counts[(int) slotCountPairs[i]] = slotCountPairs[i + 1];
        }
        return counts;
    }

    private static boolean bccAvailable() throws IOException, InterruptedException {
        if (!Files.isExecutable(PYTHON)) {
            return false;
        }
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import bcc.table").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor() == 0;
    }

    private static String oracle(String input) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", ORACLE).start();
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), err);
        return out;
    }
}
