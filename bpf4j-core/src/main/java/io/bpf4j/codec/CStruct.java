package io.bpf4j.codec;

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
