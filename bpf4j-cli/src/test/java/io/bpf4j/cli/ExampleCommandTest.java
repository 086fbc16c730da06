package io.bpf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.kernel.testing.KernelTest;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
        Process p = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "example", "opcodes", "-p", "1")
                .redirectErrorStream(true).start();
        try (InputStream in = p.getInputStream()) {
            StringBuilder out = new StringBuilder();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!out.toString().contains("Ctrl-C to end.\n") && System.nanoTime() < deadline) {
                int c = in.read();
                if (c < 0) {
                    break;
                }
                out.append((char) c);
            }
            assertTrue(out.toString().contains("Ctrl-C to end.\n"), out.toString());
            assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor());
            out.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            assertEquals(130, p.waitFor(), "killed by SIGINT after the summary:\n" + out);
            assertTrue(out.toString().contains("\nTotals:\nOPCODE   SYSCALL              COUNT\n"), out.toString());
        } finally {
            p.destroyForcibly();
        }
    }
}
