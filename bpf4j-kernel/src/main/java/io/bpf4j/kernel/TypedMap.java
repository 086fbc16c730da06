package io.bpf4j.kernel;

import io.bpf4j.BpfMap;
import io.bpf4j.codec.Codec;
import io.bpf4j.kernel.sys.BpfCmd;
import io.bpf4j.kernel.sys.Scratch;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * A {@link KernelMap} seen through codecs: keys and values as Java values. Keys and values
 * are encoded straight into per-thread native memory, so an operation allocates nothing
 * but the decoded result.
 *
 * <pre>{@code
 * record Stats(long packets, long bytes) {}
 * TypedMap<Integer, Stats> m = map.typed(Codecs.int32(), Codecs.record(Stats.class));
 * m.put(7, new Stats(1, 64));
 * long packets = m.get(7).orElseThrow().packets();
 * }</pre>
 */
public final class TypedMap<K, V> {
    private final KernelMap map;
    private final Codec<K> keys;
    private final Codec<V> values;
    private final int slot;

    TypedMap(KernelMap map, Codec<K> keys, Codec<V> values) {
        if (keys.size() != map.keySize()) {
            throw new IllegalArgumentException(keys + " has " + keys.size() + " bytes but the keys of " + map + " have "
                    + map.keySize());
        }
        if (values.size() != map.valueSize()) {
            throw new IllegalArgumentException(values + " has " + values.size() + " bytes but the values of " + map
                    + " have " + map.valueSize());
        }
        this.map = map;
        this.keys = keys;
        this.values = values;
        this.slot = (map.valueSize() + 7) & ~7;
    }

    /** The map underneath. */
    public KernelMap map() {
        return map;
    }

    /** The value under {@code key}. */
    public Optional<V> get(K key) {
        requireShared("get");
        return read(BpfCmd.MAP_LOOKUP_ELEM, key, "lookup in").map(data -> values.decode(data, map.valueOffset()));
    }

    /** Removes {@code key} and returns its value. */
    public Optional<V> getAndRemove(K key) {
        requireShared("getAndRemove");
        return read(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, key, "lookup and delete in")
                .map(data -> values.decode(data, map.valueOffset()));
    }

    public void put(K key, V value) {
        put(key, value, BpfMap.UPDATE_ANY);
    }

    /** Stores {@code value} under {@code key}; {@code flags} as {@link BpfMap#update}. */
    public void put(K key, V value, long flags) {
        requireShared("put");
        MemorySegment data = scratch();
        keys.encode(key, data, 0);
        values.encode(value, data, map.valueOffset());
        map.updateAt(data.address(), data.address() + map.valueOffset(), flags);
    }

    /** Removes {@code key}; returns whether it was there. */
    public boolean remove(K key) {
        MemorySegment data = scratch();
        keys.encode(key, data, 0);
        return map.deleteAt(data.address());
    }

    /** The value of every possible CPU under {@code key}, for per-CPU maps. */
    public Optional<List<V>> getPerCpu(K key) {
        requirePerCpu();
        return read(BpfCmd.MAP_LOOKUP_ELEM, key, "lookup in").map(data -> {
            int cpus = map.valueBufferSize() / slot;
            List<V> out = new ArrayList<>(cpus);
            for (int cpu = 0; cpu < cpus; cpu++) {
                out.add(values.decode(data, map.valueOffset() + (long) cpu * slot));
            }
            return out;
        });
    }

    /** Stores one value per possible CPU under {@code key}, for per-CPU maps. */
    public void putPerCpu(K key, List<V> perCpu, long flags) {
        requirePerCpu();
        int cpus = map.valueBufferSize() / slot;
        if (perCpu.size() != cpus) {
            throw new IllegalArgumentException(map + ": " + perCpu.size() + " values for " + cpus + " possible CPUs");
        }
        MemorySegment data = scratch();
        data.asSlice(map.valueOffset(), map.valueBufferSize()).fill((byte) 0);
        keys.encode(key, data, 0);
        for (int cpu = 0; cpu < cpus; cpu++) {
            values.encode(perCpu.get(cpu), data, map.valueOffset() + (long) cpu * slot);
        }
        map.updateAt(data.address(), data.address() + map.valueOffset(), flags);
    }

    /** The keys, as {@link KernelMap#keys()} reads them. */
    public Iterable<K> keys() {
        return () -> {
            Iterator<byte[]> raw = map.keys().iterator();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return raw.hasNext();
                }

                @Override
                public K next() {
                    return keys.fromBytes(raw.next());
                }
            };
        };
    }

    /** Keys with their values; keys deleted while iterating are left out. */
    public Iterable<Map.Entry<K, V>> entries() {
        requireShared("entries");
        return () -> new Iterator<>() {
            private final Iterator<K> it = keys().iterator();
            private Map.Entry<K, V> next;

            @Override
            public boolean hasNext() {
                while (next == null && it.hasNext()) {
                    K k = it.next();
                    next = get(k).map(v -> Map.entry(k, v)).orElse(null);
                }
                return next != null;
            }

            @Override
            public Map.Entry<K, V> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Map.Entry<K, V> e = next;
                next = null;
                return e;
            }
        };
    }

    private Optional<MemorySegment> read(BpfCmd cmd, K key, String verb) {
        MemorySegment data = scratch();
        keys.encode(key, data, 0);
        return map.lookupAt(cmd, data.address(), data.address() + map.valueOffset(), 0, verb)
                ? Optional.of(data)
                : Optional.empty();
    }

    private MemorySegment scratch() {
        return Scratch.get().data(map.valueOffset() + map.valueBufferSize());
    }

    private void requireShared(String op) {
        if (map.isPerCpu()) {
            throw new IllegalStateException(map + " is per-CPU: use getPerCpu/putPerCpu instead of " + op);
        }
    }

    private void requirePerCpu() {
        if (!map.isPerCpu()) {
            throw new IllegalStateException(map + " is not a per-CPU map");
        }
    }
}
