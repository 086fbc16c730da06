package io.bpf4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Where tests find the repository's test data and the shared conformance suite. */
public final class TestFiles {
    private TestFiles() {}

    /** The repository root: system property {@code bpf4j.repo.root} (set by surefire), else found from the working directory. */
    public static Path repoRoot() {
        String prop = System.getProperty("bpf4j.repo.root");
        if (prop != null && !prop.isEmpty()) {
            return Paths.get(prop);
        }
        Path dir = Paths.get("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("testdata/build.sh"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("cannot find the repository root; set -Dbpf4j.repo.root");
        }
        return dir;
    }

    /** {@code testdata/} of the repository. */
    public static Path testdata() {
        return repoRoot().resolve("testdata");
    }

    /** The bpf_conformance suite checked out beside the repository ({@code ../shared/conformance}). */
    public static Path conformance() {
        return repoRoot().resolve("../shared/conformance").normalize();
    }
}
