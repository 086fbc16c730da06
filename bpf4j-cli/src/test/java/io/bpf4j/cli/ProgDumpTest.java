package io.bpf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.kernel.testing.KernelTest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code prog dump xlated} prints what bpftool prints, on the programs of every testdata
 * object bpftool can load: plain, {@code opcodes}, {@code linum}, and their JSON.
 */
@KernelTest
class ProgDumpTest {
    private static final Path TESTDATA = Path.of(System.getProperty("bpf4j.repo.root", "."), "testdata");

    @Test
    void xlatedAsBpftool(@TempDir Path unused) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/bpftool")), "bpftool is not installed");
        Path pins = Files.createTempDirectory(Path.of("/sys/fs/bpf"), "bpf4j-xlated");
        List<String> compared = new ArrayList<>();
        Set<String> notDecodedByBpftool = new TreeSet<>();
        try {
            try (Stream<Path> objects = Files.list(TESTDATA)) {
                for (Path o : objects.filter(p -> p.toString().endsWith(".bpf.o")).sorted().toList()) {
                    // objects bpftool cannot load here (big-endian, unresolvable CO-RE...) have nothing to compare
                    BpftoolCompatTest.bpftool("prog", "loadall", o.toString(),
                            pins.resolve(o.getFileName().toString().replace(".bpf.o", "")).toString()); // bpffs refuses dots
                }
            }
            List<Path> programs;
            try (Stream<Path> files = Files.walk(pins)) {
                programs = files.filter(Files::isRegularFile).sorted().toList();
            }
            assertTrue(programs.size() >= 8, "programs loaded: " + programs);
            for (Path prog : programs) {
                for (String mode : List.of("", "opcodes", "linum")) {
                    List<String> args = new ArrayList<>(List.of("prog", "dump", "xlated", "pinned", prog.toString()));
                    if (!mode.isEmpty()) {
                        args.add(mode);
                    }
                    String theirs = BpftoolCompatTest.bpftool(args.toArray(new String[0]));
                    assertFalse(theirs.isBlank(), "bpftool printed nothing for " + args);
                    if (theirs.contains("BUG_")) {
                        // bpftool 7.1 predates ISA v4 (sdiv, movsx, bswap, gotol, load-acquire): it is no oracle for
                        // those programs; the kernel's verifier log checks that syntax (KernelSyntaxVerifierLogTest)
                        notDecodedByBpftool.add(prog.getFileName().toString());
                        continue;
                    }
                    StringWriter err = new StringWriter();
                    StringWriter out = new StringWriter();
                    int code = Main.execute(args.toArray(new String[0]), new PrintWriter(out), new PrintWriter(err));
                    assertEquals(0, code, String.join(" ", args) + "\n" + err);
                    assertEquals(theirs, out.toString(), String.join(" ", args) + "\n" + err);
                    args.add("-j");
                    String theirsJson = BpftoolCompatTest.bpftool(jsonFirst(args));
                    assertEquals(theirsJson, BpftoolCompatTest.bpf4j(args.toArray(new String[0])), String.join(" ", args));
                    compared.add(prog.getFileName() + " " + mode);
                }
            }
            assertTrue(compared.size() >= 20, "compared " + compared + "; left out: " + notDecodedByBpftool);
            System.out.println("[bpf4j] prog dump xlated compared on " + compared.size() + " program/mode pairs; "
                    + "left out (instructions bpftool cannot print): " + notDecodedByBpftool);
        } finally {
            try (Stream<Path> files = Files.walk(pins)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static String[] jsonFirst(List<String> args) {
        List<String> a = new ArrayList<>(args.subList(0, args.size() - 1));
        a.addFirst("-j");
        return a.toArray(new String[0]);
    }
}
