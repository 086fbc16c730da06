package io.bpf4j.bcc;

import io.bpf4j.kernel.TypedMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A per-CPU map ({@code PERCPU_HASH}, {@code PERCPU_ARRAY}...) as a live {@link Map} from key
 * to one value per possible CPU, with BCC's {@code sum}.
 *
 * <pre>{@code
 * PerCpuTable<Integer, Long> drops = bpf.perCpuTable("dropcnt", Integer.class, Long.class);
 * long icmp = drops.sum(1);
 * }</pre>
 */
public final class PerCpuTable<K, V> extends MapView<K, List<V>> {
    private final TypedMap<K, V> map;

    PerCpuTable(String name, TypedMap<K, V> map, Class<K> keyType, List<V> zero) {
        super(name, map, keyType, zero);
        this.map = map;
    }

    @Override
    Optional<List<V>> read(K key) {
        return map.getPerCpu(key);
    }

    @Override
    void write(K key, List<V> perCpu) {
        map.putPerCpu(key, perCpu, 0);
    }

    /** The sum over the CPUs of the (numeric) value under {@code key}; 0 when there is none. */
    public long sum(K key) {
        return read(key).map(PerCpuTable::sum).orElse(0L);
    }

    /** Every key with the sum of its values over the CPUs, in the order the kernel gives the keys. */
    public Map<K, Long> sums() {
        Map<K, Long> out = new LinkedHashMap<>();
        forEach((k, v) -> out.put(k, sum(v)));
        return out;
    }

    private static long sum(List<?> perCpu) {
        long total = 0;
        for (Object v : perCpu) {
            if (!(v instanceof Number n)) {
                throw new IllegalStateException("per-CPU values of " + v.getClass().getSimpleName() + " cannot be summed");
            }
            total += n.longValue();
        }
        return total;
    }
}
