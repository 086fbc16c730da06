package io.bpf4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The ring buffer reader's inner loop without a kernel, to tune it: a ring laid out as the
 * kernel lays it out, in ordinary memory, full of 16-byte records (8-byte header, 8-byte
 * sequence number); each operation rewinds the consumer position and reads them all, with a
 * batch handler and with a per-record handler. The comparison with libbpf on a real ring is
 * {@link RingBufferBenchmarkMain}. Run with
 * {@code java -cp ... org.openjdk.jmh.Main RingBufferDrainBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RingBufferDrainBenchmark {
    static final int RECORDS = 1 << 16;

    private static final long CAPACITY = RECORDS * 16L;

    private Arena arena;
    private MemorySegment consumer;
    private RingBufferReader.RecordBatch records;
    private final RingBufferBenchmarkMain.Tally tally = new RingBufferBenchmarkMain.Tally();
    private RingBufferReader.BatchHandler perRecord;

    @Setup
    public void setUp() {
        arena = Arena.ofShared();
        consumer = arena.allocate(8, 8);
        MemorySegment producer = arena.allocate(8, 8);
        MemorySegment data = arena.allocate(2 * CAPACITY, 4096);
        for (long i = 0; i < RECORDS; i++) {
            data.set(ValueLayout.JAVA_INT, i * 16, 8);
            data.set(ValueLayout.JAVA_LONG, i * 16 + 8, i);
        }
        producer.set(ValueLayout.JAVA_LONG, 0, CAPACITY);
        MemorySegment unscoped = MemorySegment.ofAddress(data.address()).reinterpret(data.byteSize());
        records = new RingBufferReader.RecordBatch(consumer, producer, unscoped, data, CAPACITY);
        perRecord = RingBufferReader.perRecord(tally::onRecord);
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public long batch() {
        consumer.set(ValueLayout.JAVA_LONG, 0, 0);
        records.read(Integer.MAX_VALUE, tally::onBatch);
        return tally.sum;
    }

    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public long perRecord() {
        consumer.set(ValueLayout.JAVA_LONG, 0, 0);
        records.read(Integer.MAX_VALUE, perRecord);
        return tally.sum;
    }
}
