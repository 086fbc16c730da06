package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.kernel.sys.Posix;
import io.bpf4j.kernel.testing.Asm;
import io.bpf4j.kernel.testing.FdSnapshot;
import io.bpf4j.kernel.testing.KernelTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

class TracePipeTest {
    @Test
    void parsesLinesAsBccTraceFieldsDoes() {
        assertEquals(Optional.of(new TracePipe.Event("<...>", 12345, 1, "d..31", 1234.567890, "bpf_trace_printk",
                "hello world")), TracePipe.parse("           <...>-12345   [001] d..31  1234.567890: bpf_trace_printk: hello world"));
        // task names may hold dashes and spaces; the tgid column is optional; messages may hold colons
        assertEquals(Optional.of(new TracePipe.Event("my-task name", 7, 0, "....", 5.000001, "bpf_trace_printk",
                "a: b")), TracePipe.parse("    my-task name-7       (    7) [000] .... 5.000001: bpf_trace_printk: a: b"));
        assertEquals(Optional.of(new TracePipe.Event("java", 99, 12, "...1.", 0.5, "bpf_trace_printk", "")),
                TracePipe.parse("java-99 [012] ...1. 0.500000: bpf_trace_printk: "));
        assertEquals(Optional.empty(), TracePipe.parse("CPU:1 [LOST 3 EVENTS]"));
        assertEquals(Optional.empty(), TracePipe.parse(""));
    }

    /** An XDP program that prints {@code text} with bpf_trace_printk. */
    private static KernelProgram printer(String text) {
        return KernelProgram.load(ProgramDefinition.of(ProgramType.XDP, "printer",
                new Asm().printk(text).movImm(0, 2).exit().bytes(), "GPL"));
    }

    @Test
    @KernelTest
    void readsWhatProgramsPrint() {
        FdSnapshot fds = FdSnapshot.take();
        String text = "bpf4j trace pipe " + ThreadLocalRandom.current().nextLong(1L << 40);
        try (TracePipe pipe = TracePipe.open(); KernelProgram p = printer(text)) {
            p.testRun(TestRun.ofData(new byte[64]).withRepeat(5));
            List<TracePipe.Event> ours = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (ours.size() < 5 && System.nanoTime() < deadline) {
                pipe.next(Duration.ofMillis(200)).filter(e -> e.message().equals(text)).ifPresent(ours::add);
            }
            assertEquals(5, ours.size());
            for (TracePipe.Event e : ours) {
                assertEquals(Posix.gettid(), e.pid(), "the test thread ran the program");
                assertEquals("bpf_trace_printk", e.function());
            }
        }
        fds.assertNoneLeaked();
    }

    @Test
    @KernelTest
    void closingFromAnotherThreadWakesTheReader() throws Exception {
        TracePipe pipe = TracePipe.open();
        String[] line = {"not yet"};
        Thread t = Thread.ofPlatform().start(() -> line[0] = pipe.lines().filter(l -> l.contains("no such line"))
                .findFirst().orElse(null));
        Thread.sleep(100);
        pipe.close();
        t.join(5000);
        assertFalse(t.isAlive(), "the reader still waits after close");
        assertNull(line[0]);
        assertTrue(pipe.isClosed());
        assertNull(pipe.readLine(Duration.ofMillis(1)));
    }
}
