package io.bpf4j.vm;

import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import java.util.Optional;

/**
 * A map of the userspace VM, with the kernel's semantics: the same keys, values, flags
 * ({@code BPF_ANY}, {@code BPF_NOEXIST}, {@code BPF_EXIST}) and errors ({@code E2BIG} when
 * full, {@code EEXIST}, {@code ENOENT}, {@code EINVAL}) as {@code bpf(2)} on the same map
 * type. Errors come as {@link VmMapException} carrying the kernel's errno.
 *
 * <p>Programs reach the same storage through the map helpers without copying: a lookup
 * returns the address of the value inside the map, as in the kernel.
 *
 * <pre>{@code
 * VmMap counts = vm.createMap(VmMapSpec.of("counts", MapType.ARRAY, 4, 8, 4));
 * counts.update(new byte[4], new byte[8], BpfMap.UPDATE_ANY);
 * Optional<byte[]> value = counts.lookup(new byte[4]);
 * }</pre>
 */
public abstract sealed class VmMap implements BpfMap
        permits ArrayMap, HashTableMap, FdArrayMap, LpmTrieMap, VmQueueMap, VmRingBuffer, VmPerfEventArray {
    static final int F_NO_PREALLOC = 1;
    static final int F_NO_COMMON_LRU = 2;
    static final int F_RDONLY_PROG = 0x80;
    static final int F_INNER_MAP = 0x1000;

    final Vm vm;
    private final VmMapSpec spec;
    final int fd;
    private final long address;
    private volatile boolean closed;

    VmMap(Vm vm, VmMapSpec spec) {
        this.vm = vm;
        this.spec = spec;
        this.fd = vm.nextFd();
        this.address = vm.space.add(new Region(Region.Kind.MAP, "map '" + spec.name() + "' (a map, not memory)",
                new byte[0], 0, 0, true, this, null));
    }

    @Override
    public String name() {
        return spec.name();
    }

    @Override
    public MapType type() {
        return spec.type();
    }

    @Override
    public int keySize() {
        return spec.keySize();
    }

    @Override
    public int valueSize() {
        return spec.valueSize();
    }

    @Override
    public int maxEntries() {
        return spec.maxEntries();
    }

    @Override
    public int flags() {
        return spec.flags();
    }

    /** The VM's file descriptor number of this map: what {@code ld_imm64} map references and map-in-map values hold. */
    public int fd() {
        return fd;
    }

    VmMapSpec spec() {
        return spec;
    }

    /** The address a program holds for this map (its "struct bpf_map *"). */
    long address() {
        return address;
    }

    // ---- the program's view: operations on VM memory, returning 0 or -errno ----

    /**
     * The address of the value under the key at {@code keyBuf[keyOff..]}, or 0 when there is
     * none. Maps whose values programs cannot reach (queues, ring buffers, perf event arrays)
     * keep this default: the verifier would refuse the call.
     */
    long lookup(Execution ex, byte[] keyBuf, int keyOff) {
        return 0;
    }

    /** bpf_map_update_elem; -EINVAL for the maps programs cannot update. */
    int update(Execution ex, byte[] keyBuf, int keyOff, byte[] valueBuf, int valueOff, long flags) {
        return -Errno.EINVAL;
    }

    /** bpf_map_delete_elem; -EINVAL for the maps programs cannot delete from. */
    int delete(Execution ex, byte[] keyBuf, int keyOff) {
        return -Errno.EINVAL;
    }

    /** bpf_map_push_elem. */
    int push(Execution ex, byte[] valueBuf, int valueOff, long flags) {
        return -Errno.EINVAL;
    }

    /** bpf_map_pop_elem, or bpf_map_peek_elem when {@code remove} is false. */
    int pop(Execution ex, byte[] dst, int dstOff, boolean remove) {
        return -Errno.EINVAL;
    }

    /** bpf_map_lookup_percpu_elem: the value of another CPU. */
    long lookupOnCpu(Execution ex, byte[] keyBuf, int keyOff, int cpu) {
        return 0;
    }

    /** The address of byte {@code offset} of the value of a single-element array (global data), or 0. */
    long directValueAddress(int offset) {
        return 0;
    }

    /** bpf_for_each_map_elem: calls {@code visitor} with each key and value address until it returns false. */
    void forEach(Execution ex, ElementVisitor visitor) {
        throw VmException.of(VmException.Kind.HELPER_ARGUMENT,
                "bpf_for_each_map_elem does not support map '" + name() + "' of type " + type());
    }

    /** Receives a key address and a value address; returns whether to go on. */
    interface ElementVisitor {
        boolean visit(long keyAddress, long valueAddress);
    }

    // ---- the user's view (bpf(2) semantics) ----

    abstract Optional<byte[]> userLookup(byte[] key);

    abstract int userUpdate(byte[] key, byte[] value, long flags);

    abstract int userDelete(byte[] key);

    /** The key after {@code key} (the first when null or absent, per map type), or null at the end. */
    abstract byte[] userNextKey(byte[] key);

    /** The next index of an array-like map after the u32 {@code key} (0 for null or out of range), or null at the end. */
    static byte[] nextIndex(byte[] key, int maxEntries) {
        long index = key == null ? -1 : Memory.getInt(key, 0) & 0xffff_ffffL;
        long next = index >= maxEntries ? 0 : index + 1;
        if (next >= maxEntries) {
            return null;
        }
        byte[] out = new byte[4];
        Memory.putInt(out, 0, (int) next);
        return out;
    }

    /** Size of a value as userspace sees it: per-CPU maps show every CPU's copy. */
    int userValueSize() {
        return valueSize();
    }

    @Override
    public final Optional<byte[]> lookup(byte[] key) {
        checkKey(key, "lookup in");
        return userLookup(key);
    }

    @Override
    public final void update(byte[] key, byte[] value, long flags) {
        checkKey(key, "update");
        if (value == null || value.length != userValueSize()) {
            throw new VmMapException("update map '" + name() + "'", Errno.EINVAL,
                    "value is " + (value == null ? "null" : value.length + " bytes") + ", the map's values are "
                            + userValueSize());
        }
        int err = userUpdate(key, value, flags);
        if (err < 0) {
            throw failure("update", -err);
        }
    }

    @Override
    public final boolean delete(byte[] key) {
        checkKey(key, "delete from");
        int err = userDelete(key);
        if (err == -Errno.ENOENT) {
            return false;
        }
        if (err < 0) {
            throw failure("delete from", -err);
        }
        return true;
    }

    @Override
    public final Optional<byte[]> nextKey(byte[] key) {
        checkOpen("iterate");
        if (key != null && key.length != keySize()) {
            throw new VmMapException("iterate map '" + name() + "'", Errno.EINVAL,
                    "key is " + key.length + " bytes, the map's keys are " + keySize());
        }
        return Optional.ofNullable(userNextKey(key));
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            vm.space.remove(address);
            vm.forget(this);
        }
    }

    boolean isClosed() {
        return closed;
    }

    void checkOpen(String what) {
        if (closed) {
            throw new VmMapException(what + " map '" + name() + "'", Errno.EBADF, "the map is closed");
        }
    }

    private void checkKey(byte[] key, String what) {
        checkOpen(what);
        int expected = keySize();
        if ((key == null ? 0 : key.length) != expected) {
            throw new VmMapException(what + " map '" + name() + "'", Errno.EINVAL,
                    "key is " + (key == null ? "null" : key.length + " bytes") + ", the map's keys are " + expected);
        }
    }

    VmMapException failure(String what, int errno) {
        String why = switch (errno) {
            case Errno.E2BIG -> "the map is full or the index is past max_entries (" + maxEntries() + ")";
            case Errno.EEXIST -> "the key exists and BPF_NOEXIST was given";
            case Errno.ENOENT -> "no such key";
            case Errno.EINVAL -> "invalid flags or operation for a map of type " + type();
            default -> null;
        };
        return new VmMapException(what + " map '" + name() + "'", errno, why);
    }

    /** Kernel's check of the update flags of ordinary maps: BPF_ANY, BPF_NOEXIST or BPF_EXIST, plus BPF_F_LOCK. */
    static boolean validUpdateFlags(long flags) {
        return (flags & ~UPDATE_LOCK) <= UPDATE_EXIST && flags >= 0;
    }

    static int roundUp8(int n) {
        return (n + 7) & ~7;
    }

    static VmMapException invalidSpec(VmMapSpec spec, int errno, String why) {
        return new VmMapException("create map '" + spec.name() + "' (" + spec.type() + ")", errno, why);
    }
}
