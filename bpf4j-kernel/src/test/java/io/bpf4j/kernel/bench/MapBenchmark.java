package io.bpf4j.kernel.bench;

import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import io.bpf4j.codec.Codecs;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.MapDefinition;
import io.bpf4j.kernel.TypedMap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** Hash map lookups and updates from Java: zero-copy segments, byte arrays, and typed. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MapBenchmark {
    static final int ENTRIES = 1024;

    private KernelMap map;
    private TypedMap<Integer, Long> typed;
    private Arena arena;
    private MemorySegment key;
    private MemorySegment value;
    private final byte[][] keys = new byte[ENTRIES][];
    private final byte[] valueBytes = new byte[8];
    private int i;

    @Setup(Level.Trial)
    public void setUp() {
        map = KernelMap.create(MapDefinition.of(MapType.HASH, 4, 8, ENTRIES).withName("j_bench"));
        typed = map.typed(Codecs.int32(), Codecs.int64());
        arena = Arena.ofConfined();
        key = arena.allocate(4, 8);
        value = arena.allocate(8, 8);
        for (int k = 0; k < ENTRIES; k++) {
            keys[k] = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(k).array();
            map.update(keys[k], valueBytes, BpfMap.UPDATE_ANY);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        map.close();
        arena.close();
    }

    @Benchmark
    public long lookupSegment() {
        key.set(ValueLayout.JAVA_INT, 0, i++ & (ENTRIES - 1));
        map.lookup(key, value, 0);
        return value.get(ValueLayout.JAVA_LONG, 0);
    }

    @Benchmark
    public void updateSegment() {
        key.set(ValueLayout.JAVA_INT, 0, i & (ENTRIES - 1));
        value.set(ValueLayout.JAVA_LONG, 0, i++);
        map.update(key, value, BpfMap.UPDATE_ANY);
    }

    @Benchmark
    public byte[] lookupBytes() {
        return map.lookup(keys[i++ & (ENTRIES - 1)]).orElseThrow();
    }

    @Benchmark
    public void updateBytes() {
        map.update(keys[i++ & (ENTRIES - 1)], valueBytes, BpfMap.UPDATE_ANY);
    }

    @Benchmark
    public long lookupTyped() {
        return typed.get(i++ & (ENTRIES - 1)).orElseThrow();
    }
}
