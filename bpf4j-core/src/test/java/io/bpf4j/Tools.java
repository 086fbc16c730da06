package io.bpf4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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

    /** Skips the calling test, saying why, unless one of {@code names} is installed; returns the path of the first that is. */
    public static String require(String... names) {
        Optional<Path> found = Stream.of(names).map(Tools::find).flatMap(Optional::stream).findFirst();
        String what = String.join(" or ", names);
        if (found.isEmpty()) {
            System.out.println("SKIPPED: " + what + " is not installed, so this oracle test cannot run");
        }
        Assumptions.assumeTrue(found.isPresent(), what + " is not installed");
        return found.get().toString();
    }

    /** Runs a command and returns its standard output as text; fails on a non-zero exit or after two minutes. */
    public static String run(List<String> command) {
        return new String(output(command), StandardCharsets.UTF_8);
    }

    /** Runs a command and returns its standard output; fails on a non-zero exit or after two minutes. */
    public static byte[] output(List<String> command) {
        try {
            Path err = Files.createTempFile("bpf4j-tool", ".err");
            try {
                Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(2, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    throw new AssertionError(command + " did not finish within two minutes");
                }
                if (p.exitValue() != 0) {
                    throw new AssertionError(command + " exited with " + p.exitValue() + ": " + Files.readString(err));
                }
                return out;
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
