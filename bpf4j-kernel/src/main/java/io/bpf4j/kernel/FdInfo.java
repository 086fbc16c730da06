package io.bpf4j.kernel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code /proc/self/fdinfo/FD} says about a BPF object (memlock, frozen, owner program
 * type of a program array...), and what kind of object an fd is.
 */
final class FdInfo {
    private FdInfo() {}

    /** The fdinfo fields of {@code fd}, in the kernel's order. */
    static Map<String, String> fields(int fd) {
        Path p = Path.of("/proc/self/fdinfo/" + fd);
        Map<String, String> fields = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(p)) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    fields.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
        return fields;
    }

    /** A numeric fdinfo field, or {@code absent} if the kernel does not report it. */
    static long number(int fd, String field, long absent) {
        String v = fields(fd).get(field);
        return v == null ? absent : Long.parseLong(v);
    }

    /** The kind of anonymous inode behind {@code fd}: {@code bpf-map}, {@code bpf-prog}, {@code bpf-link}, {@code btf}... */
    static String kind(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("anon_inode:") ? target.substring("anon_inode:".length()) : target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/fd/" + fd, e);
        }
    }
}
