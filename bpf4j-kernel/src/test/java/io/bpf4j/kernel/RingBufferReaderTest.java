package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfException;
import io.bpf4j.MapType;
import io.bpf4j.kernel.testing.NoFdLeaks;
import io.bpf4j.kernel.testing.KernelTest;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

@KernelTest
@NoFdLeaks
class RingBufferReaderTest {

    static KernelMap ringbuf(int bytes) {
        return KernelMap.create(MapDefinition.of(MapType.RINGBUF, 0, 0, bytes));
    }

    /** Accounts sequence numbers: each at most once. */
    private static final class Seen {
        final BitSet seen = new BitSet();
        long duplicates;
        long count;

        void record(MemorySegment r) {
            int seq = (int) r.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            if (seen.get(seq)) {
                duplicates++;
            }
            seen.set(seq);
            count++;
        }
    }

    @Test
    void millionRecordsUnderLoadAllReceivedOrCountedLostWithoutDuplicates() throws Exception {
        int runs = 1_000_000;
        Seen seen = new Seen();
        try (KernelMap ring = ringbuf(1 << 22);
                SequenceProducer producer = SequenceProducer.create(SequenceProducer.Mode.OUTPUT, 16, ring, null);
                RingBufferReader reader = new RingBufferReader()) {
            RingBufferReader.Ring r = reader.add(ring, seen::record);
            Thread consumer = Thread.ofPlatform().name("ringbuf-consumer").start(() -> {
                while (reader.poll(Duration.ofSeconds(10)) >= 0) {
                    // records go to seen
                }
            });
            producer.run(runs);
            // The producer is done: wait until the consumer has drained the ring, then stop it.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (r.pending() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            reader.close();
            consumer.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(consumer.isAlive(), "closing the reader did not stop the polling thread");
            assertEquals(runs, producer.produced());
            assertEquals(0, seen.duplicates, "duplicate records");
            assertEquals(runs, seen.count + producer.lost(), "received " + seen.count + ", lost " + producer.lost());
            assertEquals(seen.count, seen.seen.cardinality());
            assertTrue(seen.seen.length() <= runs, "a sequence number past the last run");
            System.out.println("ring buffer under load: " + seen.count + " received, " + producer.lost() + " lost of " + runs);
        }
    }

    @Test
    void discardedRecordsAreSkipped() {
        Seen seen = new Seen();
        try (KernelMap ring = ringbuf(1 << 16);
                SequenceProducer producer = SequenceProducer.create(SequenceProducer.Mode.DISCARD_ODD, 8, ring, null);
                RingBufferReader reader = new RingBufferReader()) {
            reader.add(ring, seen::record);
            producer.run(1000);
            assertEquals(500, reader.consume());
            assertEquals(0, producer.lost());
            assertEquals(500, seen.seen.cardinality());
            for (int i = 0; i < 1000; i += 2) {
                assertTrue(seen.seen.get(i), "even record " + i);
            }
        }
    }

    @Test
    void severalRingsInOnePollerAndBatchReading() {
        List<Long> evens = new ArrayList<>();
        List<Long> odds = new ArrayList<>();
        try (KernelMap a = ringbuf(1 << 16);
                KernelMap b = ringbuf(1 << 16);
                SequenceProducer producer = SequenceProducer.create(SequenceProducer.Mode.SPLIT, 8, a, b);
                RingBufferReader reader = new RingBufferReader()) {
            reader.add(a, r -> evens.add(r.get(ValueLayout.JAVA_LONG_UNALIGNED, 0)));
            RingBufferReader.Ring ringB = reader.add(b, r -> odds.add(r.get(ValueLayout.JAVA_LONG_UNALIGNED, 0)));
            producer.run(10);
            // Batch: three copies from the second ring, then the rest by polling.
            List<byte[]> batch = ringB.read(3);
            assertEquals(3, batch.size());
            assertEquals(1, MemorySegment.ofArray(batch.get(0)).get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
            assertEquals(5, MemorySegment.ofArray(batch.get(2)).get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
            assertEquals(7, reader.poll(Duration.ofSeconds(1)));
            assertEquals(List.of(0L, 2L, 4L, 6L, 8L), evens);
            assertEquals(List.of(7L, 9L), odds);
            assertEquals(0, reader.poll(Duration.ofMillis(10)), "nothing more");
        }
    }

    @Test
    void recordsWrappingTheRingEndArriveWhole() {
        // 4 KiB ring, 48-byte records (56 with header): the ring fills and wraps many times over.
        List<Long> got = new ArrayList<>();
        try (KernelMap ring = ringbuf(4096);
                SequenceProducer producer = SequenceProducer.create(SequenceProducer.Mode.OUTPUT, 48, ring, null);
                RingBufferReader reader = new RingBufferReader()) {
            reader.add(ring, r -> {
                assertEquals(48, r.byteSize());
                got.add(r.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
                assertEquals(0, r.get(ValueLayout.JAVA_LONG_UNALIGNED, 40));
            });
            for (int round = 0; round < 20; round++) {
                producer.run(50); // 50 records of 56 bytes fit in 4 KiB
                reader.consume();
            }
            assertEquals(0, producer.lost());
            assertEquals(1000, got.size());
            for (int i = 0; i < got.size(); i++) {
                assertEquals(i, got.get(i));
            }
        }
    }

    @Test
    void closingFromAnotherThreadWakesTheBlockedPoller() throws Exception {
        try (KernelMap ring = ringbuf(4096)) {
            RingBufferReader reader = new RingBufferReader();
            reader.add(ring, r -> {});
            CountDownLatch polling = new CountDownLatch(1);
            AtomicInteger result = new AtomicInteger(Integer.MIN_VALUE);
            Thread t = Thread.ofPlatform().start(() -> {
                polling.countDown();
                result.set(reader.poll(Duration.ofHours(1)));
            });
            polling.await();
            Thread.sleep(100); // let it block in epoll_wait
            long start = System.nanoTime();
            reader.close();
            t.join(5000);
            assertFalse(t.isAlive(), "poller still blocked after close");
            assertEquals(-1, result.get());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
            assertEquals(-1, reader.poll(Duration.ofMillis(1)), "a closed reader reports -1");
            reader.close(); // twice is harmless
        }
    }

    @Test
    void recordsCannotBeTouchedAfterClose() {
        AtomicReference<MemorySegment> kept = new AtomicReference<>();
        try (KernelMap ring = ringbuf(4096);
                SequenceProducer producer = SequenceProducer.create(SequenceProducer.Mode.OUTPUT, 8, ring, null)) {
            RingBufferReader reader = new RingBufferReader();
            reader.add(ring, kept::set);
            producer.run(1);
            assertEquals(1, reader.consume());
            reader.close();
            assertThrows(IllegalStateException.class, () -> kept.get().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        }
    }

    @Test
    void onlyRingbufMapsAreAccepted() {
        try (KernelMap array = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 8, 1));
                RingBufferReader reader = new RingBufferReader()) {
            var e = assertThrows(BpfException.class, () -> reader.add(array, r -> {}));
            assertTrue(e.getMessage().contains("not a ringbuf"), e.getMessage());
        }
    }
}
