package io.bpf4j.kernel;

import io.bpf4j.MapType;
import io.bpf4j.kernel.testing.NetNamespace;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Ring buffer consumption, bpf4j's {@link RingBufferReader} against libbpf's
 * {@code ring_buffer__poll} ({@code src/test/c/ringbuf_bench.c}, compiled here with gcc), in
 * the same run, on the same ring and the same producer, taking turns: an XDP program run with
 * test_run that writes one 8-byte record (16 bytes with its header) per run. Two measures, each the median of alternating rounds after warm-up rounds (which also
 * take the page faults of a fresh mapping out of the measure, for both):
 * <b>drain</b>, consuming a ring the producer filled beforehand (the consumer's own speed),
 * and <b>live</b>, consuming while the producer writes (records per second from the first to
 * the last, and how many the full ring refused). Prints both rates and their ratio. Run with
 * {@code scripts/bench-ringbuf}.
 */
public final class RingBufferBenchmarkMain {
    private static final int RECORDS = 1_000_000;
    private static final int RING = 1 << 25;
    private static final int WARMUP = 5;
    private static final int ROUNDS = 15;

    private RingBufferBenchmarkMain() {}

    /**
     * One round: records consumed, their sum, seconds, and records the ring refused; for a
     * drain, {@code expectedSum} is what the sum must be (the round's sequence numbers each once).
     */
    record Round(long records, long sum, double seconds, long lost, long expectedSum) {
        double rate() {
            return records / seconds;
        }
    }

    /** A consumer under test, with its own ring and producer. */
    private interface Consumer extends AutoCloseable {
        Round drain() throws Exception;

        Round live() throws Exception;

        @Override
        void close() throws Exception;
    }

    /** Counts and sums records, the same work as the C callback. */
    private static final class Tally {
        long records;
        long sum;
        long first;
        long last;

        void onRecord(MemorySegment r) {
            sum += r.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            records++;
        }
    }

    private static final class Bpf4j implements Consumer {
        final SequenceProducer producer;
        final RingBufferReader reader = new RingBufferReader();
        final Tally tally = new Tally();

        Bpf4j(KernelMap ring, SequenceProducer producer) {
            this.producer = producer;
            reader.add(ring, tally::onRecord);
        }

        @Override
        public Round drain() {
            long lost = producer.lost();
            long expected = expectedSum(producer);
            producer.run(RECORDS);
            tally.records = 0;
            tally.sum = 0;
            long start = System.nanoTime();
            while (tally.records < RECORDS && reader.poll(Duration.ofSeconds(1)) > 0) {
                // consuming
            }
            return new Round(tally.records, tally.sum, (System.nanoTime() - start) / 1e9, producer.lost() - lost, expected);
        }

        @Override
        public Round live() throws InterruptedException {
            long lost = producer.lost();
            tally.records = 0;
            tally.sum = 0;
            Thread consumer = Thread.ofPlatform().start(() -> {
                long idleSince = System.nanoTime();
                while (tally.records < RECORDS && System.nanoTime() - idleSince < 1_000_000_000L) {
                    long before = tally.records;
                    reader.poll(Duration.ofMillis(100));
                    if (tally.records > before) {
                        long t = System.nanoTime();
                        if (before == 0) {
                            tally.first = t;
                        }
                        tally.last = t;
                        idleSince = t;
                    }
                }
            });
            producer.run(RECORDS);
            consumer.join();
            return new Round(tally.records, tally.sum, (tally.last - tally.first) / 1e9, producer.lost() - lost, 0);
        }

        @Override
        public void close() {
            reader.close();
        }
    }

    private static final class Libbpf implements Consumer {
        final SequenceProducer producer;
        final Process process;
        final PrintWriter in;
        final BufferedReader out;

        Libbpf(Path exe, KernelMap ring, SequenceProducer producer) throws IOException {
            this.producer = producer;
            process = new ProcessBuilder(exe.toString(), Integer.toString(ring.id()), Integer.toString(RECORDS))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        @Override
        public Round drain() throws IOException {
            long lost = producer.lost();
            long expected = expectedSum(producer);
            producer.run(RECORDS);
            in.println("drain");
            return result(lost, expected);
        }

        @Override
        public Round live() throws IOException {
            long lost = producer.lost();
            in.println("live");
            if (!"ready".equals(out.readLine())) {
                throw new IOException("the libbpf consumer did not start");
            }
            producer.run(RECORDS);
            return result(lost, 0);
        }

        private Round result(long lostBefore, long expectedSum) throws IOException {
            String line = out.readLine();
            if (line == null) {
                throw new IOException("the libbpf consumer exited");
            }
            String[] f = line.split(" ");
            return new Round(Long.parseLong(f[1]), Long.parseUnsignedLong(f[3]), Double.parseDouble(f[5]),
                    producer.lost() - lostBefore, expectedSum);
        }

        @Override
        public void close() throws Exception {
            in.close();
            process.waitFor();
            out.close();
        }
    }

    public static void main(String[] args) throws Exception {
        Path source = Path.of(args.length > 0 ? args[0] : "bpf4j-kernel/src/test/c/ringbuf_bench.c");
        Path exe = Files.createTempFile("ringbuf_bench", "");
        try {
            NetNamespace.command("gcc", "-O2", "-o", exe.toString(), source.toString(), "-lbpf");
            try (KernelMap ring = KernelMap.create(MapDefinition.of(MapType.RINGBUF, 0, 0, RING));
                    SequenceProducer producer = SequenceProducer.create(SequenceProducer.Mode.OUTPUT, 8, ring, null);
                    Consumer ours = new Bpf4j(ring, producer);
                    Consumer theirs = new Libbpf(exe, ring, producer)) {
                List<Round[]> drain = new ArrayList<>();
                List<Round[]> live = new ArrayList<>();
                for (int i = 0; i < WARMUP + ROUNDS; i++) {
                    Round[] d = {ours.drain(), theirs.drain()};
                    Round[] l = {ours.live(), theirs.live()};
                    for (Round r : d) {
                        check(r);
                    }
                    if (i >= WARMUP) {
                        drain.add(d);
                        live.add(l);
                    }
                }
                System.out.printf("%-6s %16s %16s %8s  %s%n", "", "bpf4j records/s", "libbpf records/s", "ratio",
                        "(medians of " + ROUNDS + " rounds of " + RECORDS + " records)");
                print("drain", drain);
                print("live", live);
            }
        } finally {
            Files.deleteIfExists(exe);
        }
    }

    private static void print(String mode, List<Round[]> rounds) {
        Round ours = median(rounds, 0);
        Round theirs = median(rounds, 1);
        System.out.printf("%-6s %16.0f %16.0f %8.2f  received %d and %d, lost %d and %d%n", mode, ours.rate(),
                theirs.rate(), ours.rate() / theirs.rate(), ours.records(), theirs.records(), ours.lost(), theirs.lost());
    }

    private static Round median(List<Round[]> rounds, int which) {
        List<Round> list = new ArrayList<>(rounds.stream().map(r -> r[which]).toList());
        list.sort((a, b) -> Double.compare(a.rate(), b.rate()));
        return list.get(list.size() / 2);
    }

    /** The sum of the sequence numbers the producer's next {@link #RECORDS} runs write. */
    private static long expectedSum(SequenceProducer producer) {
        long first = producer.produced();
        return RECORDS * first + (long) RECORDS * (RECORDS - 1) / 2;
    }

    /** A drain round must have consumed every record of the round, each once. */
    private static void check(Round r) {
        if (r.records() != RECORDS || r.lost() != 0 || r.sum() != r.expectedSum()) {
            throw new IllegalStateException("drained " + r.records() + " records summing to " + r.sum() + ", " + r.lost()
                    + " lost; expected " + RECORDS + " summing to " + r.expectedSum());
        }
    }
}
