package io.bpf4j.vm;

/**
 * A piece of memory a BPF program may address: a stack frame, the context, the packet,
 * a map's values, read-only data. A BPF address is {@code (regionId << 32) + offset};
 * loads and stores are allowed at offsets in {@code [start, end)}, stores only when the
 * region is not read-only.
 *
 * <p>Start and end are mutable because a packet's bounds move when a program adjusts its
 * head or tail. A region whose accesses need translation (a context whose 32-bit fields
 * stand for 64-bit pointers) has an empty range so every access takes the slow path,
 * which hands it to {@link #context}.
 */
final class Region {
    /** What a region is, for messages and for helpers that accept only some kinds. */
    enum Kind {
        INVALID,
        STACK,
        CONTEXT,
        PACKET,
        MEMORY,
        MAP_VALUES,
        MAP,
        RINGBUF_DATA,
    }

    final Kind kind;
    final String name;
    byte[] bytes;
    int start;
    int end;
    boolean readOnly;
    /** The map of a MAP or MAP_VALUES region, else null. */
    final VmMap map;
    /** The access translator of a CONTEXT region, else null. */
    final ContextAccess context;

    Region(Kind kind, String name, byte[] bytes, int start, int end, boolean readOnly, VmMap map, ContextAccess context) {
        this.kind = kind;
        this.name = name;
        this.bytes = bytes;
        this.start = start;
        this.end = end;
        this.readOnly = readOnly;
        this.map = map;
        this.context = context;
    }

    static Region data(Kind kind, String name, byte[] bytes) {
        return new Region(kind, name, bytes, 0, bytes.length, false, null, null);
    }

    static Region invalid(String name) {
        return new Region(Kind.INVALID, name, new byte[0], 0, 0, true, null, null);
    }

    String describe() {
        if (kind == Kind.INVALID || kind == Kind.MAP || context != null) {
            return name;
        }
        return name + " (valid offsets " + (end > start ? start + ".." + (end - 1) : "none") + ")";
    }
}
