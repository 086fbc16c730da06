package io.bpf4j.btf;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Runs the external tools the BTF tests compare against; a test whose tool is missing is skipped with the reason printed. */
final class Oracle {
    static final Path VMLINUX = Path.of("/sys/kernel/btf/vmlinux");
    static final Path LIBXDP = Path.of("/usr/lib/x86_64-linux-gnu/bpf");

    private Oracle() {}

    /** The first of the commands found on PATH, or null. */
    static String find(String... names) {
        for (String name : names) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                if (Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        return null;
    }

    /** Skips the calling test, saying why, unless the tool exists. */
    static String require(String... names) {
        String tool = find(names);
        if (tool == null) {
            System.out.println("SKIPPED: " + String.join(" or ", names) + " not found on PATH");
        }
        assumeTrue(tool != null, String.join(" or ", names) + " not found on PATH");
        return tool;
    }

    static void requireFile(Path file) {
        if (!Files.isReadable(file)) {
            System.out.println("SKIPPED: " + file + " is not readable");
        }
        assumeTrue(Files.isReadable(file), file + " is not readable");
    }

    /** Runs a command and returns its standard output; fails on a non-zero exit. */
    static byte[] run(List<String> command) {
        try {
            Path err = Files.createTempFile("oracle", ".err");
            Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                String msg = Files.readString(err);
                Files.delete(err);
                throw new AssertionError(command + " failed: " + msg);
            }
            Files.delete(err);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static byte[] bpftool(String... args) {
        List<String> command = new ArrayList<>();
        command.add(require("bpftool"));
        command.addAll(List.of(args));
        return run(command);
    }

    /** The .BTF section of an ELF object, extracted by llvm-objcopy. */
    static byte[] btfSection(Path object, String section, Path tmp) {
        String objcopy = require("llvm-objcopy", "llvm-objcopy-19");
        Path out = tmp.resolve(object.getFileName() + section);
        run(List.of(objcopy, "--dump-section", section + "=" + out, object.toString(), "/dev/null"));
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
