package io.bpf4j.kernel;

import io.bpf4j.kernel.sys.Errno;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Posix;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The kernel's trace pipe ({@code <tracefs>/trace_pipe}), where {@code bpf_trace_printk}
 * writes: lines as the kernel formats them, or parsed into {@link Event}s like BCC's
 * {@code trace_fields}. Reading consumes the lines (for every reader of the pipe). Any thread
 * may {@link #close()} the pipe, which wakes a thread waiting for a line.
 *
 * <pre>{@code
 * try (TracePipe pipe = TracePipe.open()) {
 *     pipe.events().forEach(e -> System.out.println(e.pid() + " " + e.message()));   // until closed
 * }
 * }</pre>
 */
public final class TracePipe implements AutoCloseable {
    /**
     * One parsed line, e.g. {@code  java-4242 [001] d..31 1234.567890: bpf_trace_printk: hello}.
     *
     * @param task      the command name of the thread that wrote it
     * @param pid       its thread id
     * @param flags     the kernel's irq/preempt flags column, e.g. {@code d..31}
     * @param timestamp seconds, as the trace clock counts them
     * @param function  what wrote the line, {@code bpf_trace_printk} for BPF programs
     */
    public record Event(String task, int pid, int cpu, String flags, double timestamp, String function, String message) {}

    // task-pid, an optional "( tgid)" column, [cpu], flags, timestamp: function: message
    private static final Pattern LINE = Pattern.compile(
            "^\\s*(.*)-(\\d+)\\s+(?:\\(\\s*[-\\d]+\\)\\s+)?\\[(\\d+)]\\s+(\\S+)\\s+(\\d+\\.\\d+):\\s+([^:]+):\\s?(.*)$");

    private final Fd fd;
    private final Poller poller;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(16384);
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final ArrayDeque<String> lines = new ArrayDeque<>();

    private TracePipe(Fd fd) {
        this.fd = fd;
        this.poller = new Poller("trace pipe", 1, this::release);
        try {
            poller.add(fd.get(), 0);
        } catch (RuntimeException e) {
            poller.close();
            throw e;
        }
    }

    /** Opens the trace pipe of the mounted tracefs (mounting it when needed). */
    public static TracePipe open() {
        String path = Tracefs.root().resolve("trace_pipe").toString();
        int fd = Posix.open(path, Posix.O_RDONLY | Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        if (fd < 0) {
            throw new SystemCallException("open " + path, "open", -fd);
        }
        return new TracePipe(new Fd(fd));
    }

    /** Parses a line as BCC's {@code trace_fields} does; empty for lines that are no event (e.g. lost-event notes). */
    public static Optional<Event> parse(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.matches()) {
            return Optional.empty();
        }
        return Optional.of(new Event(m.group(1).trim(), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                m.group(4), Double.parseDouble(m.group(5)), m.group(6).trim(), m.group(7)));
    }

    /**
     * The next line, waiting up to {@code timeout} for one; null when none came in time or the
     * pipe is closed (then {@link #isClosed()} is true).
     */
    public String readLine(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (lines.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !fill((int) Math.min(Math.max(left / 1_000_000, 1), Integer.MAX_VALUE))) {
                return null;
            }
        }
        return lines.poll();
    }

    /** The next parsed event, skipping lines that are none; empty on timeout or close. */
    public Optional<Event> next(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line = readLine(Duration.ofNanos(Math.max(deadline - System.nanoTime(), 0)));
            if (line == null) {
                return Optional.empty();
            }
            Optional<Event> e = parse(line);
            if (e.isPresent()) {
                return e;
            }
        }
    }

    /** The lines as they come, until the pipe is closed. */
    public Stream<String> lines() {
        Iterator<String> it = new Iterator<>() {
            private String next;

            @Override
            public boolean hasNext() {
                while (next == null && !isClosed()) {
                    next = readLine(Duration.ofSeconds(1));
                }
                return next != null;
            }

            @Override
            public String next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                String n = next;
                next = null;
                return n;
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL),
                false);
    }

    /** The events as they come, until the pipe is closed. */
    public Stream<Event> events() {
        return lines().map(TracePipe::parse).flatMap(Optional::stream);
    }

    public boolean isClosed() {
        return poller.isClosed();
    }

    /** Waits up to {@code timeoutMillis} and reads what the pipe has into {@link #lines}; false when closed. */
    private boolean fill(int timeoutMillis) {
        return poller.poll(Duration.ofMillis(timeoutMillis), token -> readAvailable()) >= 0;
    }

    /** Reads until the pipe has no more for now, splitting what came into lines. */
    private int readAvailable() {
        while (true) {
            long r = Posix.read(fd.get(), buffer, buffer.byteSize());
            if (r == -Errno.EAGAIN || r == 0) {
                return 0;
            }
            if (r == -Errno.EINTR) {
                continue;
            }
            if (r < 0) {
                throw new SystemCallException("read the trace pipe", "read", (int) -r);
            }
            byte[] bytes = buffer.asSlice(0, r).toArray(ValueLayout.JAVA_BYTE);
            int start = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    partial.write(bytes, start, i - start);
                    lines.add(partial.toString(StandardCharsets.UTF_8));
                    partial.reset();
                    start = i + 1;
                }
            }
            partial.write(bytes, start, bytes.length - start);
        }
    }

    /** Closes the pipe; a thread waiting for a line wakes and gets null. */
    @Override
    public void close() {
        poller.close();
    }

    private void release() {
        fd.close();
        arena.close();
    }
}
