package io.bpf4j.skeleton;

import io.bpf4j.BpfEventReader;
import io.bpf4j.BpfMap;
import io.bpf4j.codec.Codec;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * A ring buffer or perf event array of a loaded object: the records its programs send, raw
 * or decoded by a codec (a generated record's {@code CODEC}). The reader opens when the
 * skeleton first hands out the map and closes with the skeleton: take it before the programs
 * send, since a perf event array drops what nobody reads yet.
 *
 * <pre>{@code
 * skel.maps().events().poll(Duration.ofMillis(100), Event.CODEC, e -> System.out.println(e.pid() + " " + e.comm()));
 * }</pre>
 */
public final class EventMap {
    private final BpfMap map;
    private final BpfEventReader reader;

    EventMap(BpfMap map, BpfEventReader reader) {
        this.map = map;
        this.reader = reader;
    }

    /** The map underneath. */
    public BpfMap map() {
        return map;
    }

    /** Hands every record available to {@code sink}, waiting up to {@code timeout} for one; see {@link BpfEventReader#poll}. */
    public int poll(Duration timeout, Consumer<MemorySegment> sink) {
        return reader.poll(timeout, sink);
    }

    /**
     * Decodes every record available with {@code codec} and hands it to {@code sink}. A record
     * shorter than the codec's type is an error naming the map.
     */
    public <T> int poll(Duration timeout, Codec<T> codec, Consumer<T> sink) {
        return reader.poll(timeout, record -> {
            if (record.byteSize() < codec.size()) {
                throw new IllegalArgumentException("map '" + map.name() + "': a record of " + record.byteSize()
                        + " bytes is shorter than the " + codec.size() + " bytes of the type it is read as");
            }
            sink.accept(codec.decode(record, 0));
        });
    }

    /** Records dropped because the buffer was full, so far. */
    public long lost() {
        return reader.lost();
    }

    @Override
    public String toString() {
        return "EventMap[" + map.name() + "]";
    }
}
