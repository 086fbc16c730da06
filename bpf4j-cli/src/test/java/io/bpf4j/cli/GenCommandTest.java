package io.bpf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.gen.SkeletonGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bpf4j gen skeleton}: the generator's source, printed or written under a source root; errors in one line. */
class GenCommandTest {
    @TempDir
    Path tmp;

    private static Path counter() {
        return Path.of(System.getProperty("bpf4j.repo.root", ".."), "testdata", "xdp_counter.bpf.o");
    }

    @Test
    void writesThePackagesDirectory() throws IOException {
        CliRun r = CliRun.of("gen", "skeleton", counter().toString(), "--package", "com.example", "-o", tmp.toString());
        assertEquals(0, r.code(), r.err());
        Path file = tmp.resolve("com/example/XdpCounter.java");
        assertEquals(file + "\n", r.out());
        String expected = SkeletonGenerator.generate("xdp_counter.bpf.o", Files.readAllBytes(counter()),
                SkeletonGenerator.Options.of("com.example"));
        assertEquals(expected, Files.readString(file));
        assertTrue(expected.contains("package com.example;\n") && expected.contains("public final class XdpCounter "), expected);
    }

    @Test
    void printsWithoutOutputDirectory() {
        CliRun r = CliRun.of("gen", "skeleton", counter().toString(), "--package", "p", "--class", "Counter", "--resource");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("public final class Counter "), r.out());
        assertTrue(r.out().contains("Skeleton.open(Counter.class, \"xdp_counter.bpf.o\")"), r.out());
        assertFalse(r.out().contains("BASE64"), "a resource skeleton does not embed the object");
    }

    @Test
    void badInputIsOneLine() {
        CliRun badPackage = CliRun.of("gen", "skeleton", counter().toString(), "--package", "not a package");
        assertEquals(2, badPackage.code());
        assertTrue(badPackage.err().startsWith("Error: 'not a package' is not a Java package name\n"), badPackage.err());
        CliRun badType = CliRun.of("gen", "skeleton", counter().toString(), "--package", "p", "--type", "nope");
        assertEquals(1, badType.code());
        assertEquals(List.of("Error: xdp_counter.bpf.o: no struct, union or typedef of one called 'nope' in its BTF (it has: xdp_md);"
                + " clang emits a type's BTF only where the program's globals, maps or functions use it"), badType.err().lines().toList());
        CliRun missing = CliRun.of("gen", "skeleton", tmp.resolve("none.o").toString(), "--package", "p");
        assertEquals(1, missing.code());
        assertEquals("Error: no such file: " + tmp.resolve("none.o") + "\n", missing.err());
    }
}
