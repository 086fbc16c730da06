package io.bpf4j.gen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfBackend;
import io.bpf4j.BpfLink;
import io.bpf4j.TestRun;
import io.bpf4j.gen.fixture.SkeletonObject;
import io.bpf4j.kernel.testing.Frames;
import io.bpf4j.gen.fixture.SkeletonObject.Awkward;
import io.bpf4j.gen.fixture.SkeletonObject.Event;
import io.bpf4j.gen.fixture.SkeletonObject.Inner;
import io.bpf4j.gen.fixture.SkeletonObject.Key;
import io.bpf4j.gen.fixture.SkeletonObject.Layout;
import io.bpf4j.gen.fixture.SkeletonObject.LayoutU;
import io.bpf4j.gen.fixture.SkeletonObject.Overlay;
import io.bpf4j.skeleton.EventMap;
import io.bpf4j.skeleton.MapView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The features of a generated skeleton (testdata/skeleton.bpf.c through the committed
 * {@link SkeletonObject}) on one backend: maps of records both ways, per-CPU values, global
 * variables, events and attachment. The layout oracle is the C compiler: fill() writes a
 * {@code struct layout} that Java must decode to the values the C source assigns, and
 * check() compares a layout Java encoded with those values field by field.
 */
abstract class SkeletonFeatures {
    /** What fill() writes, as the C source assigns it ({@code mark} at its default of 7). */
    static final Layout FILLED = new Layout((byte) (0x11 + 7), 0x1122334455667788L, (short) 0xbeef, new Inner((byte) 0x5a, 123456),
            new int[] {1, 2, 3}, "abcde", 5, 300, -7, 0xabcdef1234L, LayoutU.ofWord(0x04030201),
            new Inner[] {new Inner((byte) 1, 10), new Inner((byte) 2, 20)}, (short) -2, true);
    static final long PID = ProcessHandle.current().pid();

    /** A backend for one test. */
    abstract BpfBackend backend();

    /** Makes this process enter getppid {@code times} times, as the attached tracepoint sees it. */
    abstract void callGetppid(int times);

    /** The network device {@link #throughDevice} attaches to. */
    static final String DEVICE = "bpf4j-rx";

    /**
     * Attaches {@code skel}'s XDP program fill() to {@link #DEVICE}, delivers {@code frames} to
     * that device, and returns once the program has seen them all.
     */
    abstract void throughDevice(SkeletonObject skel, List<byte[]> frames);

    static TestRun packet(int length) {
        return TestRun.ofData(new byte[length]);
    }

    @Test
    void mapValuesDecodeAsCWroteThem() {
        try (SkeletonObject skel = SkeletonObject.open().load(backend())) {
            assertEquals(2, skel.progs().fill().testRun(packet(64)).returnValue()); // XDP_PASS
            Layout l = skel.maps().layouts().get(new Key(1, (short) 0)).orElseThrow();
            assertEquals(FILLED, l);
            assertEquals(0x04030201, l.u().word());
            assertArrayEquals(new byte[] {1, 2, 3, 4}, l.u().octets());
        }
    }

    @Test
    void mapValuesEncodeAsCReadsThem() {
        try (SkeletonObject skel = SkeletonObject.open().load(backend())) {
            MapView<Key, Layout> layouts = skel.maps().layouts();
            layouts.put(new Key(2, (short) 80), FILLED);
            assertEquals(0, skel.progs().check().testRun(packet(64)).returnValue(), "bits of the fields C reads differently");
            // Each field C finds wrong sets its own bit: the check is not vacuous.
            Layout wrong = new Layout(FILLED.a(), FILLED.b(), FILLED.c(), FILLED.in(), FILLED.arr(), "abcdx", FILLED.f1(), FILLED.f2(),
                    -6, FILLED.f4(), LayoutU.ofOctets(new byte[] {1, 2, 3, 5}), FILLED.pair(), (short) 2, FILLED.ok());
            layouts.put(new Key(2, (short) 80), wrong);
            assertEquals(1 << 5 | 1 << 8 | 1 << 10 | 1 << 12, skel.progs().check().testRun(packet(64)).returnValue());
            // The key's tail padding is zeroed: a lookup with another port misses.
            assertTrue(layouts.remove(new Key(2, (short) 80)));
            layouts.put(new Key(2, (short) 81), FILLED);
            assertEquals(1 << 20, skel.progs().check().testRun(packet(64)).returnValue());
            assertEquals(List.of(new Key(2, (short) 81)), layouts.keys());
            assertEquals(List.of(new MapView.Entry<>(new Key(2, (short) 81), FILLED)), layouts.entries());
        }
    }

    @Test
    void perCpuValuesAreOnePerCpu() {
        try (SkeletonObject skel = SkeletonObject.open().load(backend())) {
            for (int i = 0; i < 3; i++) {
                skel.progs().fill().testRun(packet(64));
            }
            List<Long> perCpu = skel.maps().perCpu().get(0).orElseThrow();
            assertEquals(3, perCpu.stream().mapToLong(Long::longValue).sum(), perCpu.toString());
            List<Long> zeros = new ArrayList<>(java.util.Collections.nCopies(perCpu.size(), 0L));
            skel.maps().perCpu().put(0, zeros);
            assertEquals(zeros, skel.maps().perCpu().get(0).orElseThrow());
        }
    }

    @Test
    void rodataIsSetBeforeLoadAndReadOnlyAfter() {
        try (SkeletonObject skel = SkeletonObject.open()) {
            assertEquals(7, skel.rodata().mark());
            skel.rodata().mark((byte) 9);
            skel.load(backend());
            assertEquals(9, skel.rodata().mark());
            skel.progs().fill().testRun(packet(64));
            assertEquals(0x11 + 9, skel.maps().layouts().get(new Key(1, (short) 0)).orElseThrow().a());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> skel.rodata().mark((byte) 1));
            assertTrue(e.getMessage().contains("read-only once loaded"), e.getMessage());
        }
    }

    @Test
    void dataAndBssAreSharedWithThePrograms() {
        try (SkeletonObject skel = SkeletonObject.open()) {
            assertEquals(100, skel.data().seq());
            assertEquals("bpf4j", skel.data().label());
            assertEquals(new Inner((byte) 1, 2), skel.data().last());
            skel.data().seq(500).label("before");
            skel.load(backend());
            assertEquals(500, skel.data().seq(), "initial value set before load");
            assertEquals("before", skel.data().label());
            skel.bss().packets(40);
            skel.progs().fill().testRun(packet(64));
            skel.progs().fill().testRun(packet(64));
            assertEquals(42, skel.bss().packets(), "the program added to what Java wrote");
            assertEquals(502, skel.data().seq());
            skel.data().last(new Inner((byte) 3, 4));
            assertEquals(new Inner((byte) 3, 4), skel.data().last());
        }
    }

    @Test
    void membersNamedLikeJavaKeywordsOrTheRecordsOwnNames() {
        try (SkeletonObject skel = SkeletonObject.open()) {
            assertEquals(new Awkward(1, 2, 3, 4, 5, 6, 7, 8), skel.data().awkward());
            assertEquals(0x00020001, skel.data().overlay().bytes_());
            assertArrayEquals(new short[] {1, 2}, skel.data().overlay().value());
            skel.load(backend());
            skel.data().awkward(new Awkward(8, 7, 6, 5, 4, 3, 2, 1)).overlay(Overlay.ofValue(new short[] {3, 4}));
            assertEquals(new Awkward(8, 7, 6, 5, 4, 3, 2, 1), skel.data().awkward());
            assertEquals(0x00040003, skel.data().overlay().bytes_());
        }
    }

    @Test
    void ringBufferEventsDecodeAsRecords() {
        try (SkeletonObject skel = SkeletonObject.open().load(backend())) {
            for (int len = 60; len < 63; len++) {
                skel.progs().fill().testRun(packet(len));
            }
            List<Event> events = new ArrayList<>();
            assertEquals(3, skel.maps().ring().poll(Duration.ofSeconds(1), Event.CODEC, events::add));
            assertEquals(List.of(new Event(0, 100, "", 60), new Event(0, 101, "", 61), new Event(0, 102, "", 62)), events);
            assertEquals(0, skel.maps().ring().poll(Duration.ZERO, Event.CODEC, events::add));
        }
    }

    @Test
    void attachedProgramRunsOnItsHookUntilDetached() {
        try (SkeletonObject skel = SkeletonObject.open()) {
            skel.rodata().targetPid((int) PID);
            skel.load(backend()).attach();
            BpfLink link = skel.progs().onGetppid().link().orElseThrow();
            assertEquals("tracepoint/syscalls/sys_enter_getppid", link.hook());
            assertTrue(skel.progs().fill().link().isEmpty(), "XDP programs need a device; attach() leaves them");
            EventMap perf = skel.maps().perf(); // read from now on
            callGetppid(3);
            assertEquals(3, skel.dataHits().hits());
            List<Event> events = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (events.size() < 3 && System.nanoTime() < deadline) {
                perf.poll(Duration.ofMillis(100), Event.CODEC, events::add);
            }
            assertEquals(List.of(100, 101, 102), events.stream().map(Event::seq).toList());
            assertTrue(events.stream().allMatch(e -> e.pid() == PID), events.toString());
            assertEquals(events.get(2), skel.bss().lastEvent());
            skel.detach();
            assertTrue(skel.progs().onGetppid().link().isEmpty());
            callGetppid(2);
            assertEquals(3, skel.dataHits().hits(), "detached: no more runs");
        }
    }

    @Test
    void xdpProgramAttachedToADeviceSeesItsFrames() {
        try (SkeletonObject skel = SkeletonObject.open().load(backend())) {
            EventMap ring = skel.maps().ring();
            List<byte[]> frames = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                frames.add(Frames.udp("02:00:00:00:01:02", "02:00:00:00:01:01", "10.201.0.2", "10.201.0.1", 40000, 7777,
                        new byte[10 + i]));
            }
            throughDevice(skel, frames);
            assertEquals("xdp/" + DEVICE, skel.progs().fill().link().orElseThrow().hook());
            assertEquals(5, skel.bss().packets());
            List<Event> events = new ArrayList<>();
            ring.poll(Duration.ofSeconds(1), Event.CODEC, events::add);
            assertEquals(frames.stream().map(f -> (long) f.length).toList(), events.stream().map(Event::len).toList());
        }
    }

    @Test
    void lifecycleMisuseIsExplained() {
        try (SkeletonObject skel = SkeletonObject.open()) {
            IllegalStateException early = assertThrows(IllegalStateException.class, () -> skel.maps().layouts());
            assertTrue(early.getMessage().contains("call load first"), early.getMessage());
            skel.load(backend());
            assertThrows(IllegalStateException.class, () -> skel.load(backend()));
            assertThrows(io.bpf4j.BpfException.class, () -> skel.progs().fill().attach());
            skel.close();
            assertThrows(IllegalStateException.class, () -> skel.maps().layouts());
            skel.close();
            assertFalse(skel.skeleton().state() == io.bpf4j.skeleton.Skeleton.State.LOADED);
        }
    }
}
