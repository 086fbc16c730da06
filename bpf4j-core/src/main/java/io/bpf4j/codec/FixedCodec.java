package io.bpf4j.codec;

import java.lang.foreign.MemorySegment;

/** What {@link Codec#of} makes: a size, an alignment, a reader and a writer. */
record FixedCodec<T>(int size, int alignment, Codec.Reader<T> reader, Codec.Writer<T> writer) implements Codec<T> {
    @Override
    public void encode(T value, MemorySegment dst, long offset) {
        writer.write(dst, offset, value);
    }

    @Override
    public T decode(MemorySegment src, long offset) {
        return reader.read(src, offset);
    }
}
