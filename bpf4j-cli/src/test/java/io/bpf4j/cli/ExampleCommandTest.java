package io.bpf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.kernel.testing.KernelTest;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code bpf4j example}: the list of tools, errors as one line, and Ctrl-C ending a tool with its summary. */
class ExampleCommandTest {
    @Test
    void listsTheNineTools() {
        StringWriter out = new StringWriter();
        assertEquals(0, Main.execute(new String[] {"example", "--help"}, new PrintWriter(out), new PrintWriter(new StringWriter())));
        for (String tool : List.of("hello-xdp", "hello-trace", "execsnoop", "writeback", "sendcount", "xdp-drop", "biolatency",
                "findme", "opcodes")) {
            assertTrue(out.toString().contains("  " + tool + " "), tool + " in:\n" + out);
        }
    }

    @Test
    void aFailureIsOneLine() {
        StringWriter err = new StringWriter();
        int code = Main.execute(new String[] {"example", "biolatency", "-d", "no-such-disk"}, new PrintWriter(new StringWriter()),
                new PrintWriter(err));
        assertEquals(1, code);
        assertEquals("Error: no such disk 'no-such-disk' (see /sys/class/block)\n", err.toString());
    }

    @Test
    @KernelTest
    void ctrlCStopsAToolWhichPrintsItsSummary() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        // env resets SIGINT to its default: a shell running this build in the background ignores it, the child
        // would inherit that, and a JVM that starts with SIGINT ignored never sees Ctrl-C.
        Process p = new ProcessBuilder("env", "--default-signal=INT", java.toString(), "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "example", "opcodes", "-p", "1")
                .redirectErrorStream(true).start();
        // a tool that hangs is killed, which ends the reads below
        CompletableFuture<Process> watchdog = CompletableFuture.supplyAsync(p::destroyForcibly,
                CompletableFuture.delayedExecutor(90, TimeUnit.SECONDS));
        try (InputStream in = p.getInputStream()) {
            StringBuilder out = new StringBuilder();
            while (!out.toString().contains("Ctrl-C to end.\n")) {
                int c = in.read();
                if (c < 0) {
                    break;
                }
                out.append((char) c);
            }
            assertTrue(out.toString().contains("Ctrl-C to end.\n"), out.toString());
            assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor());
            out.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "still running after SIGINT:\n" + out);
            assertEquals(130, p.exitValue(), "killed by SIGINT after the summary:\n" + out);
            assertTrue(out.toString().contains("\nTotals:\nOPCODE   SYSCALL              COUNT\n"), out.toString());
        } finally {
            watchdog.cancel(false);
            p.destroyForcibly();
        }
    }
}
