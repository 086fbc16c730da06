package io.bpf4j.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Converts between Java values and the fixed-size bytes a BPF map stores, in the map's C
 * layout and this machine's byte order. {@link Codecs} makes them for primitives, byte
 * arrays, C strings and records; {@link #of} makes one of a reader and a writer.
 *
 * <pre>{@code
 * Codec<Integer> key = Codecs.int32();
 * Codec<Stats> value = Codecs.record(Stats.class);   // record Stats(long packets, long bytes)
 * byte[] raw = value.toBytes(new Stats(1, 64));
 * Codec<Short> port = Codec.of(2, 2, (s, o) -> Short.reverseBytes(s.get(JAVA_SHORT_UNALIGNED, o)),
 *         (s, o, v) -> s.set(JAVA_SHORT_UNALIGNED, o, Short.reverseBytes(v)));   // network byte order
 * }</pre>
 */
public interface Codec<T> {
    /** Reads one value at an offset of a segment. */
    @FunctionalInterface
    interface Reader<T> {
        T read(MemorySegment segment, long offset);
    }

    /** Writes one value at an offset of a segment. */
    @FunctionalInterface
    interface Writer<T> {
        void write(MemorySegment segment, long offset, T value);
    }

    /** A codec of {@code size} bytes aligned to {@code alignment}, made of a reader and a writer. */
    static <T> Codec<T> of(int size, int alignment, Reader<T> reader, Writer<T> writer) {
        return new FixedCodec<>(size, alignment, reader, writer);
    }

    /** Bytes of one encoded value. */
    int size();

    /** Writes {@code value} into {@code size()} bytes of {@code dst} from {@code offset}. */
    void encode(T value, MemorySegment dst, long offset);

    /** Reads a value from {@code size()} bytes of {@code src} from {@code offset}. */
    T decode(MemorySegment src, long offset);

    /** Alignment of the encoded value in a C struct. */
    default int alignment() {
        return 1;
    }

    default byte[] toBytes(T value) {
        byte[] b = new byte[size()];
        encode(value, MemorySegment.ofArray(b), 0);
        return b;
    }

    default T fromBytes(byte[] bytes) {
        if (bytes.length < size()) {
            throw new IllegalArgumentException(bytes.length + " bytes given, the codec reads " + size());
        }
        return decode(MemorySegment.ofArray(bytes), 0);
    }

    /** Copies {@code size()} bytes, for codecs over raw bytes. */
    static void copy(MemorySegment src, long srcOffset, byte[] dst, int size) {
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOffset, dst, 0, size);
    }
}
