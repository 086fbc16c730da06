package io.bpf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import io.bpf4j.object.VariableSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bpf4j object show} lists everything the spec holds, in text and JSON; errors are one line. */
class ObjectCommandTest {
    @TempDir
    Path tmp;

    @Test
    void showListsProgramsMapsVariablesAndExterns() throws IOException {
        for (Path object : CoreOracleTest.objects()) {
            ObjectSpec o = ObjectSpec.read(object);
            CliRun text = CliRun.of("object", "show", object.toString());
            assertEquals(0, text.code(), text.err());
            CliRun json = CliRun.of("object", "show", "-j", object.toString());
            assertEquals(0, json.code(), json.err());
            assertTrue(json.out().startsWith("{\"name\":\"" + o.name() + "\"") && json.out().endsWith("}\n"), json.out());
            for (ProgramSpec p : o.programs()) {
                assertTrue(text.out().contains("  " + p.name() + ": section '" + p.sectionName() + "', type " + p.type().bpftoolName()),
                        object + " " + p.name());
                assertTrue(json.out().contains("{\"name\":\"" + p.name() + "\",\"section\":\"" + p.sectionName() + "\""), p.name());
            }
            for (MapSpec m : o.maps()) {
                assertTrue(text.out().contains("  " + m.name() + ": " + m.type().bpftoolName() + ", key " + m.keySize() + ", value "
                        + m.valueSize() + ", max entries " + m.maxEntries()), object + " " + m.name());
            }
            for (VariableSpec v : o.variables()) {
                assertTrue(text.out().contains("  " + v.name() + ": "), object + " " + v.name());
            }
            o.externs().forEach(e -> assertTrue(text.out().contains("  " + e.name() + ": "), e.name()));
        }
    }

    @Test
    void badInputIsOneLine() throws IOException {
        CliRun missing = CliRun.of("object", "show", tmp.resolve("none.o").toString());
        assertEquals(1, missing.code());
        assertEquals(1, missing.err().lines().count(), missing.err());
        Path junk = tmp.resolve("junk.o");
        Files.write(junk, new byte[100]);
        CliRun bad = CliRun.of("object", "show", junk.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().startsWith("Error: " + junk + ": not an ELF file"), bad.err());
        Path core = Path.of(System.getProperty("bpf4j.repo.root", ".."), "testdata", "core.bpf.o");
        CliRun badTarget = CliRun.of("object", "relocate", core.toString(), "--target-btf", junk.toString());
        assertEquals(1, badTarget.code());
        assertTrue(badTarget.err().startsWith("Error: "), badTarget.err());
        assertEquals(2, CliRun.of("object", "show").code());
    }
}
