package io.bpf4j.codec;

import io.bpf4j.BpfFormatException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** A record as a C struct: one codec per component, at its offset. */
final class RecordCodec<R extends Record> implements Codec<R> {
    private final Class<R> type;
    private final int size;
    private final int alignment;
    private final Codec<Object>[] parts;
    private final int[] offsets;
    private final MethodHandle[] accessors;
    private final MethodHandle constructor;

    private RecordCodec(Class<R> type, int size, int alignment, List<Codec<Object>> parts, int[] offsets) {
        this.type = type;
        this.size = size;
        this.alignment = alignment;
        @SuppressWarnings("unchecked")
        Codec<Object>[] array = parts.toArray(new Codec[0]);
        this.parts = array;
        this.offsets = offsets;
        RecordComponent[] components = type.getRecordComponents();
        this.accessors = new MethodHandle[components.length];
        Class<?>[] types = new Class<?>[components.length];
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            for (int i = 0; i < components.length; i++) {
                var accessor = components[i].getAccessor();
                accessor.setAccessible(true);
                accessors[i] = lookup.unreflect(accessor);
                types[i] = components[i].getType();
            }
            Constructor<R> canonical = type.getDeclaredConstructor(types);
            canonical.setAccessible(true);
            this.constructor = lookup.unreflectConstructor(canonical).asSpreader(Object[].class, components.length);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalArgumentException("cannot use record " + type.getName() + " as a codec: " + e.getMessage(), e);
        }
    }

    static <R extends Record> RecordCodec<R> natural(Class<R> type) {
        List<Codec<Object>> parts = new ArrayList<>();
        RecordComponent[] components = components(type);
        int[] offsets = new int[components.length];
        int offset = 0;
        int align = 1;
        for (int i = 0; i < components.length; i++) {
            Codec<Object> c = componentCodec(type, components[i], null);
            offset = alignUp(offset, c.alignment());
            offsets[i] = offset;
            offset += c.size();
            align = Math.max(align, c.alignment());
            parts.add(c);
        }
        return new RecordCodec<>(type, alignUp(offset, align), align, parts, offsets);
    }

    static <R extends Record> RecordCodec<R> matched(Class<R> type, CStruct struct) {
        List<Codec<Object>> parts = new ArrayList<>();
        RecordComponent[] components = components(type);
        int[] offsets = new int[components.length];
        int align = 1;
        Set<String> unmatched = new LinkedHashSet<>();
        struct.members().forEach(m -> unmatched.add(m.name()));
        for (int i = 0; i < components.length; i++) {
            RecordComponent rc = components[i];
            CStruct.Member m = struct.member(rc.getName());
            String where = "record " + type.getSimpleName() + " component '" + rc.getName() + "'";
            if (m == null) {
                throw new BpfFormatException(where + " has no member of that name in struct " + struct.name()
                        + " (members: " + String.join(", ", names(struct)) + ")");
            }
            if (m.bitfield()) {
                throw new BpfFormatException(where + ": struct " + struct.name() + " member '" + m.name()
                        + "' is a bitfield, which a record component cannot hold");
            }
            Codec<Object> c = componentCodec(type, rc, m.struct());
            if (c.size() != m.size()) {
                throw new BpfFormatException(where + " (" + rc.getType().getSimpleName() + ", " + c.size()
                        + " bytes) does not match struct " + struct.name() + " member '" + m.name() + "' ("
                        + m.size() + " bytes at offset " + m.offset() + ")");
            }
            if (m.offset() < 0 || m.offset() + m.size() > struct.size()) {
                throw new BpfFormatException("struct " + struct.name() + " member '" + m.name() + "' lies outside its "
                        + struct.size() + " bytes");
            }
            offsets[i] = m.offset();
            align = Math.max(align, c.alignment());
            parts.add(c);
            unmatched.remove(m.name());
        }
        if (!unmatched.isEmpty()) {
            throw new BpfFormatException("record " + type.getSimpleName() + " lacks struct " + struct.name()
                    + " member(s) " + String.join(", ", unmatched));
        }
        return new RecordCodec<>(type, struct.size(), align, parts, offsets);
    }

    private static List<String> names(CStruct s) {
        return s.members().stream().map(CStruct.Member::name).toList();
    }

    private static RecordComponent[] components(Class<?> type) {
        if (!type.isRecord()) {
            throw new IllegalArgumentException(type.getName() + " is not a record");
        }
        return type.getRecordComponents();
    }

    private static int alignUp(int n, int a) {
        return (n + a - 1) / a * a;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Codec<Object> componentCodec(Class<?> owner, RecordComponent rc, CStruct nested) {
        Class<?> t = rc.getType();
        CArray array = rc.getAnnotation(CArray.class);
        Codec<?> primitive = Codecs.primitive(t);
        Codec<?> c;
        if (primitive != null) {
            c = primitive;
        } else if (t.isRecord()) {
            c = nested == null ? natural((Class) t) : matched((Class) t, nested);
        } else if (t == String.class || t.isArray()) {
            if (array == null) {
                throw new IllegalArgumentException("component '" + rc.getName() + "' of " + owner.getSimpleName()
                        + " is a " + t.getSimpleName() + " without @CArray(length)");
            }
            c = t == String.class ? Codecs.cString(array.value()) : arrayCodec(owner, rc, t.getComponentType(), array.value());
        } else {
            throw new IllegalArgumentException("component '" + rc.getName() + "' of " + owner.getSimpleName()
                    + " has type " + t.getName() + ", which has no C layout");
        }
        return (Codec<Object>) c;
    }

    private static Codec<?> arrayCodec(Class<?> owner, RecordComponent rc, Class<?> element, int length) {
        if (element == byte.class) {
            return Codecs.bytes(length);
        }
        ValueLayout layout;
        if (element == short.class) {
            layout = ValueLayout.JAVA_SHORT_UNALIGNED;
        } else if (element == int.class) {
            layout = ValueLayout.JAVA_INT_UNALIGNED;
        } else if (element == long.class) {
            layout = ValueLayout.JAVA_LONG_UNALIGNED;
        } else {
            throw new IllegalArgumentException("component '" + rc.getName() + "' of " + owner.getSimpleName()
                    + " is an array of " + element.getName() + "; arrays of byte, short, int and long are supported");
        }
        int elementSize = (int) layout.byteSize();
        return Codec.of(elementSize * length, elementSize, (src, offset) -> {
            Object a = java.lang.reflect.Array.newInstance(element, length);
            switch (a) {
                case short[] s -> MemorySegment.copy(src, (ValueLayout.OfShort) layout, offset, s, 0, length);
                case int[] s -> MemorySegment.copy(src, (ValueLayout.OfInt) layout, offset, s, 0, length);
                case long[] s -> MemorySegment.copy(src, (ValueLayout.OfLong) layout, offset, s, 0, length);
                default -> throw new IllegalStateException(a.getClass().getName());
            }
            return a;
        }, (dst, offset, v) -> {
            int n = java.lang.reflect.Array.getLength(v);
            if (n != length) {
                throw new IllegalArgumentException("component '" + rc.getName() + "' has " + n + " elements, its C array "
                        + length);
            }
            switch (v) {
                case short[] a -> MemorySegment.copy(a, 0, dst, (ValueLayout.OfShort) layout, offset, n);
                case int[] a -> MemorySegment.copy(a, 0, dst, (ValueLayout.OfInt) layout, offset, n);
                case long[] a -> MemorySegment.copy(a, 0, dst, (ValueLayout.OfLong) layout, offset, n);
                default -> throw new IllegalStateException(v.getClass().getName());
            }
        });
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int alignment() {
        return alignment;
    }

    @Override
    public void encode(R value, MemorySegment dst, long offset) {
        dst.asSlice(offset, size).fill((byte) 0); // padding is zero, as the kernel's own copies have it
        try {
            for (int i = 0; i < parts.length; i++) {
                Object v = accessors[i].invoke(value);
                if (v == null) {
                    throw new NullPointerException(type.getSimpleName() + " component #" + i + " is null");
                }
                parts[i].encode(v, dst, offset + offsets[i]);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public R decode(MemorySegment src, long offset) {
        Object[] args = new Object[parts.length];
        for (int i = 0; i < parts.length; i++) {
            args[i] = parts[i].decode(src, offset + offsets[i]);
        }
        try {
            return type.cast(constructor.invoke(args));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public String toString() {
        return "codec of " + type.getSimpleName() + " (" + size + " bytes)";
    }
}
