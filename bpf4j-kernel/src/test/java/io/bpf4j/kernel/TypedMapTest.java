package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import io.bpf4j.codec.CArray;
import io.bpf4j.codec.Codecs;
import io.bpf4j.kernel.testing.KernelTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@KernelTest
class TypedMapTest {
    record FlowKey(int saddr, int daddr, short sport, short dport, byte proto) {}

    record Stats(long packets, long bytes, @CArray(8) String last) {}

    @Test
    void recordsInAndOut() {
        var keyCodec = Codecs.record(FlowKey.class);
        var valueCodec = Codecs.record(Stats.class);
        try (KernelMap m = KernelMap.create(
                MapDefinition.of(MapType.HASH, keyCodec.size(), valueCodec.size(), 16).withName("flows"))) {
            TypedMap<FlowKey, Stats> flows = m.typed(keyCodec, valueCodec);
            FlowKey k = new FlowKey(0x0a000001, 0x0a000002, (short) 80, (short) 443, (byte) 6);
            assertTrue(flows.get(k).isEmpty());
            flows.put(k, new Stats(3, 180, "eth0"));
            assertEquals(new Stats(3, 180, "eth0"), flows.get(k).orElseThrow());
            // What the kernel stores is the C layout: packets at 0, bytes at 8, last at 16.
            byte[] raw = m.lookup(keyCodec.toBytes(k)).orElseThrow();
            assertEquals(3, KernelMapTest.asLong(java.util.Arrays.copyOfRange(raw, 0, 8)));
            assertEquals('e', raw[16]);
            var e = assertThrows(BpfSyscallException.class, () -> flows.put(k, new Stats(0, 0, ""), BpfMap.UPDATE_NOEXIST));
            assertEquals("EEXIST", e.errnoName());
            Map<FlowKey, Stats> all = new HashMap<>();
            for (var entry : flows.entries()) {
                all.put(entry.getKey(), entry.getValue());
            }
            assertEquals(Map.of(k, new Stats(3, 180, "eth0")), all);
            assertEquals(new Stats(3, 180, "eth0"), flows.getAndRemove(k).orElseThrow());
            assertFalse(flows.remove(k));
        }
    }

    @Test
    void perCpuValues() {
        int cpus = Kernel.possibleCpus();
        try (KernelMap m = KernelMap.create(MapDefinition.of(MapType.PERCPU_ARRAY, 4, 4, 2))) {
            TypedMap<Integer, Integer> counters = m.typed(Codecs.int32(), Codecs.int32());
            List<Integer> values = new ArrayList<>();
            for (int cpu = 0; cpu < cpus; cpu++) {
                values.add(cpu * 3);
            }
            counters.putPerCpu(1, values, BpfMap.UPDATE_ANY);
            assertEquals(values, counters.getPerCpu(1).orElseThrow());
            var e = assertThrows(IllegalStateException.class, () -> counters.get(1));
            assertTrue(e.getMessage().contains("per-CPU"), e.getMessage());
        }
    }

    record Pair(int a, int b) {}

    /** Components in another order than struct val's members: only BTF can place them. */
    record Val(int y, long x) {}

    record WrongVal(int x, int y) {}

    @Test
    void recordsMatchedToTheMapsBtf() {
        try (KernelBtf btf = KernelBtf.load(TestBtf.intAndStruct());
                KernelMap m = KernelMap.create(MapDefinition.of(MapType.HASH, 8, 16, 4).withName("btf_typed").withBtf(btf, 2, 3))) {
            TypedMap<Pair, Val> typed = m.typed(Pair.class, Val.class);
            typed.put(new Pair(1, 2), new Val(7, 1L << 40));
            assertEquals(new Val(7, 1L << 40), typed.get(new Pair(1, 2)).orElseThrow());
            byte[] raw = m.lookup(Codecs.record(Pair.class).toBytes(new Pair(1, 2))).orElseThrow();
            assertEquals(1L << 40, KernelMapTest.asLong(java.util.Arrays.copyOfRange(raw, 0, 8))); // x at offset 0
            var e = assertThrows(io.bpf4j.BpfFormatException.class, () -> m.typed(Pair.class, WrongVal.class));
            assertTrue(e.getMessage().contains("component 'x' (int, 4 bytes) does not match struct val member 'x' "
                    + "(8 bytes at offset 0)"), e.getMessage());
            var p = assertThrows(io.bpf4j.BpfFormatException.class, () -> m.typed(Long.class, Val.class));
            assertTrue(p.getMessage().contains("the key's BTF type [2] is STRUCT 'pair', which a Long cannot hold"),
                    p.getMessage());
        }
    }

    @Test
    void codecSizesMustMatchTheMap() {
        try (KernelMap m = KernelMap.create(MapDefinition.of(MapType.HASH, 4, 8, 1).withName("sized"))) {
            var e = assertThrows(IllegalArgumentException.class, () -> m.typed(Codecs.int32(), Codecs.int32()));
            assertTrue(e.getMessage().contains("4 bytes but the values of map 'sized' (hash, id "), e.getMessage());
            assertTrue(e.getMessage().endsWith("have 8"), e.getMessage());
        }
    }
}
