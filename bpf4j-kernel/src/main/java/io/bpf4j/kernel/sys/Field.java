package io.bpf4j.kernel.sys;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * One field of a kernel struct at a fixed offset, as {@link Layouts} lists them. Typed so
 * that a 32-bit field cannot be written as 64 bits; reads and writes are little or big
 * endian as the machine is, like the kernel's.
 */
public sealed interface Field {
    /** The C name, dotted for members of named nested structs ({@code kprobe_multi.flags}). */
    String name();

    /** Byte offset from the start of the struct. */
    int offset();

    /** Bytes the field occupies (for a bitfield: its storage unit). */
    int size();

    /** Offset of the first byte after the field. */
    default int end() {
        return offset() + size();
    }

    /** An 8-bit integer. */
    record I8(String name, int offset, boolean signed) implements Field {
        @Override
        public int size() {
            return 1;
        }

        public int get(MemorySegment s) {
            byte v = s.get(ValueLayout.JAVA_BYTE, offset);
            return signed ? v : Byte.toUnsignedInt(v);
        }

        public void set(MemorySegment s, int value) {
            s.set(ValueLayout.JAVA_BYTE, offset, (byte) value);
        }
    }

    /** A 16-bit integer. */
    record I16(String name, int offset, boolean signed) implements Field {
        @Override
        public int size() {
            return 2;
        }

        public int get(MemorySegment s) {
            short v = s.get(ValueLayout.JAVA_SHORT_UNALIGNED, offset);
            return signed ? v : Short.toUnsignedInt(v);
        }

        public void set(MemorySegment s, int value) {
            s.set(ValueLayout.JAVA_SHORT_UNALIGNED, offset, (short) value);
        }
    }

    /** A 32-bit integer ({@code __u32}, {@code __s32}, an fd). */
    record I32(String name, int offset, boolean signed) implements Field {
        @Override
        public int size() {
            return 4;
        }

        public int get(MemorySegment s) {
            return s.get(ValueLayout.JAVA_INT_UNALIGNED, offset);
        }

        /** The value widened as C would: sign-extended when signed, else zero-extended. */
        public long getLong(MemorySegment s) {
            int v = get(s);
            return signed ? v : Integer.toUnsignedLong(v);
        }

        public void set(MemorySegment s, int value) {
            s.set(ValueLayout.JAVA_INT_UNALIGNED, offset, value);
        }
    }

    /** A 64-bit integer, or an {@code __aligned_u64} holding a user-space pointer. */
    record I64(String name, int offset, boolean signed) implements Field {
        @Override
        public int size() {
            return 8;
        }

        public long get(MemorySegment s) {
            return s.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
        }

        public void set(MemorySegment s, long value) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, value);
        }

        /** Stores the address of {@code target}; {@link MemorySegment#NULL} stores 0. */
        public void set(MemorySegment s, MemorySegment target) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, target.address());
        }
    }

    /** A fixed array of bytes or chars ({@code char map_name[16]}, {@code __u8 tag[8]}). */
    record Bytes(String name, int offset, int size) implements Field {
        public byte[] get(MemorySegment s) {
            return s.asSlice(offset, size).toArray(ValueLayout.JAVA_BYTE);
        }

        /** The bytes up to the first NUL, as UTF-8. */
        public String getString(MemorySegment s) {
            byte[] b = get(s);
            int n = 0;
            while (n < b.length && b[n] != 0) {
                n++;
            }
            return new String(b, 0, n, StandardCharsets.UTF_8);
        }

        /** Stores {@code value}, NUL-padded; at most {@code size - 1} bytes so a NUL always ends it. */
        public void setString(MemorySegment s, String value) {
            byte[] b = value.getBytes(StandardCharsets.UTF_8);
            if (b.length >= size) {
                throw new IllegalArgumentException(name + " \"" + value + "\" is longer than " + (size - 1) + " bytes");
            }
            MemorySegment dst = s.asSlice(offset, size);
            dst.fill((byte) 0);
            MemorySegment.copy(b, 0, dst, ValueLayout.JAVA_BYTE, 0, b.length);
        }
    }

    /** A bitfield: {@code width} bits from bit {@code shift} of the storage unit at {@code offset}. */
    record Bits(String name, int offset, int size, int shift, int width) implements Field {
        public long get(MemorySegment s) {
            return (unit(s) >>> shift) & ((1L << width) - 1);
        }

        /** Stores {@code value} in the field's bits, keeping the other bits of its storage unit. */
        public void set(MemorySegment s, long value) {
            long mask = ((1L << width) - 1) << shift;
            long unit = (unit(s) & ~mask) | ((value << shift) & mask);
            switch (size) {
                case 1 -> s.set(ValueLayout.JAVA_BYTE, offset, (byte) unit);
                case 2 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED, offset, (short) unit);
                case 4 -> s.set(ValueLayout.JAVA_INT_UNALIGNED, offset, (int) unit);
                default -> s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, unit);
            }
        }

        private long unit(MemorySegment s) {
            return switch (size) {
                case 1 -> Byte.toUnsignedLong(s.get(ValueLayout.JAVA_BYTE, offset));
                case 2 -> Short.toUnsignedLong(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, offset));
                case 4 -> Integer.toUnsignedLong(s.get(ValueLayout.JAVA_INT_UNALIGNED, offset));
                default -> s.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
            };
        }
    }
}
