package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfException;
import io.bpf4j.MapType;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.kernel.testing.NoFdLeaks;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The perf buffer reader on samples written by a test-run program: wrap-around and lost
 * samples. The program writes to the buffer of the CPU it runs on, so the tests run it on one
 * CPU: a run that moved to another CPU halfway would split the samples (out of order when read
 * back CPU by CPU), and the kernel reports lost samples only in the buffer that lost them, with
 * the next sample written there.
 */
@KernelTest
@NoFdLeaks
class PerfBufferReaderTest {

    /** Runs {@code producer} {@code times} times on the first online CPU. */
    private static void runOnOneCpu(SequenceProducer producer, int times) {
        OnCpu.run(Kernel.onlineCpus()[0], () -> producer.run(times));
    }

    private static KernelMap perfArray() {
        return KernelMap.create(MapDefinition.of(MapType.PERF_EVENT_ARRAY, 4, 4, Kernel.possibleCpus()));
    }

    @Test
    void samplesWrappingTheRingEndArriveWholeAndInOrder() {
        List<Long> got = new ArrayList<>();
        try (KernelMap perf = perfArray();
                SequenceProducer producer = SequenceProducer.create(SequenceProducer.Mode.PERF, 56, perf, null);
                PerfBufferReader reader = PerfBufferReader.open(perf, 1, (cpu, data) -> {
                    // 56 bytes of data plus the 4-byte size word make 60; the kernel pads the raw data to 60.
                    assertEquals(60, data.byteSize());
                    got.add(data.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
                    assertEquals(0, data.get(ValueLayout.JAVA_LONG_UNALIGNED, 48));
                }, (cpu, n) -> {
                    throw new AssertionError(n + " samples lost on CPU " + cpu);
                })) {
            // 72-byte records in a 4 KiB ring: 56 fit; 40 at a time wrap the end again and again.
            for (int round = 0; round < 30; round++) {
                runOnOneCpu(producer, 40);
                assertEquals(40, reader.consume());
            }
            assertEquals(1200, got.size());
            for (int i = 0; i < got.size(); i++) {
                assertEquals(i, got.get(i));
            }
        }
    }

    @Test
    void lostSamplesAreCountedExactly() {
        long[] lost = new long[1];
        int[] received = new int[1];
        try (KernelMap perf = perfArray();
                SequenceProducer producer = SequenceProducer.create(SequenceProducer.Mode.PERF, 56, perf, null);
                PerfBufferReader reader = PerfBufferReader.open(perf, 1, (cpu, data) -> received[0]++,
                        (cpu, n) -> lost[0] += n)) {
            runOnOneCpu(producer, 1000); // far more than a 4 KiB ring holds
            reader.consume();
            runOnOneCpu(producer, 1); // the kernel reports the loss in the next record it writes there
            reader.consume();
            assertTrue(lost[0] > 0, "nothing lost");
            assertEquals(lost[0], reader.lost());
            assertEquals(1001, received[0] + lost[0], "received " + received[0] + " lost " + lost[0]);
            // The program saw the same losses: bpf_perf_event_output failed once for each.
            assertEquals(producer.lost(), lost[0]);
        }
    }

    @Test
    void pagesMustBeAPowerOfTwoAndTheMapAPerfEventArray() {
        try (KernelMap perf = perfArray(); KernelMap array = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 4, 1))) {
            assertThrows(BpfException.class, () -> PerfBufferReader.open(perf, 3, (c, d) -> {}, (c, n) -> {}));
            var e = assertThrows(BpfException.class, () -> PerfBufferReader.open(array, 1, (c, d) -> {}, (c, n) -> {}));
            assertTrue(e.getMessage().contains("not a perf_event_array"), e.getMessage());
        }
    }
}
