package io.bpf4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs the external tools that serve as test oracles (llvm-objdump, llvm-readelf, clang, ...). */
public final class Tools {
    private Tools() {}

    /** The executable {@code name} on the PATH, if any. */
    public static Optional<Path> find(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(":")) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Skips the calling test, saying why, unless {@code name} is installed. */
    public static void require(String name) {
        boolean present = find(name).isPresent();
        if (!present) {
            System.out.println("SKIPPED: " + name + " is not installed, so this oracle test cannot run");
        }
        Assumptions.assumeTrue(present, name + " is not installed");
    }

    /** Runs a command and returns its standard output; fails on a non-zero exit or after a minute. */
    public static String run(List<String> command) {
        try {
            Path err = Files.createTempFile("bpf4j-tool", ".err");
            try {
                Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError(command + " did not finish within a minute");
                }
                if (p.exitValue() != 0) {
                    throw new AssertionError(command + " exited with " + p.exitValue() + ": " + Files.readString(err));
                }
                return new String(out, StandardCharsets.UTF_8);
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
