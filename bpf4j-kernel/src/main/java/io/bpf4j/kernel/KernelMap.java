package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.BpfFormatException;
import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import io.bpf4j.btf.Btf;
import io.bpf4j.codec.CStruct;
import io.bpf4j.codec.Codec;
import io.bpf4j.codec.Codecs;
import io.bpf4j.kernel.sys.Bpf;
import io.bpf4j.kernel.sys.BpfCmd;
import io.bpf4j.kernel.sys.Errno;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Layouts.Batch;
import io.bpf4j.kernel.sys.Layouts.MapCreate;
import io.bpf4j.kernel.sys.Layouts.MapElem;
import io.bpf4j.kernel.sys.Scratch;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;

/**
 * A map in the kernel, owned through its file descriptor.
 *
 * <pre>{@code
 * try (KernelMap m = KernelMap.create(MapDefinition.of(MapType.HASH, 4, 8, 64).withName("counts"))) {
 *     m.update(key, value, BpfMap.UPDATE_ANY);
 *     Optional<byte[]> v = m.lookup(key);
 *     for (byte[] k : m.keys()) { ... }
 * }
 * }</pre>
 *
 * <p>Operations on {@code byte[]} copy through per-thread native memory; the
 * {@link MemorySegment} variants pass native segments to the kernel as they are. Values of
 * per-CPU maps hold one slot of {@code roundUp(valueSize, 8)} bytes per possible CPU
 * ({@link #valueBufferSize()}). A handle may be used from several threads, but must not be
 * closed while another thread uses it.
 */
public final class KernelMap extends KernelObject implements BpfMap {
    private final int typeId;
    private final String name;
    private final int keySize;
    private final int valueSize;
    private final int maxEntries;
    private final int flags;
    /** Bytes of one value as the syscalls exchange it: per-CPU maps hold a slot per CPU. */
    private final int valueBufferSize;
    /** Offset of the value after the key in the scratch data area (8-aligned). */
    private final int valueOffset;

    private KernelMap(Fd fd, MapInfo info) {
        super(fd, info.id());
        this.typeId = info.typeId();
        this.name = info.name();
        this.keySize = info.keySize();
        this.valueSize = info.valueSize();
        this.maxEntries = info.maxEntries();
        this.flags = info.mapFlags();
        this.valueBufferSize = isPerCpu(info.typeId())
                ? roundUp8(info.valueSize()) * Kernel.possibleCpus()
                : info.valueSize();
        this.valueOffset = roundUp8(Math.max(keySize, 1));
    }

    /** Creates a map. */
    public static KernelMap create(MapDefinition d) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Sys.attr(arena, MapCreate.SIZE);
            MapCreate.MAP_TYPE.set(attr, d.type().id());
            MapCreate.KEY_SIZE.set(attr, d.keySize());
            MapCreate.VALUE_SIZE.set(attr, d.valueSize());
            MapCreate.MAX_ENTRIES.set(attr, d.maxEntries());
            MapCreate.MAP_FLAGS.set(attr, d.flags());
            MapCreate.INNER_MAP_FD.set(attr, d.innerMapFd());
            MapCreate.NUMA_NODE.set(attr, d.numaNode());
            MapCreate.MAP_NAME.setString(attr, d.name());
            MapCreate.MAP_IFINDEX.set(attr, d.ifindex());
            MapCreate.BTF_FD.set(attr, d.btfFd());
            MapCreate.BTF_KEY_TYPE_ID.set(attr, d.btfKeyTypeId());
            MapCreate.BTF_VALUE_TYPE_ID.set(attr, d.btfValueTypeId());
            MapCreate.BTF_VMLINUX_VALUE_TYPE_ID.set(attr, d.btfVmlinuxValueTypeId());
            MapCreate.MAP_EXTRA.set(attr, d.mapExtra());
            String what = "create " + d.type().bpftoolName() + " map" + (d.name().isEmpty() ? "" : " '" + d.name() + "'");
            long r = Bpf.call(BpfCmd.MAP_CREATE, attr);
            if (r < 0) {
                int errno = (int) -r;
                if (errno == Errno.EINVAL && FeatureProbe.lacks(d.type())) {
                    throw new UnsupportedFeatureException(what + ": this kernel (" + Kernel.release()
                            + ") has no " + d.type().bpftoolName() + " maps" + KernelVersions.since(d.type()));
                }
                throw new BpfSyscallException(what, BpfCmd.MAP_CREATE, errno);
            }
            return adopt(new Fd((int) r));
        }
    }

    /** Opens the map with kernel id {@code id}. */
    public static KernelMap openById(int id) {
        return adopt(Sys.openById(BpfCmd.MAP_GET_FD_BY_ID, id, "open map id " + id));
    }

    /** Opens the map pinned at {@code path}. */
    public static KernelMap openPinned(Path path) {
        return adopt(openPinned(path, "bpf-map", "map"));
    }

    /** Takes ownership of {@code fd}, an open map; closes it if its info cannot be read. */
    static KernelMap adopt(Fd fd) {
        return closingOnFailure(fd, f -> new KernelMap(f, MapInfo.of(f.get(), "read map info")));
    }

    private static boolean isPerCpu(int type) {
        return type == MapType.PERCPU_HASH.id() || type == MapType.PERCPU_ARRAY.id()
                || type == MapType.LRU_PERCPU_HASH.id() || type == MapType.PERCPU_CGROUP_STORAGE.id();
    }

    private static int roundUp8(int n) {
        return (n + 7) & ~7;
    }

    @Override
    public String name() {
        return name;
    }

    /** The map type; {@link MapType#UNSPEC} for a type newer than this build of bpf4j (see {@link #info()}). */
    @Override
    public MapType type() {
        return MapType.ofId(typeId).orElse(MapType.UNSPEC);
    }

    @Override
    public int keySize() {
        return keySize;
    }

    @Override
    public int valueSize() {
        return valueSize;
    }

    @Override
    public int maxEntries() {
        return maxEntries;
    }

    @Override
    public int flags() {
        return flags;
    }

    /** Whether values hold one slot per possible CPU. */
    public boolean isPerCpu() {
        return isPerCpu(typeId);
    }

    /** Bytes of a value as lookups return it: {@code valueSize}, or for per-CPU maps a rounded slot per CPU. */
    public int valueBufferSize() {
        return valueBufferSize;
    }

    /** Fresh information from the kernel. */
    public MapInfo info() {
        return MapInfo.of(fd(), "read info of " + this);
    }

    /** Whether the map was frozen (from /proc fdinfo; false on kernels that do not say). */
    public boolean isFrozen() {
        return FdInfo.number(fd(), "frozen", 0) != 0;
    }

    // ---- single elements, byte[] --------------------------------------------------------

    @Override
    public Optional<byte[]> lookup(byte[] key) {
        return lookup(key, 0);
    }

    /** The value under {@code key}, read with element {@code flags} (e.g. {@link MapFlags#LOCK}). */
    public Optional<byte[]> lookup(byte[] key, long flags) {
        return readValue(BpfCmd.MAP_LOOKUP_ELEM, key, flags, "lookup in");
    }

    /** Removes {@code key} and returns what was stored under it (hash and LRU maps since Linux 5.14). */
    public Optional<byte[]> lookupAndDelete(byte[] key) {
        return readValue(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, key, 0, "lookup and delete in");
    }

    @Override
    public void update(byte[] key, byte[] value, long flags) {
        checkLength("key", key.length, keySize);
        checkLength("value", value.length, valueBufferSize);
        MemorySegment data = Scratch.get().data(valueOffset + valueBufferSize);
        MemorySegment.copy(key, 0, data, ValueLayout.JAVA_BYTE, 0, key.length);
        MemorySegment.copy(value, 0, data, ValueLayout.JAVA_BYTE, valueOffset, value.length);
        updateAt(data.address(), data.address() + valueOffset, flags);
    }

    @Override
    public boolean delete(byte[] key) {
        checkLength("key", key.length, keySize);
        MemorySegment data = Scratch.get().data(keySize);
        MemorySegment.copy(key, 0, data, ValueLayout.JAVA_BYTE, 0, key.length);
        return deleteAt(data.address());
    }

    @Override
    public Optional<byte[]> nextKey(byte[] key) {
        if (key != null) {
            checkLength("key", key.length, keySize);
        }
        MemorySegment data = Scratch.get().data(2L * valueOffset);
        if (key != null) {
            MemorySegment.copy(key, 0, data, ValueLayout.JAVA_BYTE, 0, key.length);
        }
        long r = elem(BpfCmd.MAP_GET_NEXT_KEY, key == null ? 0 : data.address(), data.address() + valueOffset, 0);
        if (r == -Errno.ENOENT) {
            return Optional.empty();
        }
        if (r < 0) {
            throw failure("get next key of", BpfCmd.MAP_GET_NEXT_KEY, r);
        }
        byte[] next = new byte[keySize];
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, valueOffset, next, 0, keySize);
        return Optional.of(next);
    }

    private Optional<byte[]> readValue(BpfCmd cmd, byte[] key, long flags, String verb) {
        if (key != null) {
            checkLength("key", key.length, keySize);
        }
        MemorySegment data = Scratch.get().data(valueOffset + valueBufferSize);
        if (key != null) {
            MemorySegment.copy(key, 0, data, ValueLayout.JAVA_BYTE, 0, key.length);
        }
        if (!lookupAt(cmd, key == null ? 0 : data.address(), data.address() + valueOffset, flags, verb)) {
            return Optional.empty();
        }
        byte[] value = new byte[valueBufferSize];
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, valueOffset, value, 0, valueBufferSize);
        return Optional.of(value);
    }

    // ---- single elements, native segments -------------------------------------------------

    /**
     * Reads the value under {@code key} into {@code value}; both native segments of the
     * map's key size and {@link #valueBufferSize()}. Returns false when there is no such key.
     */
    public boolean lookup(MemorySegment key, MemorySegment value, long flags) {
        checkSegment("key", key, keySize);
        checkSegment("value", value, valueBufferSize);
        return lookupAt(BpfCmd.MAP_LOOKUP_ELEM, key.address(), value.address(), flags, "lookup in");
    }

    /** Stores {@code value} under {@code key} (native segments). */
    public void update(MemorySegment key, MemorySegment value, long flags) {
        checkSegment("key", key, keySize);
        checkSegment("value", value, valueBufferSize);
        updateAt(key.address(), value.address(), flags);
    }

    /** Removes {@code key} (a native segment); returns whether it was present. */
    public boolean delete(MemorySegment key) {
        checkSegment("key", key, keySize);
        return deleted(elem(BpfCmd.MAP_DELETE_ELEM, key.address(), 0, 0));
    }

    /** Lookup (or lookup-and-delete) of raw addresses; false when the key (or queue element) is absent. */
    boolean lookupAt(BpfCmd cmd, long keyAddress, long valueAddress, long flags, String verb) {
        long r = elem(cmd, keySize == 0 ? 0 : keyAddress, valueAddress, flags);
        if (r == -Errno.ENOENT) {
            return false;
        }
        if (r < 0) {
            throw failure(verb, cmd, r);
        }
        return true;
    }

    void updateAt(long keyAddress, long valueAddress, long flags) {
        long r = elem(BpfCmd.MAP_UPDATE_ELEM, keySize == 0 ? 0 : keyAddress, valueAddress, flags);
        if (r < 0) {
            throw failure("update", BpfCmd.MAP_UPDATE_ELEM, r);
        }
    }

    boolean deleteAt(long keyAddress) {
        return deleted(elem(BpfCmd.MAP_DELETE_ELEM, keyAddress, 0, 0));
    }

    /** Offset of the value after a key in a scratch area (8-aligned). */
    int valueOffset() {
        return valueOffset;
    }

    /** Writes the key after {@code key} (or the first key when null) into {@code next}; false at the end. */
    public boolean nextKey(MemorySegment key, MemorySegment next) {
        if (key != null) {
            checkSegment("key", key, keySize);
        }
        checkSegment("next key", next, keySize);
        long r = elem(BpfCmd.MAP_GET_NEXT_KEY, key == null ? 0 : key.address(), next.address(), 0);
        if (r == -Errno.ENOENT) {
            return false;
        }
        if (r < 0) {
            throw failure("get next key of", BpfCmd.MAP_GET_NEXT_KEY, r);
        }
        return true;
    }

    private long elem(BpfCmd cmd, long keyAddress, long valueAddress, long elemFlags) {
        int f = fd();
        MemorySegment attr = Scratch.get().attr(MapElem.SIZE);
        MapElem.MAP_FD.set(attr, f);
        MapElem.KEY.set(attr, keyAddress);
        MapElem.VALUE.set(attr, valueAddress);
        MapElem.FLAGS.set(attr, elemFlags);
        return Bpf.call(cmd, attr);
    }

    private boolean deleted(long r) {
        if (r == -Errno.ENOENT) {
            return false;
        }
        if (r < 0) {
            throw failure("delete from", BpfCmd.MAP_DELETE_ELEM, r);
        }
        return true;
    }

    // ---- queues and stacks ----------------------------------------------------------------

    /** Pushes {@code value} onto a queue or stack; with {@link BpfMap#UPDATE_EXIST} a full one drops its oldest. */
    public void push(byte[] value, long flags) {
        update(new byte[0], value, flags);
    }

    /** Takes the next value off a queue or stack, or empty when it is empty. */
    public Optional<byte[]> pop() {
        return readValue(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, null, 0, "pop from");
    }

    /** The next value of a queue or stack without taking it, or empty when it is empty. */
    public Optional<byte[]> peek() {
        return readValue(BpfCmd.MAP_LOOKUP_ELEM, null, 0, "peek into");
    }

    // ---- per-CPU values --------------------------------------------------------------------

    /** The per-CPU values under {@code key}, one {@code valueSize} array per possible CPU. */
    public Optional<List<byte[]>> lookupPerCpu(byte[] key) {
        requirePerCpu();
        return lookup(key).map(this::splitPerCpu);
    }

    /** Stores one value per possible CPU under {@code key}. */
    public void updatePerCpu(byte[] key, List<byte[]> values, long flags) {
        requirePerCpu();
        update(key, joinPerCpu(values), flags);
    }

    List<byte[]> splitPerCpu(byte[] buffer) {
        int slot = roundUp8(valueSize);
        List<byte[]> values = new ArrayList<>(buffer.length / slot);
        for (int off = 0; off < buffer.length; off += slot) {
            byte[] v = new byte[valueSize];
            System.arraycopy(buffer, off, v, 0, valueSize);
            values.add(v);
        }
        return values;
    }

    byte[] joinPerCpu(List<byte[]> values) {
        int cpus = Kernel.possibleCpus();
        if (values.size() != cpus) {
            throw new IllegalArgumentException(this + ": " + values.size() + " per-CPU values for " + cpus + " possible CPUs");
        }
        int slot = roundUp8(valueSize);
        byte[] buffer = new byte[slot * cpus];
        for (int cpu = 0; cpu < cpus; cpu++) {
            byte[] v = values.get(cpu);
            checkLength("value for CPU " + cpu, v.length, valueSize);
            System.arraycopy(v, 0, buffer, cpu * slot, valueSize);
        }
        return buffer;
    }

    private void requirePerCpu() {
        if (!isPerCpu()) {
            throw new IllegalStateException(this + " is not a per-CPU map");
        }
    }

    // ---- maps of maps ----------------------------------------------------------------------

    /** Puts {@code inner} under {@code key} of this array or hash of maps. */
    public void updateInner(byte[] key, KernelMap inner) {
        update(key, intBytes(inner.fd()), UPDATE_ANY);
    }

    /** The id of the inner map under {@code key}, which {@link #openById} opens. */
    public Optional<Integer> innerMapId(byte[] key) {
        return lookup(key).map(v -> ByteBuffer.wrap(v).order(ByteOrder.nativeOrder()).getInt());
    }

    private static byte[] intBytes(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    // ---- typed views ------------------------------------------------------------------------

    /** This map with keys and values converted by {@code keys} and {@code values}, whose sizes must be the map's. */
    public <K, V> TypedMap<K, V> typed(Codec<K> keys, Codec<V> values) {
        return new TypedMap<>(this, keys, values);
    }

    /**
     * This map with keys and values as {@code keyType} and {@code valueType}: primitive
     * wrappers, {@code byte[]}, or records. When the map has BTF, a record must match its
     * struct member by member ({@link Codecs#record(Class, CStruct)}) and a primitive must
     * have its type's size; without BTF, records take the natural C layout.
     */
    public <K, V> TypedMap<K, V> typed(Class<K> keyType, Class<V> valueType) {
        MapInfo info = info();
        Btf btf = null;
        if (info.btfVmlinuxValueTypeId() != 0) {
            btf = VmlinuxBtf.get(); // read once per process, shared with CO-RE and attach
        } else if (info.btfId() != 0) {
            try (KernelBtf kernelBtf = KernelBtf.openById(info.btfId())) {
                btf = Btf.parse(kernelBtf.rawData());
            }
        }
        int valueTypeId = info.btfVmlinuxValueTypeId() != 0 ? info.btfVmlinuxValueTypeId() : info.btfValueTypeId();
        return new TypedMap<>(this, codec(keyType, btf, info.btfKeyTypeId(), keySize, "key"),
                codec(valueType, btf, valueTypeId, valueSize, "value"));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private <T> Codec<T> codec(Class<T> type, Btf btf, int typeId, int size, String what) {
        if (type == byte[].class) {
            return (Codec<T>) Codecs.bytes(size);
        }
        if (btf == null || typeId == 0) {
            return Codecs.of(type);
        }
        if (type.isRecord()) {
            return (Codec<T>) Codecs.record((Class) type, CStruct.fromBtf(btf, typeId));
        }
        Codec<T> c = Codecs.of(type);
        io.bpf4j.btf.BtfType t = btf.type(btf.resolve(typeId));
        if (!(t instanceof io.bpf4j.btf.BtfType.Int || t instanceof io.bpf4j.btf.BtfType.Enumeration
                || t instanceof io.bpf4j.btf.BtfType.Ptr || t instanceof io.bpf4j.btf.BtfType.Float)) {
            throw new BpfFormatException(this + ": the " + what + "'s BTF type [" + typeId + "] is " + t.kind() + " '"
                    + t.name() + "', which a " + type.getSimpleName() + " cannot hold; use a record");
        }
        long btfSize = btf.sizeOf(typeId);
        if (c.size() != btfSize) {
            throw new BpfFormatException(this + ": " + type.getSimpleName() + " (" + c.size() + " bytes) does not match the "
                    + what + "'s BTF type [" + typeId + "] of " + btfSize + " bytes");
        }
        return c;
    }

    // ---- freezing and pinning --------------------------------------------------------------

    /** Makes the map read-only for user space from now on (programs still write unless RDONLY_PROG). */
    public void freeze() {
        MemorySegment attr = Scratch.get().attr(MapElem.SIZE);
        MapElem.MAP_FD.set(attr, fd());
        Sys.call(BpfCmd.MAP_FREEZE, attr, "freeze " + this);
    }

    /** Pins the map at {@code path} on a bpffs. */
    public void pin(Path path) {
        pinAt(path);
    }

    // ---- iteration -------------------------------------------------------------------------

    /**
     * The keys, read one after the other with {@code BPF_MAP_GET_NEXT_KEY}. Deleting keys
     * meanwhile (from this or another process) is safe: a hash map then restarts from its
     * first key, and keys already returned are skipped, so each key is returned at most
     * once and every key present throughout is returned.
     */
    public Iterable<byte[]> keys() {
        return () -> new KeyIterator();
    }

    /** A key and its value. */
    public record Entry(byte[] key, byte[] value) {}

    /** Keys with their values; keys deleted between reading them and their value are left out. */
    public Iterable<Entry> entries() {
        return () -> new Iterator<>() {
            private final Iterator<byte[]> keys = new KeyIterator();
            private Entry next;

            @Override
            public boolean hasNext() {
                while (next == null && keys.hasNext()) {
                    byte[] k = keys.next();
                    next = lookup(k).map(v -> new Entry(k, v)).orElse(null);
                }
                return next != null;
            }

            @Override
            public Entry next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Entry e = next;
                next = null;
                return e;
            }
        };
    }

    private final class KeyIterator implements Iterator<byte[]> {
        private final Set<ByteBuffer> seen = new HashSet<>();
        /** Bound on get-next-key calls, so that a map changing endlessly ends in an error, not a hang. */
        private final long budget = 4L * Math.max(maxEntries, 1) + 64;
        private long steps;
        private byte[] current;
        private byte[] next;
        private boolean done;

        @Override
        public boolean hasNext() {
            while (next == null && !done) {
                if (++steps > budget) {
                    throw new BpfException("iterating " + KernelMap.this + " did not finish after " + budget
                            + " steps: the map changes faster than it can be read");
                }
                Optional<byte[]> k = nextKey(current);
                if (k.isEmpty()) {
                    done = true;
                } else {
                    current = k.get();
                    if (seen.add(ByteBuffer.wrap(current))) {
                        next = current;
                    }
                }
            }
            return next != null;
        }

        @Override
        public byte[] next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            byte[] k = next;
            next = null;
            return k.clone();
        }
    }

    // ---- batches ---------------------------------------------------------------------------

    /** Every entry, read {@code chunk} at a time with {@code BPF_MAP_LOOKUP_BATCH} (Linux 5.6+). */
    public List<Entry> lookupBatch(int chunk) {
        return readBatches(BpfCmd.MAP_LOOKUP_BATCH, chunk);
    }

    /** Every entry, removed while read, {@code chunk} at a time ({@code BPF_MAP_LOOKUP_AND_DELETE_BATCH}). */
    public List<Entry> lookupAndDeleteBatch(int chunk) {
        return readBatches(BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH, chunk);
    }

    private List<Entry> readBatches(BpfCmd cmd, int chunk) {
        if (chunk <= 0) {
            throw new IllegalArgumentException("batch size " + chunk);
        }
        List<Entry> out = new ArrayList<>();
        int cursorSize = Math.max(keySize, 8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(cursorSize, 8);
            MemorySegment outCursor = arena.allocate(cursorSize, 8);
            MemorySegment keys = arena.allocate((long) Math.max(keySize, 1) * chunk, 8);
            MemorySegment values = arena.allocate((long) Math.max(valueBufferSize, 1) * chunk, 8);
            MemorySegment attr = Sys.attr(arena, Batch.SIZE);
            boolean first = true;
            while (true) {
                attr.fill((byte) 0);
                Batch.IN_BATCH.set(attr, first ? MemorySegment.NULL : in);
                Batch.OUT_BATCH.set(attr, outCursor);
                Batch.KEYS.set(attr, keys);
                Batch.VALUES.set(attr, values);
                Batch.COUNT.set(attr, chunk);
                Batch.MAP_FD.set(attr, fd());
                long r = Bpf.call(cmd, attr);
                if (r < 0 && r != -Errno.ENOENT) {
                    throw failure(cmd == BpfCmd.MAP_LOOKUP_BATCH ? "batch lookup in" : "batch lookup and delete in", cmd, r);
                }
                int n = Batch.COUNT.get(attr);
                for (int i = 0; i < n; i++) {
                    out.add(new Entry(
                            keys.asSlice((long) i * keySize, keySize).toArray(ValueLayout.JAVA_BYTE),
                            values.asSlice((long) i * valueBufferSize, valueBufferSize).toArray(ValueLayout.JAVA_BYTE)));
                }
                if (r == -Errno.ENOENT) {
                    return out;
                }
                MemorySegment.copy(outCursor, 0, in, 0, cursorSize);
                first = false;
            }
        }
    }

    /** Stores {@code values[i]} under {@code keys[i]} in one call; returns how many were stored. */
    public int updateBatch(List<byte[]> keys, List<byte[]> values, long elemFlags) {
        if (keys.size() != values.size()) {
            throw new IllegalArgumentException(keys.size() + " keys but " + values.size() + " values");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = packed(arena, keys, keySize, "key");
            MemorySegment v = packed(arena, values, valueBufferSize, "value");
            MemorySegment attr = Sys.attr(arena, Batch.SIZE);
            Batch.KEYS.set(attr, k);
            Batch.VALUES.set(attr, v);
            Batch.COUNT.set(attr, keys.size());
            Batch.MAP_FD.set(attr, fd());
            Batch.ELEM_FLAGS.set(attr, elemFlags);
            long r = Bpf.call(BpfCmd.MAP_UPDATE_BATCH, attr);
            if (r < 0) {
                throw failure("batch update of", BpfCmd.MAP_UPDATE_BATCH, r);
            }
            return Batch.COUNT.get(attr);
        }
    }

    /** Removes {@code keys} in one call; returns how many were removed (all of them, or it throws). */
    public int deleteBatch(List<byte[]> keys) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = packed(arena, keys, keySize, "key");
            MemorySegment attr = Sys.attr(arena, Batch.SIZE);
            Batch.KEYS.set(attr, k);
            Batch.COUNT.set(attr, keys.size());
            Batch.MAP_FD.set(attr, fd());
            long r = Bpf.call(BpfCmd.MAP_DELETE_BATCH, attr);
            if (r < 0) {
                throw failure("batch delete from", BpfCmd.MAP_DELETE_BATCH, r);
            }
            return Batch.COUNT.get(attr);
        }
    }

    private MemorySegment packed(Arena arena, List<byte[]> items, int size, String what) {
        MemorySegment s = arena.allocate(Math.max(1L, (long) size * items.size()), 8);
        for (int i = 0; i < items.size(); i++) {
            byte[] b = items.get(i);
            checkLength(what + " #" + i, b.length, size);
            MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, (long) i * size, size);
        }
        return s;
    }

    // ---- helpers ---------------------------------------------------------------------------

    private void checkLength(String what, int actual, int expected) {
        if (actual != expected) {
            throw new IllegalArgumentException(this + ": " + what + " has " + actual + " bytes, the map's is " + expected);
        }
    }

    private void checkSegment(String what, MemorySegment s, int expected) {
        if (!s.isNative()) {
            throw new IllegalArgumentException(this + ": " + what + " must be a native segment");
        }
        if (s.byteSize() < expected) {
            throw new IllegalArgumentException(this + ": " + what + " has " + s.byteSize() + " bytes, needs " + expected);
        }
    }

    private BpfSyscallException failure(String verb, BpfCmd cmd, long r) {
        return new BpfSyscallException(verb + " " + this, cmd, (int) -r);
    }

    @Override
    public String toString() {
        String type = MapType.ofId(typeId).map(MapType::bpftoolName).orElse("type " + typeId);
        return "map " + (name.isEmpty() ? "" : "'" + name + "' ") + "(" + type + ", id " + id() + ")";
    }
}
