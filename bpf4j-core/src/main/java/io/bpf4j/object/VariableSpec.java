package io.bpf4j.object;

import java.util.Arrays;
import java.util.Objects;

/**
 * A global variable in a global data map, from the section's BTF DATASEC.
 *
 * <pre>{@code
 * VariableSpec limit = spec.variable("limit").orElseThrow();
 * ObjectSpec tuned = spec.withVariable("limit", new byte[] {64, 0, 0, 0});
 * }</pre>
 *
 * @param name the variable's name
 * @param map the name of the map holding it
 * @param offset byte offset in the map's value
 * @param size size in bytes
 * @param typeId BTF type id of its type
 * @param global false for {@code static} variables (which skeletons do not expose)
 * @param initialValue its initial bytes
 */
public record VariableSpec(String name, String map, int offset, int size, int typeId, boolean global, byte[] initialValue) {
    public VariableSpec {
        Objects.requireNonNull(name);
        Objects.requireNonNull(map);
        initialValue = initialValue.clone();
    }

    @Override
    public byte[] initialValue() {
        return initialValue.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VariableSpec v && name.equals(v.name) && map.equals(v.map) && offset == v.offset && size == v.size
                && typeId == v.typeId && global == v.global && Arrays.equals(initialValue, v.initialValue);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, map, offset);
    }

    @Override
    public String toString() {
        return "VariableSpec[" + name + " in " + map + " at " + offset + ", " + size + " bytes]";
    }
}
