package io.bpf4j.gen;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Where the generator's tests find BPF objects. */
final class Fixtures {
    /** libxdp1's compiled BPF objects (Debian's libxdp1 package). */
    static final Path LIBXDP = Path.of("/usr/lib/x86_64-linux-gnu/bpf");

    private Fixtures() {}

    /** The repository root, which surefire passes as {@code bpf4j.repo.root}. */
    static Path repoRoot() {
        String root = System.getProperty("bpf4j.repo.root");
        return root == null || root.isEmpty() ? Path.of("..").toAbsolutePath().normalize() : Path.of(root);
    }

    static Path testdata(String name) {
        return repoRoot().resolve("testdata").resolve(name);
    }

    /** Every {@code testdata/*.bpf.o}. */
    static List<Path> testdataObjects() {
        return list(repoRoot().resolve("testdata"), ".bpf.o");
    }

    /** Every libxdp1 object, or none where the package is not installed. */
    static List<Path> libxdpObjects() {
        return Files.isDirectory(LIBXDP) ? list(LIBXDP, ".o") : List.of();
    }

    private static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
