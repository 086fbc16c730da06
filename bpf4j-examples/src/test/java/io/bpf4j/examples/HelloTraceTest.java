package io.bpf4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.kernel.UnsupportedFeatureException;
import io.bpf4j.kernel.testing.KernelTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

@KernelTest
class HelloTraceTest {
    @Test
    void greetsTheProcessesTheTestStarts() throws Exception {
        try (ToolRun run = ToolRun.start(new HelloTrace())) {
            assertEquals(String.format("%-18s %-16s %-6s %s", "TIME(s)", "COMM", "PID", "MESSAGE"),
                    run.await(l -> l.startsWith("TIME(s)"), Duration.ofSeconds(60)));
            // trace_pipe is shared with every reader on the machine: start children until one of ours shows
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            String line = null;
            while (line == null && System.nanoTime() < deadline) {
                Process child = new ProcessBuilder("/bin/true").start();
                child.waitFor();
                String pid = " " + child.pid() + " ";
                try {
                    line = run.await(l -> l.contains(pid) && l.endsWith(HelloTrace.GREETING + " (execve)"), Duration.ofSeconds(1));
                } catch (AssertionError notYet) {
                    // another reader took the line: try again
                }
            }
            assertTrue(line != null, "no greeting for a child within 20 s:\n" + run.output());
            assertTrue(line.matches("\\d+\\.\\d{9} +\\S+ +\\d+ +Hello, World! \\(execve\\)"), line);
            run.stop();
        }
    }

    @Test
    void kprobeVersionSaysWhatToUseWhereTheKernelHasNoKprobes() {
        boolean kprobes = Files.exists(Path.of("/sys/bus/event_source/devices/kprobe"))
                || Files.exists(Path.of("/sys/kernel/tracing/kprobe_events"));
        HelloTrace tool = new HelloTrace();
        if (kprobes) {
            try (ToolRun run = ToolRun.start(tool, "--kprobe")) {
                run.await(l -> l.startsWith("TIME(s)"), Duration.ofSeconds(60));
                run.await(l -> l.endsWith("(kprobe clone)"), Duration.ofSeconds(20));
                run.stop();
            }
            return;
        }
        new picocli.CommandLine(tool).parseArgs("--kprobe");
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                () -> tool.run(new java.io.PrintWriter(java.io.Writer.nullWriter()), io.bpf4j.bcc.StopSignal.manual()));
        assertTrue(e.getMessage().contains("kprobe on __x64_sys_clone needs a kernel with kprobes"), e.getMessage());
        assertTrue(e.getMessage().contains("tracepoint syscalls:sys_enter_clone"), e.getMessage());
    }
}
