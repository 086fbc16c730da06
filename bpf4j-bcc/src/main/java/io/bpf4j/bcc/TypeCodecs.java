package io.bpf4j.bcc;

import io.bpf4j.btf.Btf;
import io.bpf4j.codec.CStruct;
import io.bpf4j.codec.Codec;
import io.bpf4j.codec.Codecs;

/** Codecs for the Java types a table, event or global is read as, matched to the object's BTF where it has the type. */
final class TypeCodecs {
    private TypeCodecs() {}

    /**
     * The codec of {@code type} (a primitive wrapper, {@code byte[]} or record) for a C type of
     * {@code size} bytes: a record is matched member by member to struct {@code typeId} of
     * {@code btf} when the object describes it (0 when not), else laid out as C would.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static <T> Codec<T> of(Class<T> type, Btf btf, int typeId, int size, String what) {
        Codec<T> c;
        if (type == byte[].class) {
            c = (Codec<T>) Codecs.bytes(size);
        } else if (type.isRecord() && btf != null && typeId != 0) {
            c = (Codec<T>) Codecs.record((Class) type, CStruct.fromBtf(btf, typeId));
        } else {
            c = Codecs.of(type);
        }
        if (c.size() != size) {
            throw new IllegalArgumentException(what + " has " + size + " bytes, but " + type.getSimpleName() + " has "
                    + c.size());
        }
        return c;
    }
}
