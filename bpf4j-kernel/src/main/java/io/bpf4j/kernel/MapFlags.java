package io.bpf4j.kernel;

/** Flags of {@code BPF_MAP_CREATE} ({@code map_flags}) and of element operations. */
public final class MapFlags {
    private MapFlags() {}

    public static final int NO_PREALLOC = 1;
    public static final int NO_COMMON_LRU = 1 << 1;
    public static final int NUMA_NODE = 1 << 2;
    public static final int RDONLY = 1 << 3;
    public static final int WRONLY = 1 << 4;
    public static final int STACK_BUILD_ID = 1 << 5;
    public static final int ZERO_SEED = 1 << 6;
    public static final int RDONLY_PROG = 1 << 7;
    public static final int WRONLY_PROG = 1 << 8;
    public static final int CLONE = 1 << 9;
    public static final int MMAPABLE = 1 << 10;
    public static final int PRESERVE_ELEMS = 1 << 11;
    public static final int INNER_MAP = 1 << 12;
    public static final int LINK = 1 << 13;
    public static final int PATH_FD = 1 << 14;
    public static final int VTYPE_BTF_OBJ_FD = 1 << 15;
    public static final int TOKEN_FD = 1 << 16;
    public static final int SEGV_ON_FAULT = 1 << 17;
    public static final int NO_USER_CONV = 1 << 18;

    /** Element flag: read or write under the value's {@code bpf_spin_lock}. */
    public static final long LOCK = 4;
}
