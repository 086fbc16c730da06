package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfException;
import io.bpf4j.LinkType;
import io.bpf4j.MapType;
import io.bpf4j.kernel.testing.NoFdLeaks;
import io.bpf4j.kernel.testing.KernelTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sched:sched_process_exec: N spawned processes give N events with their pid and comm, through a ring buffer and a perf buffer. */
@KernelTest
@NoFdLeaks
class TracepointTest {
    private static final int PROCESSES = 25;

    @TempDir
    Path dir;

    /** Polls until {@code done} or ten seconds passed. */
    private static void pollUntil(IntSupplier poll, BooleanSupplier done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            poll.getAsInt();
        }
    }

    private static void assertExecs(List<ExecTracer.Exec> events, Path binary, List<Integer> pids) {
        String comm = binary.getFileName().toString();
        List<Integer> seen = events.stream().filter(e -> e.comm().equals(comm)).map(ExecTracer.Exec::pid).toList();
        assertEquals(pids, seen, "pids of the exec events of " + comm);
    }

    @Test
    void execEventsThroughARingBuffer() throws Exception {
        Path binary = ExecTracer.uniqueTrue(dir);
        List<ExecTracer.Exec> events = new ArrayList<>();
        try (KernelMap ring = KernelMap.create(MapDefinition.of(MapType.RINGBUF, 0, 0, 1 << 16));
                KernelProgram program = ExecTracer.program(ring, null);
                RingBufferReader reader = new RingBufferReader();
                TracepointLink link = TracepointLink.attach(program, "sched", "sched_process_exec")) {
            reader.add(ring, r -> events.add(ExecTracer.Exec.of(r)));
            assertEquals(LinkType.PERF_EVENT, link.kernelLink().orElseThrow().type());
            LinkInfo.PerfEvent target = (LinkInfo.PerfEvent) link.info().target();
            assertEquals(LinkInfo.PerfEvent.TRACEPOINT, target.kind());
            assertEquals("sched_process_exec", target.name());
            List<Integer> pids = ExecTracer.spawn(binary, PROCESSES);
            String comm = binary.getFileName().toString();
            pollUntil(() -> reader.poll(Duration.ofMillis(100)),
                    () -> events.stream().filter(e -> e.comm().equals(comm)).count() >= PROCESSES);
            reader.poll(Duration.ofMillis(50)); // nothing more may come
            assertExecs(events, binary, pids);
        }
    }

    @Test
    void execEventsThroughAPerfBuffer() throws Exception {
        Path binary = ExecTracer.uniqueTrue(dir);
        List<ExecTracer.Exec> events = new ArrayList<>();
        long[] lost = new long[1];
        try (KernelMap perf = KernelMap.create(MapDefinition.of(MapType.PERF_EVENT_ARRAY, 4, 4, Kernel.possibleCpus()));
                KernelProgram program = ExecTracer.program(null, perf);
                PerfBufferReader reader = PerfBufferReader.open(perf, 8, (cpu, data) -> {
                    assertTrue(data.byteSize() >= ExecTracer.RECORD_SIZE, "sample of " + data.byteSize() + " bytes");
                    events.add(ExecTracer.Exec.of(data));
                }, (cpu, count) -> lost[0] += count);
                TracepointLink link = TracepointLink.attach(program, "sched", "sched_process_exec")) {
            assertEquals(List.of(0, 1).subList(0, Kernel.onlineCpus().length), reader.cpus());
            List<Integer> pids = ExecTracer.spawn(binary, PROCESSES);
            String comm = binary.getFileName().toString();
            pollUntil(() -> reader.poll(Duration.ofMillis(100)),
                    () -> events.stream().filter(e -> e.comm().equals(comm)).count() >= PROCESSES);
            reader.poll(Duration.ofMillis(50));
            assertEquals(0, lost[0]);
            assertEquals(0, reader.lost());
            // Exec events of different CPUs may arrive out of order: compare as sorted lists.
            String c = binary.getFileName().toString();
            assertEquals(pids.stream().sorted().toList(),
                    events.stream().filter(e -> e.comm().equals(c)).map(ExecTracer.Exec::pid).sorted().toList());
        }
    }

    @Test
    void execEventsThroughTheIoctlAttachOfOlderKernels() throws Exception {
        Path binary = ExecTracer.uniqueTrue(dir);
        List<ExecTracer.Exec> events = new ArrayList<>();
        String comm = binary.getFileName().toString();
        try (KernelMap ring = KernelMap.create(MapDefinition.of(MapType.RINGBUF, 0, 0, 1 << 16));
                KernelProgram program = ExecTracer.program(ring, null);
                RingBufferReader reader = new RingBufferReader()) {
            reader.add(ring, r -> events.add(ExecTracer.Exec.of(r)));
            PerfEventAttr attr = PerfEventAttr.tracepoint(Tracefs.eventId("sched", "sched_process_exec"));
            List<Integer> pids;
            try (PerfEvent event = PerfEvent.attachWithIoctl(program, attr, -1, 0, "ioctl attach")) {
                assertTrue(event.link().isEmpty());
                pids = ExecTracer.spawn(binary, 5);
                pollUntil(() -> reader.poll(Duration.ofMillis(100)),
                        () -> events.stream().filter(e -> e.comm().equals(comm)).count() >= 5);
            }
            ExecTracer.spawn(binary, 2); // after close: not seen
            reader.poll(Duration.ofMillis(100));
            assertExecs(events, binary, pids);
        }
    }

    @Test
    void unknownTracepointSaysWhereToLook() {
        try (KernelMap ring = KernelMap.create(MapDefinition.of(MapType.RINGBUF, 0, 0, 4096));
                KernelProgram program = ExecTracer.program(ring, null)) {
            var e = assertThrows(BpfException.class, () -> TracepointLink.attach(program, "sched", "no_such_event"));
            assertTrue(e.getMessage().contains("no tracepoint sched:no_such_event"), e.getMessage());
            assertTrue(e.getMessage().contains("available_events"), e.getMessage());
            assertThrows(BpfException.class, () -> TracepointLink.attach(program, "..", "id"));
        }
    }

    @Test
    void perfBufferCloseWakesThePoller() throws Exception {
        try (KernelMap perf = KernelMap.create(MapDefinition.of(MapType.PERF_EVENT_ARRAY, 4, 4, Kernel.possibleCpus()))) {
            PerfBufferReader reader = PerfBufferReader.open(perf, 1, (cpu, d) -> {}, (cpu, n) -> {});
            int[] result = {Integer.MIN_VALUE};
            Thread t = Thread.ofPlatform().start(() -> result[0] = reader.poll(Duration.ofHours(1)));
            Thread.sleep(100);
            reader.close();
            t.join(5000);
            assertFalse(t.isAlive());
            assertEquals(-1, result[0]);
        }
    }
}
