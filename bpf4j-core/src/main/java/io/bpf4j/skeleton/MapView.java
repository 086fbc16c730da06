package io.bpf4j.skeleton;

import io.bpf4j.BpfMap;
import io.bpf4j.codec.Codec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A map of a loaded object seen through codecs of its key and value types: what a skeleton
 * gives for each hash, array, LRU or LPM map. Works on any backend.
 *
 * <pre>{@code
 * MapView<Integer, Long> counts = skel.maps().protoCount();
 * counts.put(17, 0L);
 * long udp = counts.get(17).orElse(0L);
 * for (MapView.Entry<Integer, Long> e : counts.entries()) System.out.println(e.key() + " " + e.value());
 * }</pre>
 */
public final class MapView<K, V> {
    private final BpfMap map;
    private final Codec<K> keys;
    private final Codec<V> values;

    private MapView(BpfMap map, Codec<K> keys, Codec<V> values) {
        this.map = Objects.requireNonNull(map, "map");
        this.keys = Objects.requireNonNull(keys, "keys");
        this.values = Objects.requireNonNull(values, "values");
    }

    /** A view of {@code map}; the codecs' sizes must be the map's key and value sizes. */
    public static <K, V> MapView<K, V> of(BpfMap map, Codec<K> keys, Codec<V> values) {
        checkSizes(map, keys, values.size(), "value");
        return new MapView<>(map, keys, values);
    }

    static void checkSizes(BpfMap map, Codec<?> keys, int valueSize, String valueWhat) {
        if (keys.size() != map.keySize() || valueSize != map.valueSize()) {
            throw new IllegalArgumentException("map '" + map.name() + "' has " + map.keySize() + "-byte keys and "
                    + map.valueSize() + "-byte values; the codecs are for " + keys.size() + "-byte keys and " + valueSize
                    + "-byte " + valueWhat + "s");
        }
    }

    /** One key and its value. */
    public record Entry<K, V>(K key, V value) {}

    /** The map underneath. */
    public BpfMap map() {
        return map;
    }

    public Optional<V> get(K key) {
        return map.lookup(keys.toBytes(key)).map(values::fromBytes);
    }

    /** Stores {@code value} under {@code key}, creating or replacing it. */
    public void put(K key, V value) {
        put(key, value, BpfMap.UPDATE_ANY);
    }

    /** Stores {@code value} under {@code key}; {@code flags} is one of {@link BpfMap}'s UPDATE_ constants. */
    public void put(K key, V value, long flags) {
        map.update(keys.toBytes(key), values.toBytes(value), flags);
    }

    /** Removes {@code key}; returns whether it was there. */
    public boolean remove(K key) {
        return map.delete(keys.toBytes(key));
    }

    /** Every key, in the map's order. */
    public List<K> keys() {
        List<K> out = new ArrayList<>();
        for (byte[] k : rawKeys(map)) {
            out.add(keys.fromBytes(k));
        }
        return out;
    }

    /** Every entry, in the map's order (an entry deleted while iterating is skipped). */
    public List<Entry<K, V>> entries() {
        List<Entry<K, V>> out = new ArrayList<>();
        for (byte[] k : rawKeys(map)) {
            map.lookup(k).ifPresent(v -> out.add(new Entry<>(keys.fromBytes(k), values.fromBytes(v))));
        }
        return out;
    }

    static List<byte[]> rawKeys(BpfMap map) {
        List<byte[]> out = new ArrayList<>();
        Optional<byte[]> k = map.nextKey(null);
        while (k.isPresent()) {
            out.add(k.get());
            k = map.nextKey(k.get());
        }
        return out;
    }

    @Override
    public String toString() {
        return "MapView[" + map.name() + "]";
    }
}
