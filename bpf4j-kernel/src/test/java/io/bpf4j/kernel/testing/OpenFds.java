package io.bpf4j.kernel.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Counts this process's open file descriptors, to show that code under test leaks none. */
public final class OpenFds {
    private OpenFds() {}

    /** How many entries {@code /proc/self/fd} has now. */
    public static int count() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How many BPF objects ({@code anon_inode:bpf-*} and {@code btf}) this process holds open now. */
    public static int countBpf() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.filter(OpenFds::isBpf).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isBpf(Path fd) {
        try {
            String target = Files.readSymbolicLink(fd).toString();
            return target.startsWith("anon_inode:bpf") || target.equals("anon_inode:btf");
        } catch (IOException e) {
            return false; // closed while listing
        }
    }
}
