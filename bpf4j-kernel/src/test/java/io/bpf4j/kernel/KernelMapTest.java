package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import io.bpf4j.kernel.sys.BpfCmd;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.kernel.testing.OpenFds;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

@KernelTest
class KernelMapTest {

    static byte[] i32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    static byte[] i64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(v).array();
    }

    static int asInt(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).getInt();
    }

    static long asLong(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).getLong();
    }

    @Test
    void hashMapElementOperations() {
        try (KernelMap m = KernelMap.create(MapDefinition.of(MapType.HASH, 4, 8, 16).withName("t_hash"))) {
            assertEquals("t_hash", m.name());
            assertEquals(MapType.HASH, m.type());
            assertEquals(4, m.keySize());
            assertTrue(m.id() > 0);
            assertTrue(m.lookup(i32(1)).isEmpty());
            m.update(i32(1), i64(100), BpfMap.UPDATE_ANY);
            assertEquals(100, asLong(m.lookup(i32(1)).orElseThrow()));

            var exists = assertThrows(BpfSyscallException.class, () -> m.update(i32(1), i64(5), BpfMap.UPDATE_NOEXIST));
            assertEquals("EEXIST", exists.errnoName());
            assertEquals(BpfCmd.MAP_UPDATE_ELEM, exists.command());
            var missing = assertThrows(BpfSyscallException.class, () -> m.update(i32(2), i64(5), BpfMap.UPDATE_EXIST));
            assertEquals("ENOENT", missing.errnoName());
            assertTrue(missing.getMessage().contains("map 't_hash'"), missing.getMessage());

            m.update(i32(2), i64(200), BpfMap.UPDATE_NOEXIST);
            assertEquals(Set.of(1, 2), keysOf(m));
            assertEquals(200, asLong(m.lookupAndDelete(i32(2)).orElseThrow()));
            assertTrue(m.lookup(i32(2)).isEmpty());
            assertTrue(m.delete(i32(1)));
            assertFalse(m.delete(i32(1)));
            assertTrue(m.nextKey(null).isEmpty());
        }
    }

    @Test
    void fullHashMapSaysSo() {
        try (KernelMap m = KernelMap.create(MapDefinition.of(MapType.HASH, 4, 4, 2))) {
            m.update(i32(1), i32(1), BpfMap.UPDATE_ANY);
            m.update(i32(2), i32(2), BpfMap.UPDATE_ANY);
            var e = assertThrows(BpfSyscallException.class, () -> m.update(i32(3), i32(3), BpfMap.UPDATE_ANY));
            assertEquals("E2BIG", e.errnoName());
            assertTrue(e.getMessage().contains("full"), e.getMessage());
        }
    }

    @Test
    void wrongSizesAreClearErrors() {
        try (KernelMap m = KernelMap.create(MapDefinition.of(MapType.HASH, 4, 8, 4).withName("sizes"))) {
            var e = assertThrows(IllegalArgumentException.class, () -> m.update(new byte[3], i64(1), 0));
            assertTrue(e.getMessage().contains("key has 3 bytes, the map's is 4"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.lookup(new byte[5]));
        }
        var name = assertThrows(IllegalArgumentException.class,
                () -> MapDefinition.of(MapType.HASH, 4, 4, 1).withName("bad-name"));
        assertTrue(name.getMessage().contains("'-'"), name.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MapDefinition.of(MapType.HASH, 4, 4, 1).withName("a".repeat(16)));
    }

    @Test
    void invalidCreationNamesTheMap() {
        var e = assertThrows(BpfSyscallException.class,
                () -> KernelMap.create(MapDefinition.of(MapType.ARRAY, 8, 4, 4).withName("badarray")));
        assertEquals("EINVAL", e.errnoName());
        assertTrue(e.getMessage().startsWith("create array map 'badarray': BPF_MAP_CREATE: EINVAL"), e.getMessage());
    }

    @Test
    void arrayOperationsThroughNativeSegments() {
        try (KernelMap m = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 8, 4));
                Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(4);
            MemorySegment value = arena.allocate(8);
            key.set(ValueLayout.JAVA_INT, 0, 2);
            value.set(ValueLayout.JAVA_LONG, 0, 77);
            m.update(key, value, BpfMap.UPDATE_ANY);
            MemorySegment out = arena.allocate(8);
            assertTrue(m.lookup(key, out, 0));
            assertEquals(77, out.get(ValueLayout.JAVA_LONG, 0));
            MemorySegment next = arena.allocate(4);
            assertTrue(m.nextKey(null, next));
            assertEquals(0, next.get(ValueLayout.JAVA_INT, 0));
            key.set(ValueLayout.JAVA_INT, 0, 3);
            assertFalse(m.nextKey(key, next));
            assertThrows(IllegalArgumentException.class, () -> m.lookup(MemorySegment.ofArray(new byte[4]), out, 0));
        }
    }

    @Test
    void perCpuValuesHaveASlotPerPossibleCpu() {
        int cpus = Kernel.possibleCpus();
        try (KernelMap m = KernelMap.create(MapDefinition.of(MapType.PERCPU_HASH, 4, 4, 8))) {
            assertTrue(m.isPerCpu());
            assertEquals(8 * cpus, m.valueBufferSize());
            List<byte[]> values = new ArrayList<>();
            for (int cpu = 0; cpu < cpus; cpu++) {
                values.add(i32(10 + cpu));
            }
            m.updatePerCpu(i32(7), values, BpfMap.UPDATE_ANY);
            List<byte[]> read = m.lookupPerCpu(i32(7)).orElseThrow();
            assertEquals(cpus, read.size());
            for (int cpu = 0; cpu < cpus; cpu++) {
                assertEquals(10 + cpu, asInt(read.get(cpu)));
            }
            assertEquals(8 * cpus, m.lookup(i32(7)).orElseThrow().length);
            assertThrows(IllegalArgumentException.class, () -> m.updatePerCpu(i32(1), List.of(i32(1)), 0));
        }
    }

    @Test
    void possibleCpusMatchesTheKernelList() throws Exception {
        assertEquals(4, Kernel.countCpus("0-3\n"));
        assertEquals(5, Kernel.countCpus("0,2-5"));
        String list = Files.readString(Path.of("/sys/devices/system/cpu/possible"));
        assertEquals(Kernel.countCpus(list), Kernel.possibleCpus());
        assertThrows(io.bpf4j.BpfException.class, () -> Kernel.countCpus("0-x"));
    }

    @Test
    void queueAndStack() {
        try (KernelMap q = KernelMap.create(MapDefinition.of(MapType.QUEUE, 0, 4, 2));
                KernelMap s = KernelMap.create(MapDefinition.of(MapType.STACK, 0, 4, 3))) {
            q.push(i32(1), 0);
            q.push(i32(2), 0);
            var full = assertThrows(BpfSyscallException.class, () -> q.push(i32(3), 0));
            assertEquals("E2BIG", full.errnoName());
            q.push(i32(3), BpfMap.UPDATE_EXIST); // drops the oldest
            assertEquals(2, asInt(q.peek().orElseThrow()));
            assertEquals(2, asInt(q.pop().orElseThrow()));
            assertEquals(3, asInt(q.pop().orElseThrow()));
            assertTrue(q.pop().isEmpty());

            s.push(i32(1), 0);
            s.push(i32(2), 0);
            assertEquals(2, asInt(s.pop().orElseThrow()));
            assertEquals(1, asInt(s.pop().orElseThrow()));
            assertTrue(s.peek().isEmpty());
        }
    }

    @Test
    void mapOfMaps() {
        try (KernelMap template = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 4, 1));
                KernelMap outer = KernelMap.create(
                        MapDefinition.of(MapType.ARRAY_OF_MAPS, 4, 4, 2).withInnerMap(template).withName("outer"));
                KernelMap inner = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 4, 1).withName("inner"))) {
            inner.update(i32(0), i32(42), 0);
            outer.updateInner(i32(1), inner);
            int innerId = outer.innerMapId(i32(1)).orElseThrow();
            assertEquals(inner.id(), innerId);
            try (KernelMap reopened = KernelMap.openById(innerId)) {
                assertEquals("inner", reopened.name());
                assertEquals(42, asInt(reopened.lookup(i32(0)).orElseThrow()));
            }
            assertTrue(outer.innerMapId(i32(0)).isEmpty());
        }
    }

    @Test
    void freezeMakesTheMapReadOnlyForUserSpace() {
        try (KernelMap m = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 4, 1))) {
            m.update(i32(0), i32(1), 0);
            assertFalse(m.isFrozen());
            m.freeze();
            assertTrue(m.isFrozen());
            var e = assertThrows(BpfSyscallException.class, () -> m.update(i32(0), i32(2), 0));
            assertEquals("EPERM", e.errnoName());
            assertEquals(1, asInt(m.lookup(i32(0)).orElseThrow()));
        }
    }

    @Test
    void batchOperations() {
        try (KernelMap m = KernelMap.create(MapDefinition.of(MapType.HASH, 4, 8, 100))) {
            List<byte[]> keys = new ArrayList<>();
            List<byte[]> values = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                keys.add(i32(i));
                values.add(i64(i * 10L));
            }
            assertEquals(50, m.updateBatch(keys, values, 0));
            List<KernelMap.Entry> all = m.lookupBatch(7);
            assertEquals(50, all.size());
            for (KernelMap.Entry e : all) {
                assertEquals(asInt(e.key()) * 10L, asLong(e.value()));
            }
            assertEquals(10, m.deleteBatch(keys.subList(0, 10)));
            assertEquals(40, m.lookupAndDeleteBatch(16).size());
            assertTrue(m.nextKey(null).isEmpty());
        }
    }

    @Test
    void iterationSurvivesConcurrentDeletes() {
        try (KernelMap m = KernelMap.create(MapDefinition.of(MapType.HASH, 4, 4, 64))) {
            for (int i = 0; i < 40; i++) {
                m.update(i32(i), i32(i), 0);
            }
            Set<Integer> seen = new HashSet<>();
            Set<Integer> deleted = new HashSet<>();
            int n = 0;
            for (byte[] k : m.keys()) {
                int key = asInt(k);
                assertTrue(seen.add(key), "key " + key + " returned twice");
                assertFalse(deleted.contains(key), "deleted key " + key + " returned");
                // Delete the key just returned (so the next get_next_key restarts) and one ahead.
                if (n++ % 3 == 0) {
                    m.delete(k);
                    int ahead = (key + 7) % 40;
                    if (!seen.contains(ahead) && m.delete(i32(ahead))) {
                        deleted.add(ahead);
                    }
                }
            }
            Set<Integer> expected = new HashSet<>();
            for (int i = 0; i < 40; i++) {
                if (!deleted.contains(i)) {
                    expected.add(i);
                }
            }
            assertEquals(expected, seen);
            int entries = 0;
            for (KernelMap.Entry e : m.entries()) {
                assertArrayEquals(e.key(), e.value());
                entries++;
            }
            assertEquals(keysOf(m).size(), entries);
        }
    }

    @Test
    void pinOpenAndKindChecks(@org.junit.jupiter.api.io.TempDir Path notBpffs) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/sys/fs/bpf"), "bpf4j-test");
        Path pin = dir.resolve("pinned_map");
        try (KernelMap m = KernelMap.create(MapDefinition.of(MapType.HASH, 4, 4, 4).withName("pinme"))) {
            m.update(i32(1), i32(9), 0);
            m.pin(pin);
            var again = assertThrows(BpfSyscallException.class, () -> m.pin(pin));
            assertEquals("EEXIST", again.errnoName());
            try (KernelMap p = KernelMap.openPinned(pin)) {
                assertEquals(m.id(), p.id());
                assertEquals(9, asInt(p.lookup(i32(1)).orElseThrow()));
            }
            var notFs = assertThrows(io.bpf4j.BpfException.class, () -> m.pin(notBpffs.resolve("x")));
            assertTrue(notFs.getMessage().contains("not on a BPF filesystem"), notFs.getMessage());
        } finally {
            Files.deleteIfExists(pin);
            Files.delete(dir);
        }
        var none = assertThrows(BpfSyscallException.class, () -> KernelMap.openPinned(pin));
        assertEquals("ENOENT", none.errnoName());
        assertTrue(none.getMessage().contains("nothing is pinned"), none.getMessage());
    }

    @Test
    void openByIdOfMissingMap() {
        var e = assertThrows(BpfSyscallException.class, () -> KernelMap.openById(Integer.MAX_VALUE));
        assertEquals("ENOENT", e.errnoName());
    }

    @Test
    void idsListCreatedMaps() {
        try (KernelMap m = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 4, 1))) {
            assertTrue(Kernel.mapIds().contains(m.id()));
        }
    }

    @Test
    void closingTwiceIsHarmlessAndUseAfterCloseIsAnError() {
        KernelMap m = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 4, 1));
        m.close();
        m.close();
        var e = assertThrows(IllegalStateException.class, () -> m.lookup(i32(0)));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void noFileDescriptorLeaks() {
        // Warm up lazily opened JDK and kernel resources first.
        exerciseEverything();
        int before = OpenFds.count();
        for (int i = 0; i < 20; i++) {
            exerciseEverything();
        }
        assertEquals(before, OpenFds.count());
    }

    private static void exerciseEverything() {
        try (KernelMap m = KernelMap.create(MapDefinition.of(MapType.HASH, 4, 4, 8).withName("leak"))) {
            m.update(i32(1), i32(1), 0);
            m.info();
            m.memlock();
            m.lookupBatch(4);
            try (KernelMap again = KernelMap.openById(m.id())) {
                again.lookup(i32(1));
            }
            assertThrows(BpfSyscallException.class, () -> KernelMap.create(MapDefinition.of(MapType.ARRAY, 3, 4, 1)));
            assertThrows(BpfSyscallException.class, () -> KernelMap.openById(Integer.MAX_VALUE));
        }
    }

    static Set<Integer> keysOf(KernelMap m) {
        Set<Integer> keys = new HashSet<>();
        for (byte[] k : m.keys()) {
            keys.add(asInt(k));
        }
        return keys;
    }
}
