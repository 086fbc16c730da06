package io.bpf4j.bcc;

import io.bpf4j.BpfException;
import io.bpf4j.btf.Btf;
import io.bpf4j.codec.Codec;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.TypedMap;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * A BPF map of a {@link Bpf} object as a live {@link Map}: every call reads or writes the
 * kernel's map (BCC's {@code b["name"]}). Keys and values are primitive wrappers, {@code
 * byte[]} or records. Iteration walks the map's keys as the kernel gives them; entries
 * deleted meanwhile are skipped. For array maps, {@link #clear()} and {@link #remove} zero
 * the values, as arrays cannot lose their elements.
 *
 * <pre>{@code
 * Table<Integer, Long> counts = bpf.table("counts", Integer.class, Long.class);
 * counts.forEach((pid, n) -> System.out.println(pid + " " + n));
 * bpf.table("dist", Integer.class, Long.class).printLog2Hist(System.out, "usecs");
 * }</pre>
 */
public final class Table<K, V> extends MapView<K, V> {
    private final TypedMap<K, V> map;
    private final Class<K> keyType;
    private final Class<V> valueType;

    Table(String name, TypedMap<K, V> map, Class<K> keyType, Class<V> valueType, V zero) {
        super(name, map, keyType, zero);
        this.map = map;
        this.keyType = keyType;
        this.valueType = valueType;
    }

    /**
     * Any kernel map of the right kind (not per-CPU) as a table, e.g. one opened with {@link
     * KernelMap#openPinned}: records take C's natural layout. The caller keeps the map open.
     *
     * <pre>{@code
     * try (KernelMap m = KernelMap.openPinned(Path.of("/sys/fs/bpf/findme"))) {
     *     Table.of(m, Integer.class, Long.class).put(1, 42L);
     * }
     * }</pre>
     */
    public static <K, V> Table<K, V> of(KernelMap map, Class<K> keyType, Class<V> valueType) {
        if (map.isPerCpu()) {
            throw new BpfException(map + " is per-CPU, which a Table does not read");
        }
        return create(map.name(), map, keyType, valueType, null, 0, 0);
    }

    /** Map {@code name}, with its key and value types matched to {@code btf} where the ids are not 0. */
    static <K, V> Table<K, V> create(String name, KernelMap m, Class<K> keyType, Class<V> valueType, Btf btf, int keyTypeId,
            int valueTypeId) {
        Codec<K> keys = TypeCodecs.of(keyType, btf, keyTypeId, m.keySize(), "the key of map '" + name + "'");
        Codec<V> values = TypeCodecs.of(valueType, btf, valueTypeId, m.valueSize(), "the value of map '" + name + "'");
        return new Table<>(name, m.typed(keys, values), keyType, valueType, values.fromBytes(new byte[values.size()]));
    }

    @Override
    Optional<V> read(K key) {
        return map.get(key);
    }

    @Override
    void write(K key, V value) {
        map.put(key, value);
    }

    // ---- histograms ------------------------------------------------------------------------

    /** The table as a log2 histogram: keys are slots (as {@code bpf_log2l} computes them), values counts. */
    public Log2Histogram log2Histogram() {
        return log2Histogram(this::slotOf);
    }

    /** The table as a log2 histogram whose slot is a part of the key. */
    public Log2Histogram log2Histogram(ToIntFunction<K> slot) {
        Log2Histogram h = new Log2Histogram();
        forEach((k, v) -> h.add(slot.applyAsInt(k), count(v)));
        return h;
    }

    /** One log2 histogram per section: {@code section} and {@code slot} split each key. Sections in the order first seen. */
    public Map<String, Log2Histogram> log2Histograms(Function<K, String> section, ToIntFunction<K> slot) {
        Map<String, Log2Histogram> out = new LinkedHashMap<>();
        forEach((k, v) -> out.computeIfAbsent(section.apply(k), s -> new Log2Histogram()).add(slot.applyAsInt(k), count(v)));
        return out;
    }

    /** The table as a linear histogram: keys are slots, values counts. */
    public LinearHistogram linearHistogram() {
        LinearHistogram h = new LinearHistogram();
        forEach((k, v) -> h.add(slotOf(k), count(v)));
        return h;
    }

    /** Prints the table as BCC's {@code print_log2_hist(valType)} does. */
    public void printLog2Hist(PrintStream out, String valType) {
        out.print(log2Histogram().format(valType));
    }

    /**
     * Prints one histogram per section, each headed {@code "\n" + sectionHeader + " = " + section},
     * as BCC's {@code print_log2_hist(valType, sectionHeader, section_print_fn)} does for struct keys.
     */
    public void printLog2Hist(PrintStream out, String valType, String sectionHeader, Function<K, String> section,
            ToIntFunction<K> slot) {
        log2Histograms(section, slot).forEach((s, h) -> out.print("\n" + sectionHeader + " = " + s + "\n" + h.format(valType)));
    }

    /** Prints the table as BCC's {@code print_linear_hist(valType)} does. */
    public void printLinearHist(PrintStream out, String valType) {
        out.print(linearHistogram().format(valType));
    }

    private int slotOf(K key) {
        if (key instanceof Number n) {
            return n.intValue();
        }
        throw new IllegalStateException("table '" + name() + "' has " + keyType.getSimpleName()
                + " keys; a histogram of it needs a slot function (log2Histograms)");
    }

    private long count(V value) {
        if (value instanceof Number n) {
            return n.longValue();
        }
        throw new IllegalStateException("table '" + name() + "' has " + valueType.getSimpleName()
                + " values; a histogram needs counts (Long or Integer)");
    }
}
