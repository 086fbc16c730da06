package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.kernel.sys.Libc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The kernel's tracing filesystem: where it is mounted (mounting it at
 * {@code /sys/kernel/tracing} when it is not and this process may), tracepoint ids, and the
 * files of dynamic events ({@code kprobe_events}, {@code uprobe_events}).
 */
final class Tracefs {
    private static final Path[] CANDIDATES = {Path.of("/sys/kernel/tracing"), Path.of("/sys/kernel/debug/tracing")};

    private Tracefs() {}

    /** The mounted tracefs; mounts it when absent. */
    static Path root() {
        for (Path p : CANDIDATES) {
            if (Files.isDirectory(p.resolve("events"))) {
                return p;
            }
        }
        Path target = CANDIDATES[0];
        if (Files.isDirectory(target) && Libc.mount("nodev", target.toString(), "tracefs", 0) == 0
                && Files.isDirectory(target.resolve("events"))) {
            return target;
        }
        throw new UnsupportedFeatureException("no tracefs: neither " + CANDIDATES[0] + " nor " + CANDIDATES[1]
                + " is mounted (run: mount -t tracefs nodev /sys/kernel/tracing); the kernel needs CONFIG_TRACING");
    }

    /** The id of tracepoint {@code category:name}, as perf_event_open wants it. */
    static int eventId(String category, String name) {
        checkName("tracepoint category", category);
        checkName("tracepoint", name);
        Path id = root().resolve("events").resolve(category).resolve(name).resolve("id");
        try {
            return Integer.parseInt(Files.readString(id).trim());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new BpfException("no tracepoint " + category + ":" + name + " (" + id + " does not exist; "
                    + root().resolve("available_events") + " lists those this kernel has)");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + id, e);
        }
    }

    /** Whether tracepoint {@code category:name} exists. */
    static boolean hasEvent(String category, String name) {
        try {
            return Files.exists(root().resolve("events").resolve(category).resolve(name).resolve("id"));
        } catch (BpfException e) {
            return false;
        }
    }

    /** Names must be plain path components: no separators, nothing that walks out of the events tree. */
    static void checkName(String what, String name) {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..") || name.indexOf('\0') >= 0) {
            throw new BpfException("invalid " + what + " name '" + name + "'");
        }
    }
}
