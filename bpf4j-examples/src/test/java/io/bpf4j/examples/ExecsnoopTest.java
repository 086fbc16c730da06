package io.bpf4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.kernel.testing.KernelTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

@KernelTest
class ExecsnoopTest {
    @Test
    void seesTheProcessesTheTestRuns() throws Exception {
        try (ToolRun run = ToolRun.start(new Execsnoop(), "-x", "-U", "--max-args", "4")) {
            assertEquals(String.format("%-6s%-16s %-7s %-7s %3s %s", "UID", "PCOMM", "PID", "PPID", "RET", "ARGS"),
                    run.await(l -> l.contains("PCOMM"), Duration.ofSeconds(60)));
            long self = ProcessHandle.current().pid();
            Process ok = new ProcessBuilder("/bin/echo", "hello", "bpf4j\nexecsnoop").start();
            ok.waitFor();
            Process many = new ProcessBuilder("/bin/true", "a", "b", "c", "d", "e").start();
            many.waitFor();
            String missing = "/no/such/program-" + self;
            try {
                new ProcessBuilder(missing).start();
            } catch (java.io.IOException expected) {
                // the exec failed, which -x shows with its errno
            }
            String echo = run.await(l -> l.contains(" " + ok.pid() + " ") && l.startsWith("0     echo"), Duration.ofSeconds(10));
            assertEquals(String.format("%-6d%-16s %-7d %-7d %3d %s", 0, "echo", ok.pid(), self, 0,
                    "/bin/echo hello bpf4j\\nexecsnoop"), echo);
            String truncated = run.await(l -> l.contains(" " + many.pid() + " ") && l.contains("true"), Duration.ofSeconds(10));
            assertTrue(truncated.endsWith(" /bin/true a b c ..."), "--max-args 4 shows the file and 3 arguments: " + truncated);
            String failed = run.await(l -> l.contains(missing), Duration.ofSeconds(10));
            assertTrue(failed.matches(".* -2 .*"), "ENOENT as the return value: " + failed);
            run.stop();
        }
    }
}
