package io.bpf4j.btf;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The external tools and objects the BTF tests compare against (run through {@link Tools}); a
 * test whose tool or input is missing is skipped with the reason printed.
 */
final class Oracle {
    static final Path VMLINUX = Path.of("/sys/kernel/btf/vmlinux");
    static final Path LIBXDP = Path.of("/usr/lib/x86_64-linux-gnu/bpf");

    private Oracle() {}

    static void requireFile(Path file) {
        if (!Files.isReadable(file)) {
            System.out.println("SKIPPED: " + file + " is not readable");
        }
        assumeTrue(Files.isReadable(file), file + " is not readable");
    }

    static byte[] bpftool(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Tools.require("bpftool"));
        command.addAll(List.of(args));
        return Tools.output(command);
    }

    /** The .BTF section of an ELF object, extracted by llvm-objcopy. */
    static byte[] btfSection(Path object, String section, Path tmp) {
        String objcopy = Tools.require("llvm-objcopy", "llvm-objcopy-19");
        Path out = tmp.resolve(object.getFileName() + section);
        Tools.output(List.of(objcopy, "--dump-section", section + "=" + out, object.toString(), "/dev/null"));
        try {
            return Files.readAllBytes(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** BPF objects with BTF to test on: testdata/*.bpf.o and libxdp's objects. */
    static List<Path> objects() {
        List<Path> all = new ArrayList<>();
        String root = System.getProperty("bpf4j.repo.root");
        for (Path dir : new Path[] {root == null ? null : Path.of(root, "testdata"), LIBXDP}) {
            if (dir == null || !Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.toString().endsWith(".o")).sorted().forEach(all::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (all.isEmpty()) {
            System.out.println("SKIPPED: no BPF objects under testdata/ or " + LIBXDP);
        }
        assumeTrue(!all.isEmpty(), "no BPF objects under testdata/ or " + LIBXDP);
        return all;
    }
}
