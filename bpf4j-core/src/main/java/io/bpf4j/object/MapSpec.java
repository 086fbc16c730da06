package io.bpf4j.object;

import io.bpf4j.MapType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToIntFunction;

/**
 * A map as an object file defines it: a BTF-defined map of {@code .maps}, a legacy
 * {@code maps} definition, a global data section ({@code .data}, {@code .rodata},
 * {@code .bss} and their {@code .name} variants, {@code .kconfig}) or a {@code struct_ops}
 * variable. Immutable; {@code with...} methods return modified copies.
 *
 * <pre>{@code
 * MapSpec counts = spec.map("counts").orElseThrow().withMaxEntries(4096);
 * ObjectSpec bigger = spec.withMap(counts);
 * }</pre>
 *
 * @param name the map's name (for global data: libbpf's kernel name, e.g. {@code "xdp_coun.rodata"})
 * @param kind where the definition comes from
 * @param sectionName the ELF section of the definition ({@code .maps}, {@code .rodata}...)
 * @param type the map type
 * @param keySize key size in bytes
 * @param valueSize value size in bytes
 * @param maxEntries maximum number of entries
 * @param flags {@code map_flags} ({@code BPF_F_RDONLY_PROG}, {@code BPF_F_MMAPABLE}...)
 * @param numaNode NUMA node, 0 if not given
 * @param pinning {@link #PIN_NONE} or {@link #PIN_BY_NAME}
 * @param mapExtra {@code map_extra} (bloom filter hashes, arena address)
 * @param keyTypeId BTF type id of the key, 0 if none
 * @param valueTypeId BTF type id of the value (a DATASEC for global data), 0 if none
 * @param innerMap the template of inner maps of a map-in-map, or null
 * @param initialSlots for map-in-map and program arrays: the map or program name each
 *     {@code values[]} slot is initialised with, null where none
 * @param data initial contents of a global data map (zeros for {@code .bss}), else empty
 */
public record MapSpec(
        String name,
        Kind kind,
        String sectionName,
        MapType type,
        int keySize,
        int valueSize,
        int maxEntries,
        int flags,
        int numaNode,
        int pinning,
        long mapExtra,
        int keyTypeId,
        int valueTypeId,
        MapSpec innerMap,
        List<String> initialSlots,
        byte[] data) {

    /** Not pinned. */
    public static final int PIN_NONE = 0;
    /** Pinned under its name in the BPF file system ({@code LIBBPF_PIN_BY_NAME}). */
    public static final int PIN_BY_NAME = 1;

    /** {@code BPF_F_RDONLY_PROG}: programs cannot write the map. */
    public static final int F_RDONLY_PROG = 1 << 7;
    /** {@code BPF_F_MMAPABLE}: the array can be mapped into user memory. */
    public static final int F_MMAPABLE = 1 << 10;

    /** Where a map's definition comes from. */
    public enum Kind {
        /** A {@code struct {...} name SEC(".maps")} definition. */
        BTF,
        /** A {@code struct bpf_map_def} in the legacy {@code maps} section. */
        LEGACY,
        /** {@code .data} or {@code .data.*}. */
        DATA,
        /** {@code .rodata} or {@code .rodata.*}. */
        RODATA,
        /** {@code .bss} or {@code .bss.*}. */
        BSS,
        /** The {@code .kconfig} externs. */
        KCONFIG,
        /** A {@code struct_ops} variable. */
        STRUCT_OPS;

        /** True for the global data kinds, whose maps are single-element arrays. */
        public boolean isGlobalData() {
            return this == DATA || this == RODATA || this == BSS || this == KCONFIG;
        }
    }

    public MapSpec {
        Objects.requireNonNull(name);
        Objects.requireNonNull(kind);
        Objects.requireNonNull(sectionName);
        Objects.requireNonNull(type);
        initialSlots = Collections.unmodifiableList(new ArrayList<>(initialSlots));
        data = data.clone();
    }

    /** A copy of the initial contents. */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /**
     * The slots this program array or map of maps starts with, each with the file descriptor
     * of what it names: {@code programFd} of a program (which returns -1 for one not loaded:
     * its slot stays empty, as with libbpf), {@code mapFd} of an inner map.
     */
    public Map<Integer, Integer> initialSlotFds(ToIntFunction<String> programFd, ToIntFunction<String> mapFd) {
        Map<Integer, Integer> fds = new LinkedHashMap<>();
        for (int i = 0; i < initialSlots.size(); i++) {
            String target = initialSlots.get(i);
            if (target != null) {
                int fd = type == MapType.PROG_ARRAY ? programFd.applyAsInt(target) : mapFd.applyAsInt(target);
                if (fd >= 0) {
                    fds.put(i, fd);
                }
            }
        }
        return fds;
    }

    /** This map with another maximum number of entries. */
    public MapSpec withMaxEntries(int entries) {
        return new MapSpec(name, kind, sectionName, type, keySize, valueSize, entries, flags, numaNode, pinning, mapExtra, keyTypeId,
                valueTypeId, innerMap, initialSlots, data);
    }

    /** This map with other flags. */
    public MapSpec withFlags(int newFlags) {
        return new MapSpec(name, kind, sectionName, type, keySize, valueSize, maxEntries, newFlags, numaNode, pinning, mapExtra,
                keyTypeId, valueTypeId, innerMap, initialSlots, data);
    }

    /** This map with another pinning ({@link #PIN_NONE} or {@link #PIN_BY_NAME}). */
    public MapSpec withPinning(int newPinning) {
        return new MapSpec(name, kind, sectionName, type, keySize, valueSize, maxEntries, flags, numaNode, newPinning, mapExtra,
                keyTypeId, valueTypeId, innerMap, initialSlots, data);
    }

    /**
     * This global data map with other initial contents, which must have the value size.
     *
     * @throws IllegalArgumentException for another size or a map that is not global data
     */
    public MapSpec withData(byte[] contents) {
        if (!kind.isGlobalData()) {
            throw new IllegalArgumentException("map '" + name + "' is " + kind + ", not global data");
        }
        if (contents.length != valueSize) {
            throw new IllegalArgumentException("map '" + name + "' holds " + valueSize + " bytes, not " + contents.length);
        }
        return new MapSpec(name, kind, sectionName, type, keySize, valueSize, maxEntries, flags, numaNode, pinning, mapExtra, keyTypeId,
                valueTypeId, innerMap, initialSlots, contents);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MapSpec m && name.equals(m.name) && kind == m.kind && sectionName.equals(m.sectionName) && type == m.type
                && keySize == m.keySize && valueSize == m.valueSize && maxEntries == m.maxEntries && flags == m.flags
                && numaNode == m.numaNode && pinning == m.pinning && mapExtra == m.mapExtra && keyTypeId == m.keyTypeId
                && valueTypeId == m.valueTypeId && Objects.equals(innerMap, m.innerMap) && initialSlots.equals(m.initialSlots)
                && Arrays.equals(data, m.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, keySize, valueSize, maxEntries, flags, Arrays.hashCode(data));
    }

    @Override
    public String toString() {
        return "MapSpec[" + name + " " + type.bpftoolName() + " key " + keySize + " value " + valueSize + " max " + maxEntries + " flags 0x"
                + Integer.toHexString(flags) + "]";
    }
}
