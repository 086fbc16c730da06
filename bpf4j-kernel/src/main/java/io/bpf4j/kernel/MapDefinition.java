package io.bpf4j.kernel;

import io.bpf4j.MapType;
import java.util.Objects;

/**
 * What {@link KernelMap#create} asks the kernel for: the fields of {@code BPF_MAP_CREATE}.
 * File descriptors in it (inner map, BTF) are borrowed, not owned.
 *
 * <pre>{@code
 * MapDefinition d = MapDefinition.of(MapType.HASH, 4, 8, 1024).withName("counts").withFlags(MapFlags.NO_PREALLOC);
 * }</pre>
 *
 * @param name         at most 15 characters of {@code [A-Za-z0-9_.]}; empty for none
 * @param innerMapFd   for map-in-map types, a map like the inner ones; 0 otherwise
 * @param numaNode     node to allocate on, used with {@link MapFlags#NUMA_NODE}
 * @param btfFd        BTF describing key and value, 0 for none
 * @param mapExtra     type-specific: bloom filter hash count, arena start address
 */
public record MapDefinition(
        MapType type,
        int keySize,
        int valueSize,
        int maxEntries,
        int flags,
        String name,
        int innerMapFd,
        int numaNode,
        int ifindex,
        int btfFd,
        int btfKeyTypeId,
        int btfValueTypeId,
        int btfVmlinuxValueTypeId,
        long mapExtra) {

    /** Longest name the kernel keeps ({@code BPF_OBJ_NAME_LEN} - 1). */
    public static final int MAX_NAME_LENGTH = 15;

    public MapDefinition {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
        if (keySize < 0 || valueSize < 0 || maxEntries < 0) {
            throw new IllegalArgumentException("map '" + name + "': negative key size, value size or max_entries");
        }
        checkName("map", name);
    }

    /** A map of {@code type} with no name, flags or BTF. */
    public static MapDefinition of(MapType type, int keySize, int valueSize, int maxEntries) {
        return new MapDefinition(type, keySize, valueSize, maxEntries, 0, "", 0, 0, 0, 0, 0, 0, 0, 0);
    }

    public MapDefinition withName(String newName) {
        return new MapDefinition(type, keySize, valueSize, maxEntries, flags, newName, innerMapFd, numaNode, ifindex,
                btfFd, btfKeyTypeId, btfValueTypeId, btfVmlinuxValueTypeId, mapExtra);
    }

    /** The same with {@code map_flags} set to {@code newFlags} ({@link MapFlags} constants or'ed). */
    public MapDefinition withFlags(int newFlags) {
        return new MapDefinition(type, keySize, valueSize, maxEntries, newFlags, name, innerMapFd, numaNode, ifindex,
                btfFd, btfKeyTypeId, btfValueTypeId, btfVmlinuxValueTypeId, mapExtra);
    }

    public MapDefinition withMaxEntries(int n) {
        return new MapDefinition(type, keySize, valueSize, n, flags, name, innerMapFd, numaNode, ifindex,
                btfFd, btfKeyTypeId, btfValueTypeId, btfVmlinuxValueTypeId, mapExtra);
    }

    /** For {@code ARRAY_OF_MAPS}/{@code HASH_OF_MAPS}: inner maps will look like {@code template}. */
    public MapDefinition withInnerMap(KernelMap template) {
        return new MapDefinition(type, keySize, valueSize, maxEntries, flags, name, template.fd(), numaNode, ifindex,
                btfFd, btfKeyTypeId, btfValueTypeId, btfVmlinuxValueTypeId, mapExtra);
    }

    /** Allocates on NUMA node {@code node} (sets {@link MapFlags#NUMA_NODE}). */
    public MapDefinition withNumaNode(int node) {
        return new MapDefinition(type, keySize, valueSize, maxEntries, flags | MapFlags.NUMA_NODE, name, innerMapFd,
                node, ifindex, btfFd, btfKeyTypeId, btfValueTypeId, btfVmlinuxValueTypeId, mapExtra);
    }

    /** Key and value described by types {@code keyTypeId} and {@code valueTypeId} of {@code btf}. */
    public MapDefinition withBtf(KernelBtf btf, int keyTypeId, int valueTypeId) {
        return new MapDefinition(type, keySize, valueSize, maxEntries, flags, name, innerMapFd, numaNode, ifindex,
                btf.fd(), keyTypeId, valueTypeId, btfVmlinuxValueTypeId, mapExtra);
    }

    /** For {@code STRUCT_OPS}: the value is the vmlinux type {@code typeId} ({@code bpf_struct_ops_NAME}). */
    public MapDefinition withVmlinuxValueType(int typeId) {
        return new MapDefinition(type, keySize, valueSize, maxEntries, flags, name, innerMapFd, numaNode, ifindex,
                btfFd, btfKeyTypeId, btfValueTypeId, typeId, mapExtra);
    }

    public MapDefinition withMapExtra(long extra) {
        return new MapDefinition(type, keySize, valueSize, maxEntries, flags, name, innerMapFd, numaNode, ifindex,
                btfFd, btfKeyTypeId, btfValueTypeId, btfVmlinuxValueTypeId, extra);
    }

    /** Throws unless {@code name} is one the kernel accepts for an object name. */
    static void checkName(String kind, String name) {
        if (name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException(kind + " name '" + name + "' is longer than " + MAX_NAME_LENGTH + " characters");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.')) {
                throw new IllegalArgumentException(kind + " name '" + name + "' has '" + c + "' at " + i
                        + "; the kernel accepts only letters, digits, '_' and '.'");
            }
        }
    }
}
