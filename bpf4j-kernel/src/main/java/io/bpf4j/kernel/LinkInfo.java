package io.bpf4j.kernel;

import io.bpf4j.LinkType;
import io.bpf4j.kernel.sys.Layouts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * What the kernel reports about a link ({@code struct bpf_link_info}): its type, id and
 * program. The type-specific part is in {@link #raw()}, laid out as
 * {@link io.bpf4j.kernel.sys.Layouts.LinkInfo} describes.
 */
public record LinkInfo(int typeId, int id, int programId, byte[] raw) {

    /** The link type, empty for a type newer than this build of bpf4j. */
    public Optional<LinkType> type() {
        return LinkType.ofId(typeId);
    }

    static LinkInfo of(int fd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(Layouts.LinkInfo.SIZE, 8);
            int len = Sys.info(fd, s, what);
            return new LinkInfo(Layouts.LinkInfo.TYPE.get(s), Layouts.LinkInfo.ID.get(s), Layouts.LinkInfo.PROG_ID.get(s),
                    s.asSlice(0, Math.min(len, Layouts.LinkInfo.SIZE)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
    }
}
