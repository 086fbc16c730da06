package io.bpf4j.gen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The committed skeleton of testdata/skeleton.bpf.o that the feature tests use is what the generator makes now. */
class FixtureSkeletonTest {
    static final String REGENERATE = "./bpf4j gen skeleton testdata/skeleton.bpf.o --package io.bpf4j.gen.fixture --type xdp_md"
            + " -o bpf4j-gen/src/test/java";

    @Test
    void committedFixtureIsCurrent() throws IOException {
        Path object = Fixtures.testdata("skeleton.bpf.o");
        String fresh = SkeletonGenerator.generate("skeleton.bpf.o", Files.readAllBytes(object),
                SkeletonGenerator.Options.of("io.bpf4j.gen.fixture").withTypes(java.util.List.of("xdp_md")));
        Path committed = Fixtures.repoRoot().resolve("bpf4j-gen/src/test/java/io/bpf4j/gen/fixture/SkeletonObject.java");
        assertEquals(fresh, Files.readString(committed), "the fixture skeleton is stale; regenerate it with: " + REGENERATE);
    }
}
