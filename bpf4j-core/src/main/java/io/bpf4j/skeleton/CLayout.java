package io.bpf4j.skeleton;

import io.bpf4j.codec.Codec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Array;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

/**
 * The pieces of C layout that generated records use to read and write their members:
 * char arrays as strings, bitfields, arrays of any element, and codecs made of a reader and
 * a writer. Generated code calls these; hand-written code may too.
 *
 * <pre>{@code
 * String comm = CLayout.getString(segment, 8, 16);               // char comm[16] at offset 8
 * int flags = (int) CLayout.getBits(segment, 4, 3, 5, false, ByteOrder.LITTLE_ENDIAN); // unsigned flags:5 at bit 35
 * Codec<Event> codec = CLayout.codec(Event.SIZE, 8, Event::decode, (s, o, e) -> e.encode(s, o));
 * }</pre>
 */
public final class CLayout {
    private CLayout() {}

    /** A codec of {@code size} bytes aligned to {@code alignment}, made of a reader and a writer: {@link Codec#of}. */
    public static <T> Codec<T> codec(int size, int alignment, Codec.Reader<T> reader, Codec.Writer<T> writer) {
        return Codec.of(size, alignment, reader, writer);
    }

    /** {@code char name[size]}: UTF-8 up to the first NUL (or all {@code size} bytes if there is none). */
    public static String getString(MemorySegment segment, long offset, int size) {
        byte[] b = new byte[size];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, b, 0, size);
        int n = 0;
        while (n < size && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    /**
     * Stores {@code value} as UTF-8 in {@code char[size]}, NUL-padded. A string of exactly
     * {@code size} bytes is stored without its NUL, as C allows for char arrays.
     *
     * @throws IllegalArgumentException naming {@code what} if it does not fit
     */
    public static void putString(MemorySegment segment, long offset, int size, String value, String what) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        if (b.length > size) {
            throw new IllegalArgumentException(what + ": \"" + value + "\" is " + b.length + " bytes in UTF-8, more than its char["
                    + size + "]");
        }
        segment.asSlice(offset, size).fill((byte) 0);
        MemorySegment.copy(b, 0, segment, ValueLayout.JAVA_BYTE, offset, b.length);
    }

    /** {@code size} raw bytes. */
    public static byte[] getBytes(MemorySegment segment, long offset, int size) {
        byte[] b = new byte[size];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, b, 0, size);
        return b;
    }

    /** Stores exactly {@code size} raw bytes; {@code what} names the field in the error if the length differs. */
    public static void putBytes(MemorySegment segment, long offset, int size, byte[] value, String what) {
        checkLength(value.length, size, what);
        MemorySegment.copy(value, 0, segment, ValueLayout.JAVA_BYTE, offset, size);
    }

    /** Fails naming {@code what} unless an array of {@code actual} elements fills a C array of {@code expected}. */
    public static void checkLength(int actual, int expected, String what) {
        if (actual != expected) {
            throw new IllegalArgumentException(what + " has " + actual + " elements; its C array has " + expected);
        }
    }

    /** Stores a Java array of primitives as a C array of {@code length} elements of {@code layout}; {@code what} names it in errors. */
    public static void putPrimitives(MemorySegment segment, long offset, ValueLayout layout, Object array, int length, String what) {
        checkLength(Array.getLength(array), length, what);
        MemorySegment.copy(array, 0, segment, layout, offset, length);
    }

    /** A C array of {@code length} elements {@code stride} bytes apart, each read by {@code element}. */
    public static <T> T[] getArray(MemorySegment segment, long offset, int length, long stride, IntFunction<T[]> newArray,
            Codec.Reader<T> element) {
        T[] out = newArray.apply(length);
        for (int i = 0; i < length; i++) {
            out[i] = element.read(segment, offset + i * stride);
        }
        return out;
    }

    /** Writes a C array of {@code length} elements {@code stride} bytes apart; {@code what} names it in errors. */
    public static <T> void putArray(MemorySegment segment, long offset, int length, long stride, T[] values, Codec.Writer<T> element,
            String what) {
        checkLength(values.length, length, what);
        for (int i = 0; i < length; i++) {
            if (values[i] == null) {
                throw new NullPointerException(what + "[" + i + "] is null");
            }
            element.write(segment, offset + i * stride, values[i]);
        }
    }

    /**
     * A bitfield of {@code bits} bits that starts {@code bitOffset} bits into the byte at
     * {@code offset} (bit numbering as the C compiler of {@code order} lays bitfields out:
     * from the least significant bit for little-endian, the most significant for big-endian),
     * sign-extended if {@code signed}. The field may span up to 8 bytes.
     */
    public static long getBits(MemorySegment segment, long offset, int bitOffset, int bits, boolean signed, ByteOrder order) {
        int span = span(bitOffset, bits);
        long word = load(segment, offset, span, order);
        int shift = order == ByteOrder.LITTLE_ENDIAN ? bitOffset : span * 8 - bitOffset - bits;
        long value = word >>> shift;
        if (bits == 64) {
            return value;
        }
        value &= (1L << bits) - 1;
        return signed && (value >>> (bits - 1)) != 0 ? value | -1L << bits : value;
    }

    /** Writes the low {@code bits} bits of {@code value} into the bitfield {@link #getBits} reads, leaving the bits around it. */
    public static void putBits(MemorySegment segment, long offset, int bitOffset, int bits, long value, ByteOrder order) {
        int span = span(bitOffset, bits);
        long word = load(segment, offset, span, order);
        int shift = order == ByteOrder.LITTLE_ENDIAN ? bitOffset : span * 8 - bitOffset - bits;
        long mask = (bits == 64 ? -1L : (1L << bits) - 1) << shift;
        word = word & ~mask | value << shift & mask;
        for (int i = 0; i < span; i++) {
            int byteShift = order == ByteOrder.LITTLE_ENDIAN ? 8 * i : 8 * (span - 1 - i);
            segment.set(ValueLayout.JAVA_BYTE, offset + i, (byte) (word >>> byteShift));
        }
    }

    private static int span(int bitOffset, int bits) {
        if (bitOffset < 0 || bitOffset > 7 || bits < 1 || bits > 64 || bitOffset + bits > 64) {
            throw new IllegalArgumentException("bitfield of " + bits + " bits at bit " + bitOffset + " does not fit in 8 bytes");
        }
        return (bitOffset + bits + 7) / 8;
    }

    private static long load(MemorySegment segment, long offset, int span, ByteOrder order) {
        long word = 0;
        for (int i = 0; i < span; i++) {
            long b = segment.get(ValueLayout.JAVA_BYTE, offset + i) & 0xffL;
            word |= order == ByteOrder.LITTLE_ENDIAN ? b << 8 * i : b << 8 * (span - 1 - i);
        }
        return word;
    }
}
