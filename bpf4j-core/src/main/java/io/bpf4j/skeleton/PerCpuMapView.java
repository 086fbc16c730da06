package io.bpf4j.skeleton;

import io.bpf4j.BpfMap;
import io.bpf4j.codec.Codec;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A per-CPU map of a loaded object through codecs: every key has one value per possible CPU
 * (per VM CPU on the VM). What a skeleton gives for per-CPU hash and array maps.
 *
 * <pre>{@code
 * PerCpuMapView<Integer, Stats> stats = skel.maps().xdpStatsMap();
 * long total = stats.get(2).orElseThrow().stream().mapToLong(Stats::packets).sum();
 * }</pre>
 */
public final class PerCpuMapView<K, V> {
    private final BpfMap map;
    private final Codec<K> keys;
    private final Codec<V> values;
    private final int stride;

    private PerCpuMapView(BpfMap map, Codec<K> keys, Codec<V> values) {
        this.map = Objects.requireNonNull(map, "map");
        this.keys = Objects.requireNonNull(keys, "keys");
        this.values = Objects.requireNonNull(values, "values");
        this.stride = (values.size() + 7) & ~7;
    }

    /** A view of per-CPU {@code map}; the codecs' sizes must be the map's key and (one CPU's) value sizes. */
    public static <K, V> PerCpuMapView<K, V> of(BpfMap map, Codec<K> keys, Codec<V> values) {
        MapView.checkSizes(map, keys, values.size(), "value");
        return new PerCpuMapView<>(map, keys, values);
    }

    /** One key and its values, one per CPU. */
    public record Entry<K, V>(K key, List<V> values) {
        public Entry {
            values = List.copyOf(values);
        }
    }

    /** The map underneath. */
    public BpfMap map() {
        return map;
    }

    /** The value of each CPU, CPU 0 first. */
    public Optional<List<V>> get(K key) {
        return map.lookup(keys.toBytes(key)).map(this::split);
    }

    /** Stores one value per CPU under {@code key}: {@code perCpu} must have one element per possible CPU. */
    public void put(K key, List<V> perCpu) {
        put(key, perCpu, BpfMap.UPDATE_ANY);
    }

    /** Stores one value per CPU; {@code flags} is one of {@link BpfMap}'s UPDATE_ constants. */
    public void put(K key, List<V> perCpu, long flags) {
        byte[] all = new byte[stride * perCpu.size()];
        MemorySegment s = MemorySegment.ofArray(all);
        for (int cpu = 0; cpu < perCpu.size(); cpu++) {
            values.encode(perCpu.get(cpu), s, (long) cpu * stride);
        }
        map.update(keys.toBytes(key), all, flags);
    }

    /** Removes {@code key} (hash maps); returns whether it was there. */
    public boolean remove(K key) {
        return map.delete(keys.toBytes(key));
    }

    /** Every key, in the map's order. */
    public List<K> keys() {
        List<K> out = new ArrayList<>();
        for (byte[] k : MapView.rawKeys(map)) {
            out.add(keys.fromBytes(k));
        }
        return out;
    }

    /** Every entry with its per-CPU values, in the map's order. */
    public List<Entry<K, V>> entries() {
        List<Entry<K, V>> out = new ArrayList<>();
        for (byte[] k : MapView.rawKeys(map)) {
            map.lookup(k).ifPresent(v -> out.add(new Entry<>(keys.fromBytes(k), split(v))));
        }
        return out;
    }

    private List<V> split(byte[] all) {
        MemorySegment s = MemorySegment.ofArray(all);
        List<V> out = new ArrayList<>(all.length / stride);
        for (int at = 0; at + values.size() <= all.length; at += stride) {
            out.add(values.decode(s, at));
        }
        return out;
    }

    @Override
    public String toString() {
        return "PerCpuMapView[" + map.name() + "]";
    }
}
