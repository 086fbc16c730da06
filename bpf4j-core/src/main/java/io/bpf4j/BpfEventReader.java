package io.bpf4j;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Reads the records BPF programs send through a ring buffer ({@code bpf_ringbuf_output},
 * {@code bpf_ringbuf_submit}) or a perf event array ({@code bpf_perf_event_output}).
 *
 * <pre>{@code
 * try (BpfEventReader events = collection.events("events")) {
 *     events.poll(Duration.ofMillis(100), record -> System.out.println(record.get(ValueLayout.JAVA_INT, 0)));
 * }
 * }</pre>
 */
public interface BpfEventReader extends AutoCloseable {
    /**
     * Hands every record available now to {@code sink}, waiting up to {@code timeout} for the
     * first one if there is none. A record is valid only during the call: copy what must be
     * kept. Returns how many records were handed over, or -1 once the reader is closed.
     */
    int poll(Duration timeout, Consumer<MemorySegment> sink);

    /** Records the producer had to drop because the buffer was full, so far (0 where that is not known). */
    long lost();

    /** Stops reading. Closing twice is harmless. */
    @Override
    void close();
}
