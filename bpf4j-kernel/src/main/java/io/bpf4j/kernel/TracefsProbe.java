package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A dynamic tracefs event made by writing a probe definition to {@code kprobe_events} or
 * {@code uprobe_events}, the way to attach probes on kernels without the kprobe or uprobe
 * perf PMU. Its events live in group {@link #GROUP}, named after this process so they
 * cannot clash with another's; closing removes the event.
 */
final class TracefsProbe implements AutoCloseable {
    static final String GROUP = "bpf4j";
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final Path file;
    private final String name;
    private boolean removed;

    private TracefsProbe(Path file, String name) {
        this.file = file;
        this.name = name;
    }

    /** The events file ({@code kprobe_events} or {@code uprobe_events}), or null when the kernel has none. */
    static Path eventsFile(String kind) {
        try {
            Path p = Tracefs.root().resolve(kind + "_events");
            return Files.exists(p) ? p : null;
        } catch (BpfException e) {
            return null;
        }
    }

    /** An event name unique to this process and probe: {@code bpf4j_PID_TARGET_0xOFFSET_N}. */
    static String eventName(String target, long offset) {
        return "bpf4j_" + ProcessHandle.current().pid() + "_" + target.replaceAll("[^A-Za-z0-9_]", "_") + "_0x"
                + Long.toHexString(offset) + "_" + COUNTER.incrementAndGet();
    }

    /** The definition line: {@code p:bpf4j/NAME LOCATION}, or {@code r:...} for a return probe. */
    static String definition(boolean ret, String name, String location) {
        return (ret ? "r:" : "p:") + GROUP + "/" + name + " " + location;
    }

    /** Writes the definition of event {@code name} to {@code file}. */
    static TracefsProbe create(Path file, String name, String definition, String what) {
        try {
            Files.writeString(file, definition + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new BpfException(what + ": writing '" + definition + "' to " + file + " failed: " + e.getMessage(), e);
        }
        return new TracefsProbe(file, name);
    }

    /** The event's tracepoint id. */
    int id() {
        return Tracefs.eventId(GROUP, name);
    }

    @Override
    public synchronized void close() {
        if (removed) {
            return;
        }
        removed = true;
        try {
            Files.writeString(file, "-:" + GROUP + "/" + name + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove event " + GROUP + "/" + name + " from " + file, e);
        }
    }
}
