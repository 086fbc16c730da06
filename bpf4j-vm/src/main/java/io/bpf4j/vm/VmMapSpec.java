package io.bpf4j.vm;

import io.bpf4j.MapType;
import java.util.Objects;

/**
 * What {@link Vm#createMap} needs to know about a map: the attributes of
 * {@code BPF_MAP_CREATE}. {@code innerMap} is the template of the maps an array or hash
 * of maps may hold (null for other types).
 *
 * <pre>{@code
 * VmMap counts = vm.createMap(VmMapSpec.of("counts", MapType.HASH, 4, 8, 1024));
 * }</pre>
 */
public record VmMapSpec(String name, MapType type, int keySize, int valueSize, int maxEntries, int flags, VmMap innerMap) {
    public VmMapSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
    }

    public static VmMapSpec of(String name, MapType type, int keySize, int valueSize, int maxEntries) {
        return new VmMapSpec(name, type, keySize, valueSize, maxEntries, 0, null);
    }

    public VmMapSpec withFlags(int newFlags) {
        return new VmMapSpec(name, type, keySize, valueSize, maxEntries, newFlags, innerMap);
    }

    public VmMapSpec withInnerMap(VmMap template) {
        return new VmMapSpec(name, type, keySize, valueSize, maxEntries, flags, template);
    }
}
