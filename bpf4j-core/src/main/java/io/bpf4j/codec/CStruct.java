package io.bpf4j.codec;

import io.bpf4j.BpfFormatException;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfType;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A C struct's layout: what a record must match, member by member, to be its codec. It
 * comes from BTF (a map's value type) or is written by hand.
 *
 * @param members in any order; bitfields are not supported by record codecs
 */
public record CStruct(String name, int size, List<Member> members) {

    /**
     * One member.
     *
     * @param struct the member's own layout when it is a struct, else null
     * @param bitfield whether the member is a bitfield (which no record component can match)
     */
    public record Member(String name, int offset, int size, CStruct struct, boolean bitfield) {
        public Member {
            Objects.requireNonNull(name, "name");
        }

        public static Member of(String name, int offset, int size) {
            return new Member(name, offset, size, null, false);
        }
    }

    public CStruct {
        Objects.requireNonNull(name, "name");
        members = List.copyOf(members);
    }

    /**
     * The layout of struct {@code typeId} of {@code btf} (through typedefs and modifiers):
     * members of anonymous structs are lifted into it, as C lets a program name them;
     * bitfields are marked; named struct members get their own layout.
     */
    public static CStruct fromBtf(Btf btf, int typeId) {
        int id = btf.resolve(typeId);
        BtfType t = id == 0 ? null : btf.type(id);
        if (!(t instanceof BtfType.Struct s)) {
            throw new BpfFormatException("BTF type [" + typeId + "] is " + (t == null ? "void" : t.kind() + " '" + t.name() + "'")
                    + ", not a struct");
        }
        List<Member> members = new ArrayList<>();
        collect(btf, s, 0, members);
        return new CStruct(s.name(), s.size(), members);
    }

    private static void collect(Btf btf, BtfType.Composite c, long baseBits, List<Member> into) {
        for (BtfType.Member m : c.members()) {
            long bits = baseBits + Integer.toUnsignedLong(m.bitOffset());
            int type = btf.resolve(m.type());
            BtfType mt = type == 0 ? null : btf.type(type);
            if (m.name().isEmpty()) {
                if (mt instanceof BtfType.Struct inner) {
                    collect(btf, inner, bits, into);
                    continue;
                }
                throw new BpfFormatException("struct " + c.name() + " has an anonymous " + (mt == null ? "void" : mt.kind())
                        + " at bit " + bits + ", which no record can match");
            }
            boolean bitfield = m.bitfieldSize() != 0 || bits % 8 != 0
                    || mt instanceof BtfType.Int i && (i.bitOffset() != 0 || i.bits() != 8 * i.size());
            int size = (int) btf.sizeOf(m.type());
            CStruct nested = mt instanceof BtfType.Struct ns && !bitfield ? fromBtf(btf, type) : null;
            into.add(new Member(m.name(), (int) (bits / 8), size, nested, bitfield));
        }
    }

    /** The member called {@code name}, or null. */
    public Member member(String memberName) {
        for (Member m : members) {
            if (m.name().equals(memberName)) {
                return m;
            }
        }
        return null;
    }
}
