package io.bpf4j.gen;

import java.util.ArrayList;
import java.util.List;

/**
 * A C struct or union as a generated Java record: its name, C layout and fields.
 *
 * @param javaName the record's name
 * @param cName how C names the type ({@code struct flow_key}, {@code union (anonymous)})
 * @param union whether it is a union (a record of its bytes with a view per member)
 * @param size size in bytes
 * @param alignment alignment in bytes
 * @param fields the members with a Java type, in C order (empty ones left out)
 */
record RecordModel(String javaName, String cName, boolean union, int size, int alignment, List<Field> fields) {
    RecordModel {
        fields = new ArrayList<>(fields);
    }

    /**
     * One member.
     *
     * @param javaName the record component (or, in a union, the accessor)
     * @param cName the C member name ("" for an anonymous member)
     * @param type its Java type
     * @param offset byte offset of the member, or of the first byte of a bitfield
     * @param bitOffset for a bitfield, the bit within that byte where it starts; else 0
     * @param bits for a bitfield, its width; 0 otherwise
     * @param signed for a bitfield, whether it is sign-extended
     * @param cDeclaration how C declares the member ({@code unsigned int a:3}), for documentation
     */
    record Field(String javaName, String cName, JavaType type, int offset, int bitOffset, int bits, boolean signed, String cDeclaration) {
        boolean bitfield() {
            return bits != 0;
        }
    }

    /** Whether any component is a Java array, so that equals, hashCode and toString must compare contents. */
    boolean hasArrays() {
        return union || fields.stream().anyMatch(f -> f.type().isArray());
    }
}
