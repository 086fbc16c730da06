package io.bpf4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The committed objects of testdata/ are what testdata/build.sh makes of their sources. */
class TestdataTest {

    @Test
    void everySourceHasItsObject() throws IOException {
        try (Stream<Path> list = Files.list(TestFiles.testdata())) {
            List<Path> sources = list.filter(p -> p.toString().endsWith(".bpf.c")).sorted().toList();
            assertTrue(sources.size() >= 5, "sources: " + sources);
            for (Path source : sources) {
                Path object = Path.of(source.toString().replaceAll("\\.c$", ".o"));
                assertTrue(Files.exists(object), object + " is missing: run testdata/build.sh");
            }
        }
    }

    /** Rebuilds every object with clang where clang is installed and compares bytes. */
    @Test
    void rebuildingGivesTheCommittedObjects() throws IOException, InterruptedException {
        if (Tools.find("clang-14").isEmpty() && Tools.find("clang").isEmpty()) {
            Tools.require("clang");
        }
        Process p = new ProcessBuilder(TestFiles.testdata().resolve("build.sh").toString(), "--check")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        System.out.print(out.lines().filter(l -> l.startsWith("skip")).map(l -> "SKIPPED: " + l + "\n")
                .reduce("", String::concat));
        assertEquals(0, code, "testdata/build.sh --check:\n" + out);
    }
}
