package io.bpf4j.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The codecs of primitives (this machine's byte order), fixed-size byte arrays, C char
 * arrays, and records laid out as C structs.
 *
 * <pre>{@code
 * record Flow(int saddr, int daddr, short sport, short dport) {}
 * Codec<Flow> natural = Codecs.record(Flow.class);            // C layout: 12 bytes
 * Codec<Flow> checked = Codecs.record(Flow.class, structFromBtf); // offsets and sizes from BTF, checked
 * }</pre>
 */
public final class Codecs {
    private Codecs() {}

    private static final Codec<Byte> INT8 = Codec.of(1, 1, (s, o) -> s.get(ValueLayout.JAVA_BYTE, o),
            (s, o, v) -> s.set(ValueLayout.JAVA_BYTE, o, v));
    private static final Codec<Short> INT16 = Codec.of(2, 2, (s, o) -> s.get(ValueLayout.JAVA_SHORT_UNALIGNED, o),
            (s, o, v) -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, v));
    private static final Codec<Integer> INT32 = Codec.of(4, 4, (s, o) -> s.get(ValueLayout.JAVA_INT_UNALIGNED, o),
            (s, o, v) -> s.set(ValueLayout.JAVA_INT_UNALIGNED, o, v));
    private static final Codec<Long> INT64 = Codec.of(8, 8, (s, o) -> s.get(ValueLayout.JAVA_LONG_UNALIGNED, o),
            (s, o, v) -> s.set(ValueLayout.JAVA_LONG_UNALIGNED, o, v));
    private static final Codec<Float> FLOAT32 = Codec.of(4, 4, (s, o) -> s.get(ValueLayout.JAVA_FLOAT_UNALIGNED, o),
            (s, o, v) -> s.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o, v));
    private static final Codec<Double> FLOAT64 = Codec.of(8, 8, (s, o) -> s.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, o),
            (s, o, v) -> s.set(ValueLayout.JAVA_DOUBLE_UNALIGNED, o, v));
    private static final Codec<Boolean> BOOL = Codec.of(1, 1, (s, o) -> s.get(ValueLayout.JAVA_BYTE, o) != 0,
            (s, o, v) -> s.set(ValueLayout.JAVA_BYTE, o, (byte) (v ? 1 : 0)));

    /** {@code __s8}/{@code __u8}. */
    public static Codec<Byte> int8() {
        return INT8;
    }

    /** {@code __s16}/{@code __u16}. */
    public static Codec<Short> int16() {
        return INT16;
    }

    /** {@code __s32}/{@code __u32} (read unsigned ones with {@link Integer#toUnsignedLong}). */
    public static Codec<Integer> int32() {
        return INT32;
    }

    /** {@code __s64}/{@code __u64}. */
    public static Codec<Long> int64() {
        return INT64;
    }

    public static Codec<Float> float32() {
        return FLOAT32;
    }

    public static Codec<Double> float64() {
        return FLOAT64;
    }

    /** {@code _Bool}: one byte, nonzero is true. */
    public static Codec<Boolean> bool() {
        return BOOL;
    }

    /**
     * The codec of a primitive wrapper ({@code Integer.class} is {@link #int32()}, ...) or of
     * a record in natural C layout.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static <T> Codec<T> of(Class<T> type) {
        Codec<?> c = primitive(type);
        if (c == null && type.isRecord()) {
            c = RecordCodec.natural((Class) type);
        }
        if (c == null) {
            throw new IllegalArgumentException(type.getName() + " has no codec: use a primitive wrapper, a record, "
                    + "or Codecs.bytes(n)");
        }
        return (Codec<T>) c;
    }

    /** The codec of a primitive type or its wrapper ({@code int.class} and {@code Integer.class} are {@link #int32()}); null for any other type. */
    static Codec<?> primitive(Class<?> type) {
        if (type == Integer.class || type == int.class) {
            return INT32;
        } else if (type == Long.class || type == long.class) {
            return INT64;
        } else if (type == Short.class || type == short.class) {
            return INT16;
        } else if (type == Byte.class || type == byte.class) {
            return INT8;
        } else if (type == Float.class || type == float.class) {
            return FLOAT32;
        } else if (type == Double.class || type == double.class) {
            return FLOAT64;
        } else if (type == Boolean.class || type == boolean.class) {
            return BOOL;
        }
        return null;
    }

    /** Exactly {@code size} raw bytes. */
    public static Codec<byte[]> bytes(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size);
        }
        return Codec.of(size, 1, (src, offset) -> {
            byte[] b = new byte[size];
            Codec.copy(src, offset, b, size);
            return b;
        }, (dst, offset, v) -> {
            if (v.length != size) {
                throw new IllegalArgumentException(v.length + " bytes for a " + size + "-byte field");
            }
            MemorySegment.copy(v, 0, dst, ValueLayout.JAVA_BYTE, offset, size);
        });
    }

    /** {@code char name[size]}: UTF-8 up to the first NUL; at most {@code size - 1} bytes are stored. */
    public static Codec<String> cString(int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("char array of " + size);
        }
        return Codec.of(size, 1, (src, offset) -> {
            byte[] b = new byte[size];
            Codec.copy(src, offset, b, size);
            int n = 0;
            while (n < size && b[n] != 0) {
                n++;
            }
            return new String(b, 0, n, StandardCharsets.UTF_8);
        }, (dst, offset, v) -> {
            byte[] b = v.getBytes(StandardCharsets.UTF_8);
            if (b.length >= size) {
                throw new IllegalArgumentException("\"" + v + "\" does not fit in char[" + size + "] with its NUL");
            }
            dst.asSlice(offset, size).fill((byte) 0);
            MemorySegment.copy(b, 0, dst, ValueLayout.JAVA_BYTE, offset, b.length);
        });
    }

    /**
     * A record laid out as C lays out a struct of its components in order: each aligned to
     * its size (arrays and structs to their elements' alignment), the whole padded to its
     * largest alignment. Components may be primitives, records, and with {@link CArray}
     * strings and primitive arrays.
     */
    public static <R extends Record> Codec<R> record(Class<R> type) {
        return RecordCodec.natural(type);
    }

    /**
     * A record matched to {@code struct}: every member of the struct is a component of the
     * same name and size, placed at the member's offset. A missing, extra or differently
     * sized component is an error naming it.
     */
    public static <R extends Record> Codec<R> record(Class<R> type, CStruct struct) {
        return RecordCodec.matched(type, Objects.requireNonNull(struct, "struct"));
    }
}
