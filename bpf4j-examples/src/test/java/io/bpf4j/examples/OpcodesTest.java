package io.bpf4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.kernel.testing.KernelTest;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

@KernelTest
class OpcodesTest {
    @Test
    void countsTheSystemCallsOfTheTest() {
        long self = ProcessHandle.current().pid();
        try (ToolRun run = ToolRun.start(new Opcodes(), "-p", Long.toString(self))) {
            String started = run.await(l -> l.startsWith("Counting system calls of " + self), Duration.ofSeconds(60));
            assertTrue(started.contains("(subprograms: opcode_of)"), started);
            for (int i = 0; i < 2000; i++) {
                Thread.yield(); // sched_yield(2)
            }
            String out = run.stop();
            int totals = out.indexOf("\nTotals:\n");
            assertTrue(totals > 0, out);
            Matcher m = Pattern.compile("(?m)^(\\d+) +sched_yield +(\\d+)$").matcher(out.substring(totals));
            assertTrue(m.find(), "sched_yield in the totals:\n" + out);
            assertEquals(Opcodes.syscallNames().entrySet().stream().filter(e -> e.getValue().equals("sched_yield")).findFirst()
                    .orElseThrow().getKey(), Integer.parseInt(m.group(1)));
            assertTrue(Long.parseLong(m.group(2)) >= 2000, "at least the 2000 calls of the test: " + m.group());
        }
    }
}
