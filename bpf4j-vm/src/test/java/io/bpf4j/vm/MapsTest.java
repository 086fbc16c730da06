package io.bpf4j.vm;

import static io.bpf4j.BpfMap.UPDATE_ANY;
import static io.bpf4j.BpfMap.UPDATE_EXIST;
import static io.bpf4j.BpfMap.UPDATE_NOEXIST;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The kernel's map semantics as documented in the kernel sources (kernel/bpf/arraymap.c,
 * hashtab.c, lpm_trie.c, queue_stack_maps.c, ringbuf.c). The same sequences run against
 * the kernel in the kernel-tagged differential test.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Vm.Engine.class)
class MapsTest {
    private final Vm.Engine engine;
    private final Vm vm;

    static byte[] u32(int v) {
        byte[] b = new byte[4];
        Memory.putInt(b, 0, v);
        return b;
    }

    MapsTest(Vm.Engine engine) {
        this.engine = engine;
        this.vm = Vm.builder().engine(engine).cpus(2).build();
    }

    static byte[] u64(long v) {
        byte[] b = new byte[8];
        Memory.putLong(b, 0, v);
        return b;
    }

    private static int errno(Runnable r) {
        return assertThrows(VmMapException.class, r::run).errno();
    }

    @Test
    void arrayElementsAlwaysExist() {
        VmMap a = vm.createMap(VmMapSpec.of("a", MapType.ARRAY, 4, 8, 3));
        assertArrayEquals(new byte[8], a.lookup(u32(2)).orElseThrow());
        assertTrue(a.lookup(u32(3)).isEmpty());
        a.update(u32(1), u64(42), UPDATE_EXIST);
        assertArrayEquals(u64(42), a.lookup(u32(1)).orElseThrow());
        assertEquals(Errno.EEXIST, errno(() -> a.update(u32(1), u64(1), UPDATE_NOEXIST)));
        assertEquals(Errno.E2BIG, errno(() -> a.update(u32(3), u64(1), UPDATE_ANY)));
        assertEquals(Errno.EINVAL, errno(() -> a.update(u32(0), u64(1), 7)));
        assertEquals(Errno.EINVAL, errno(() -> a.delete(u32(0))));
        assertEquals(List.of(0, 1, 2), keys(a));
        assertArrayEquals(u32(0), a.nextKey(u32(99)).orElseThrow());
    }

    @Test
    void perCpuArrayShowsEveryCpusCopy() {
        VmMap a = vm.createMap(VmMapSpec.of("pa", MapType.PERCPU_ARRAY, 4, 4, 1));
        byte[] both = new byte[16];
        both[0] = 1;
        both[8] = 2;
        a.update(u32(0), both, UPDATE_ANY);
        assertArrayEquals(both, a.lookup(u32(0)).orElseThrow());
        assertEquals(Errno.EINVAL, errno(() -> a.update(u32(0), new byte[4], UPDATE_ANY)));
    }

    @Test
    void hashFlagsAndFullMap() {
        VmMap h = vm.createMap(VmMapSpec.of("h", MapType.HASH, 4, 8, 2));
        assertTrue(h.lookup(u32(1)).isEmpty());
        assertEquals(Errno.ENOENT, errno(() -> h.update(u32(1), u64(1), UPDATE_EXIST)));
        h.update(u32(1), u64(10), UPDATE_NOEXIST);
        assertEquals(Errno.EEXIST, errno(() -> h.update(u32(1), u64(11), UPDATE_NOEXIST)));
        h.update(u32(2), u64(20), UPDATE_ANY);
        assertEquals(Errno.E2BIG, errno(() -> h.update(u32(3), u64(30), UPDATE_ANY)));
        h.update(u32(2), u64(21), UPDATE_ANY); // replacing in a full map is fine
        assertArrayEquals(u64(21), h.lookup(u32(2)).orElseThrow());
        assertTrue(h.delete(u32(1)));
        assertFalse(h.delete(u32(1)));
        h.update(u32(3), u64(30), UPDATE_ANY);
        assertEquals(List.of(2, 3), keys(h).stream().sorted().toList());
        // An absent key restarts iteration from the first key, as the kernel does.
        assertTrue(h.nextKey(u32(77)).isPresent());
    }

    @Test
    void lruHashEvictsTheLeastRecentlyUsed() {
        VmMap h = vm.createMap(VmMapSpec.of("lru", MapType.LRU_HASH, 4, 8, 2));
        h.update(u32(1), u64(1), UPDATE_ANY);
        h.update(u32(2), u64(2), UPDATE_ANY);
        h.update(u32(1), u64(11), UPDATE_ANY); // 1 is now the most recent
        h.update(u32(3), u64(3), UPDATE_ANY);
        assertTrue(h.lookup(u32(2)).isEmpty());
        assertTrue(h.lookup(u32(1)).isPresent());
        assertTrue(h.lookup(u32(3)).isPresent());
    }

    @Test
    void lpmTrieMatchesTheLongestPrefixAndIteratesInPostOrder() {
        VmMap t = vm.createMap(VmMapSpec.of("lpm", MapType.LPM_TRIE, 8, 4, 8).withFlags(VmMap.F_NO_PREALLOC));
        t.update(prefix(16, 192, 168, 0, 0), u32(16), UPDATE_ANY);
        t.update(prefix(24, 192, 168, 0, 0), u32(24), UPDATE_ANY);
        t.update(prefix(24, 192, 168, 1, 0), u32(241), UPDATE_ANY);
        t.update(prefix(24, 192, 168, 128, 0), u32(2128), UPDATE_ANY);
        assertArrayEquals(u32(24), t.lookup(prefix(32, 192, 168, 0, 7)).orElseThrow());
        assertArrayEquals(u32(16), t.lookup(prefix(32, 192, 168, 200, 1)).orElseThrow());
        assertArrayEquals(u32(16), t.lookup(prefix(20, 192, 168, 0, 7)).orElseThrow());
        assertTrue(t.lookup(prefix(32, 10, 0, 0, 1)).isEmpty());
        // The order lpm_trie.c documents for these four prefixes.
        List<String> order = new ArrayList<>();
        for (byte[] k = t.nextKey(null).orElse(null); k != null; k = t.nextKey(k).orElse(null)) {
            order.add((k[4] & 0xff) + "." + (k[5] & 0xff) + "." + (k[6] & 0xff) + "." + (k[7] & 0xff) + "/" + k[0]);
        }
        assertEquals(List.of("192.168.0.0/24", "192.168.1.0/24", "192.168.128.0/24", "192.168.0.0/16"), order);
        assertEquals(Errno.EINVAL, errno(() -> t.update(prefix(33, 1, 2, 3, 4), u32(0), UPDATE_ANY)));
        assertFalse(t.delete(prefix(23, 192, 168, 0, 0)));
        assertTrue(t.delete(prefix(24, 192, 168, 0, 0)));
        assertArrayEquals(u32(16), t.lookup(prefix(32, 192, 168, 0, 7)).orElseThrow());
        VmMap small = vm.createMap(VmMapSpec.of("lpm1", MapType.LPM_TRIE, 8, 4, 1).withFlags(VmMap.F_NO_PREALLOC));
        small.update(prefix(8, 10, 0, 0, 0), u32(1), UPDATE_ANY);
        assertEquals(Errno.ENOSPC, errno(() -> small.update(prefix(8, 11, 0, 0, 0), u32(1), UPDATE_ANY)));
        assertEquals(Errno.EINVAL, errno(() -> vm.createMap(VmMapSpec.of("bad", MapType.LPM_TRIE, 8, 4, 1))));
    }

    private static byte[] prefix(int length, int a, int b, int c, int d) {
        byte[] k = u32(length);
        return new byte[] {k[0], k[1], k[2], k[3], (byte) a, (byte) b, (byte) c, (byte) d};
    }

    @Test
    void queueAndStackOrder() {
        VmQueueMap q = (VmQueueMap) vm.createMap(VmMapSpec.of("q", MapType.QUEUE, 0, 4, 2));
        VmQueueMap s = (VmQueueMap) vm.createMap(VmMapSpec.of("s", MapType.STACK, 0, 4, 2));
        for (VmQueueMap m : List.of(q, s)) {
            m.push(u32(1), 0);
            m.push(u32(2), 0);
            assertEquals(Errno.E2BIG, errno(() -> m.push(u32(3), 0)));
            m.push(u32(3), UPDATE_EXIST); // drops the oldest, 1
        }
        assertArrayEquals(u32(2), q.pop().orElseThrow());
        assertArrayEquals(u32(3), q.peek().orElseThrow());
        assertArrayEquals(u32(3), s.pop().orElseThrow());
        assertArrayEquals(u32(2), s.pop().orElseThrow());
        assertEquals(Optional.empty(), s.pop());
        assertEquals(Errno.EINVAL, errno(() -> q.push(u32(1), UPDATE_NOEXIST)));
    }

    @Test
    void programArrayHoldsProgramsByFd() {
        VmMap pa = vm.createMap(VmMapSpec.of("jmp", MapType.PROG_ARRAY, 4, 4, 2));
        VmProgram p = vm.load("p", ProgramType.XDP, Asm.program().mov(0, 1).exit().bytes());
        pa.update(u32(0), u32(p.fd()), UPDATE_ANY);
        assertArrayEquals(u32(p.fd()), pa.lookup(u32(0)).orElseThrow());
        assertTrue(pa.lookup(u32(1)).isEmpty());
        assertEquals(Errno.EINVAL, errno(() -> pa.update(u32(1), u32(p.fd()), UPDATE_NOEXIST)));
        assertEquals(Errno.EBADF, errno(() -> pa.update(u32(1), u32(9999), UPDATE_ANY)));
        VmProgram other = vm.load("o", ProgramType.SCHED_CLS, Asm.program().mov(0, 1).exit().bytes());
        assertEquals(Errno.EINVAL, errno(() -> pa.update(u32(1), u32(other.fd()), UPDATE_ANY)));
        assertTrue(pa.delete(u32(0)));
        assertFalse(pa.delete(u32(0)));
    }

    @Test
    void mapOfMapsChecksTheInnerMapAgainstItsTemplate() {
        VmMap template = vm.createMap(VmMapSpec.of("inner", MapType.ARRAY, 4, 4, 1));
        VmMap outer = vm.createMap(VmMapSpec.of("outer", MapType.ARRAY_OF_MAPS, 4, 4, 2).withInnerMap(template));
        VmMap good = vm.createMap(VmMapSpec.of("good", MapType.ARRAY, 4, 4, 1));
        VmMap bad = vm.createMap(VmMapSpec.of("bad", MapType.ARRAY, 4, 8, 1));
        outer.update(u32(0), u32(good.fd()), UPDATE_ANY);
        assertEquals(Errno.EINVAL, errno(() -> outer.update(u32(1), u32(bad.fd()), UPDATE_ANY)));
        assertArrayEquals(u32(good.fd()), outer.lookup(u32(0)).orElseThrow());
        assertEquals(Errno.EINVAL, errno(() -> vm.createMap(VmMapSpec.of("o2", MapType.HASH_OF_MAPS, 4, 4, 2))));
    }

    @Test
    void ringBufferRecordsAndCapacity() {
        assertEquals(Errno.EINVAL, errno(() -> vm.createMap(VmMapSpec.of("r", MapType.RINGBUF, 0, 0, 1000))));
        VmRingBuffer rb = (VmRingBuffer) vm.createMap(VmMapSpec.of("rb", MapType.RINGBUF, 0, 0, 4096));
        byte[] data = new byte[100];
        data[0] = 7;
        int written = 0;
        while (rb.output(data, 0, data.length, 0) == 0) {
            written++;
        }
        assertEquals(4096 / 112, written); // 100 bytes + 8 header, rounded up to 8
        List<byte[]> got = new ArrayList<>();
        assertEquals(written, rb.poll(got::add));
        assertArrayEquals(data, got.get(0));
        assertEquals(0, rb.available());
        // A reserved record that crosses the end of the ring is folded back on commit.
        long at = rb.reserve(200, 0);
        assertTrue(at != 0);
        assertEquals(Errno.EAGAIN, -rb.output(new byte[4000], 0, 4000, 0));
        rb.commit(at, true);
        assertEquals(0, rb.poll(got::add)); // discarded
    }

    @Test
    void aMapLargerThanTheHeapIsEnomem() {
        VmMapException e = assertThrows(VmMapException.class,
                () -> vm.createMap(VmMapSpec.of("huge", MapType.HASH, 8, 1 << 20, Integer.MAX_VALUE)));
        assertEquals(Errno.ENOMEM, e.errno());
    }

    @Test
    void unsupportedMapTypeSaysWhichAreAvailable() {
        VmMapException e = assertThrows(VmMapException.class,
                () -> vm.createMap(VmMapSpec.of("d", MapType.DEVMAP, 4, 4, 1)));
        assertTrue(e.getMessage().contains("devmap is not available"), e.getMessage());
        assertTrue(e.getMessage().contains("lpm_trie"), e.getMessage());
    }

    private static List<Integer> keys(VmMap m) {
        List<Integer> keys = new ArrayList<>();
        for (byte[] k = m.nextKey(null).orElse(null); k != null; k = m.nextKey(k).orElse(null)) {
            keys.add(Memory.getInt(k, 0));
        }
        return keys;
    }
}
