package io.bpf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.kernel.testing.KernelTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code bpf4j prog run} against {@code bpftool prog run} on the same program: a program
 * bpftool loads and pins runs in the kernel through both tools, and the same program of the
 * object file runs in the kernel and (--vm) in bpf4j's VM; all three print the same, durations aside. Usage errors
 * read as bpftool's do.
 */
@KernelTest
class ProgRunTest {
    private static final Path BPFTOOL = Path.of("/usr/sbin/bpftool");
    private static final Path OBJECT = Path.of(System.getProperty("bpf4j.repo.root", ".")).resolve("testdata/vm_bench.bpf.o");
    private static Path dir;
    private static Path pinned;
    private static Path packet;

    @BeforeAll
    static void load() throws Exception {
        assumeTrue(Files.isExecutable(BPFTOOL), "bpftool is not installed");
        dir = Files.createTempDirectory(Path.of("/sys/fs/bpf"), "bpf4j-run");
        pinned = dir.resolve("sieve");
        run(BPFTOOL.toString(), "prog", "load", OBJECT.toString(), pinned.toString()); // pins the first program, sieve
        packet = Files.createTempFile("bpf4j-run", ".bin");
        byte[] p = new byte[45];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) (i * 29 + 3);
        }
        Files.write(packet, p);
    }

    @AfterAll
    static void unload() throws IOException {
        if (dir != null) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        if (packet != null) {
            Files.deleteIfExists(packet);
        }
    }

    @AfterEach
    void restoreInput() {
        ProgRun.input = System.in;
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    private static String bpftool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(BPFTOOL.toString()));
        command.addAll(List.of(args));
        return withoutDurations(run(command.toArray(String[]::new)));
    }

    private static String bpf4j(String... args) {
        CliRun r = CliRun.of(args);
        return withoutDurations(r.out() + r.err().lines().filter(l -> l.startsWith("Error: ")).map(l -> l + "\n")
                .reduce("", String::concat));
    }

    private static String withoutDurations(String text) {
        return text.replaceAll("duration(\"?:|( \\(average\\))?:) ?\\d+(ns)?", "duration$1 N");
    }

    private static List<String> withPrefix(List<String> head, String... tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(List.of(tail));
        return all;
    }

    @Test
    void sameOutputAsBpftoolInTheKernelAndInTheVm() throws Exception {
        for (String[] tail : new String[][] {
            {"data_in", packet.toString()},
            {"data_in", packet.toString(), "data_out", "-"},
            {"data_in", packet.toString(), "data_out", "-", "repeat", "20"},
            {"data_in", packet.toString(), "data_size_out", "10", "data_out", "-"},
        }) {
            String expected = bpftool(withPrefix(List.of("prog", "run", "pinned", pinned.toString()), tail).toArray(String[]::new));
            String kernel = bpf4j(withPrefix(List.of("prog", "run", "pinned", pinned.toString()), tail).toArray(String[]::new));
            String object = bpf4j(withPrefix(List.of("prog", "run", OBJECT.toString(), "program", "sieve"), tail)
                    .toArray(String[]::new));
            String vm = bpf4j(withPrefix(List.of("prog", "run", "--vm", OBJECT.toString(), "program", "sieve"), tail)
                    .toArray(String[]::new));
            String interpreted = bpf4j(withPrefix(List.of("prog", "run", "--engine", "interp", OBJECT.toString(), "program",
                    "sieve"), tail).toArray(String[]::new));
            assertEquals(expected, kernel, "kernel, " + String.join(" ", tail));
            assertEquals(expected, object, "object loaded into the kernel, " + String.join(" ", tail));
            if (!expected.startsWith("Error: failed to run program")) {
                assertEquals(expected, vm, "VM (JIT), " + String.join(" ", tail));
                assertEquals(expected, interpreted, "VM (interpreter), " + String.join(" ", tail));
            }
        }
    }

    @Test
    void sameJsonAsBpftool() throws Exception {
        String expected = bpftool("-j", "prog", "run", "pinned", pinned.toString(), "data_in", packet.toString(), "data_out",
                "-");
        assertEquals(expected.strip(), bpf4j("prog", "run", "-j", "pinned", pinned.toString(), "data_in", packet.toString(),
                "data_out", "-").strip());
        assertEquals(expected.strip(), bpf4j("prog", "run", "-j", OBJECT.toString(), "program", "sieve", "data_in",
                packet.toString(), "data_out", "-").strip());
        assertEquals(expected.strip(), bpf4j("prog", "run", "-j", "--vm", OBJECT.toString(), "program", "sieve", "data_in",
                packet.toString(), "data_out", "-").strip());
    }

    @Test
    void sameUsageErrorsAsBpftool() throws Exception {
        for (String[] tail : new String[][] {
            {"data_in", packet.toString(), "dat", "4"},
            {"data_in", packet.toString(), "foo", "1"},
            {"data_in", packet.toString(), "repeat", "x"},
            {"data_in", "/nonexistent"},
            {"data_in", "-", "ctx_in", "-"},
        }) {
            String expected = bpftool(withPrefix(List.of("prog", "run", "pinned", pinned.toString()), tail).toArray(String[]::new));
            String ours = bpf4j(withPrefix(List.of("prog", "run", "pinned", pinned.toString()), tail).toArray(String[]::new));
            assertEquals(expected.lines().filter(l -> l.startsWith("Error: ")).toList(), ours.lines().toList(),
                    String.join(" ", tail));
        }
    }

    @Test
    void dataFromStandardInput() throws Exception {
        ProgRun.input = new ByteArrayInputStream(Files.readAllBytes(packet));
        assertEquals(bpftool("prog", "run", "pinned", pinned.toString(), "data_in", packet.toString()),
                bpf4j("prog", "run", OBJECT.toString(), "program", "sieve", "data_in", "-"));
    }
}
