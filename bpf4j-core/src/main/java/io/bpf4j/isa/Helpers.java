package io.bpf4j.isa;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * Names of the kernel's helper functions by id, as the kernel and bpftool print them
 * ({@code bpf_map_lookup_elem} is 1). The table is generated from the UAPI header by
 * {@code scripts/gen-uapi}.
 *
 * <pre>{@code
 * Helpers.name(1);                      // Optional[bpf_map_lookup_elem]
 * Helpers.id("bpf_ktime_get_ns");       // OptionalInt[5]
 * }</pre>
 */
public final class Helpers {
    private static final String PREFIX = "bpf_";

    private Helpers() {}

    /** The helper's name with its {@code bpf_} prefix, if {@code id} is a known helper. */
    public static Optional<String> name(int id) {
        String[] names = HelperNames.NAMES;
        return id >= 0 && id < names.length && names[id] != null ? Optional.of(PREFIX + names[id]) : Optional.empty();
    }

    /** The id of a helper named with or without its {@code bpf_} prefix. */
    public static OptionalInt id(String name) {
        String bare = name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
        String[] names = HelperNames.NAMES;
        for (int i = 0; i < names.length; i++) {
            if (bare.equals(names[i])) {
                return OptionalInt.of(i);
            }
        }
        return OptionalInt.empty();
    }

    /** One more than the highest known helper id. */
    public static int count() {
        return HelperNames.NAMES.length;
    }
}
