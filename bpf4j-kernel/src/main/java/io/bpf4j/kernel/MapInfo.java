package io.bpf4j.kernel;

import io.bpf4j.MapType;
import io.bpf4j.kernel.sys.Layouts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * What the kernel reports about a map ({@code struct bpf_map_info}).
 *
 * @param typeId the kernel's map type number; see {@link #type()}
 * @param name   the name given at creation (at most 15 characters)
 * @param mapExtra type-specific extra (bloom filter hash count, arena start address)
 */
public record MapInfo(
        int typeId,
        int id,
        int keySize,
        int valueSize,
        int maxEntries,
        int mapFlags,
        String name,
        int ifindex,
        int btfVmlinuxValueTypeId,
        long netnsDev,
        long netnsIno,
        int btfId,
        int btfKeyTypeId,
        int btfValueTypeId,
        int btfVmlinuxId,
        long mapExtra) {

    /** The map type, empty for a type newer than this build of bpf4j. */
    public Optional<MapType> type() {
        return MapType.ofId(typeId);
    }

    static MapInfo of(int fd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(Layouts.MapInfo.SIZE, 8);
            Sys.info(fd, s, what);
            return new MapInfo(
                    Layouts.MapInfo.TYPE.get(s),
                    Layouts.MapInfo.ID.get(s),
                    Layouts.MapInfo.KEY_SIZE.get(s),
                    Layouts.MapInfo.VALUE_SIZE.get(s),
                    Layouts.MapInfo.MAX_ENTRIES.get(s),
                    Layouts.MapInfo.MAP_FLAGS.get(s),
                    Layouts.MapInfo.NAME.getString(s),
                    Layouts.MapInfo.IFINDEX.get(s),
                    Layouts.MapInfo.BTF_VMLINUX_VALUE_TYPE_ID.get(s),
                    Layouts.MapInfo.NETNS_DEV.get(s),
                    Layouts.MapInfo.NETNS_INO.get(s),
                    Layouts.MapInfo.BTF_ID.get(s),
                    Layouts.MapInfo.BTF_KEY_TYPE_ID.get(s),
                    Layouts.MapInfo.BTF_VALUE_TYPE_ID.get(s),
                    Layouts.MapInfo.BTF_VMLINUX_ID.get(s),
                    Layouts.MapInfo.MAP_EXTRA.get(s));
        }
    }
}
