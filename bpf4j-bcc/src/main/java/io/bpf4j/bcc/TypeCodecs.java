package io.bpf4j.bcc;

import io.bpf4j.btf.Btf;
import io.bpf4j.codec.Codec;
import io.bpf4j.codec.Codecs;

/** Codecs for the Java types a table or event is read as, checked against the object's BTF where it has the type. */
final class TypeCodecs {
    private TypeCodecs() {}

    /**
     * The codec of {@code type} for a C type of {@code size} bytes ({@code typeId} in {@code btf},
     * 0 when unknown): primitive wrappers, {@code byte[]}, records.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static <T> Codec<T> of(Class<T> type, Btf btf, int typeId, int size, String what) {
        Codec<?> c;
        if (type == byte[].class) {
            c = Codecs.bytes(size);
        } else if (type == Integer.class) {
            c = Codecs.int32();
        } else if (type == Long.class) {
            c = Codecs.int64();
        } else if (type == Short.class) {
            c = Codecs.int16();
        } else if (type == Byte.class) {
            c = Codecs.int8();
        } else if (type == Boolean.class) {
            c = Codecs.bool();
        } else if (type == Float.class) {
            c = Codecs.float32();
        } else if (type == Double.class) {
            c = Codecs.float64();
        } else if (type.isRecord()) {
            c = Codecs.record((Class) type);
        } else {
            throw new IllegalArgumentException(what + ": " + type.getName() + " has no codec; use a primitive wrapper, "
                    + "byte[] or a record");
        }
        if (c.size() != size) {
            throw new IllegalArgumentException(what + " has " + size + " bytes, but " + type.getSimpleName() + " is "
                    + c.size());
        }
        return (Codec<T>) c;
    }
}
