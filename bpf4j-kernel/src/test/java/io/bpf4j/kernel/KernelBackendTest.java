package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfCollection;
import io.bpf4j.BpfException;
import io.bpf4j.TestRun;
import io.bpf4j.kernel.testing.FdSnapshot;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.object.ObjectSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link KernelBackend} on every testdata and libxdp object: what loads, with its BTF and
 * function info where the object has them, and what is refused and why.
 */
@KernelTest
class KernelBackendTest {
    private static final Path TESTDATA = Path.of(System.getProperty("bpf4j.repo.root", "..")).resolve("testdata");
    private static final Path LIBXDP = Path.of("/usr/lib/x86_64-linux-gnu/bpf");

    /** Objects the kernel refuses (as it does when bpftool loads them), with a piece of the reason. */
    private static final Map<String, String> REFUSED = Map.of(
            "bigendian.bpf.o", "endianness mismatch",
            "isa_v4.bpf.o", "program 'v4_prog' rejected by the verifier",
            "core.bpf.o", "ldimm64 failed to find the address for kernel symbol 'bpf_prog_active'",
            "struct_ops.bpf.o", "program 'bpf4j_ssthresh' rejected by the verifier",
            "xdpdump_bpf.o", "failed to find kernel BTF type ID of 'func'");

    private FdSnapshot fds;
    private Path pins;

    @BeforeEach
    void setUp() throws IOException {
        fds = FdSnapshot.take();
        pins = Files.createDirectories(KernelBackend.DEFAULT_PIN_ROOT.resolve("bpf4j-backend-test-" + ProcessHandle.current().pid()));
    }

    @AfterEach
    void tearDown() throws IOException {
        try (Stream<Path> left = Files.list(pins)) {
            for (Path p : left.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(pins);
        fds.assertNoneLeaked();
    }

    @Test
    void loadsWhatTheKernelTakesAndSaysWhyNot() throws IOException {
        List<Path> objects = new ArrayList<>();
        for (Path dir : new Path[] {TESTDATA, LIBXDP}) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    s.filter(p -> p.toString().endsWith(".o")).sorted().forEach(objects::add);
                }
            }
        }
        Map<String, String> refused = new TreeMap<>();
        int loaded = 0;
        for (Path object : objects) {
            ObjectSpec spec = ObjectSpec.read(object);
            try (BpfCollection c = KernelBackend.create().withPinRoot(pins).load(spec)) {
                assertEquals(spec.programs().stream().filter(p -> p.autoload()).count(), c.programs().size(), object.toString());
                loaded++;
            } catch (BpfException e) {
                refused.put(object.getFileName().toString(), e.getMessage());
            }
        }
        assertEquals(REFUSED.keySet(), refused.keySet(), refused.toString());
        REFUSED.forEach((name, why) -> assertTrue(refused.get(name).contains(why), name + ": " + refused.get(name)));
        assertTrue(loaded >= 10, loaded + " objects loaded");
    }

    @Test
    void mapsAndProgramsCarryTheObjectsBtf() throws IOException {
        // calls.bpf.o's bpf_loop callback is verified only with its function info.
        try (BpfCollection calls = KernelBackend.create().load(ObjectSpec.read(TESTDATA.resolve("calls.bpf.o")));
                BpfCollection skel = KernelBackend.create().load(ObjectSpec.read(TESTDATA.resolve("skeleton.bpf.o")))) {
            KernelProgram traceExec = (KernelProgram) calls.program("trace_exec").orElseThrow();
            assertNotEquals(0, traceExec.info().btfId());
            MapInfo layouts = ((KernelMap) skel.map("layouts").orElseThrow()).info();
            assertNotEquals(0, layouts.btfId());
            assertNotEquals(0, layouts.btfValueTypeId(), "struct layout");
        }
    }

    @Test
    void pinnedByNameIsReused() throws IOException {
        Path xdpfilt = LIBXDP.resolve("xdpfilt_alw_tcp.o");
        ObjectSpec spec = ObjectSpec.read(xdpfilt);
        try (BpfCollection first = KernelBackend.create().withPinRoot(pins).load(spec)) {
            int id = ((KernelMap) first.map("filter_ports").orElseThrow()).id();
            assertTrue(Files.exists(pins.resolve("filter_ports")));
            try (BpfCollection second = KernelBackend.create().withPinRoot(pins).load(spec)) {
                assertEquals(id, ((KernelMap) second.map("filter_ports").orElseThrow()).id(), "the pinned map, not a new one");
            }
        }
    }

    @Test
    void globalsAreMappedAndRodataIsFrozen() throws IOException {
        ObjectSpec spec = ObjectSpec.read(TESTDATA.resolve("xdp_counter.bpf.o"));
        try (BpfCollection c = KernelBackend.create().load(spec)) {
            MemorySegment bss = c.globalData("xdp_coun.bss");
            bss.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 100);
            c.program("count_packets").orElseThrow().testRun(TestRun.ofData(new byte[64]));
            assertEquals(101, bss.get(ValueLayout.JAVA_LONG_UNALIGNED, 0), "the program's increment on Java's value");
            assertTrue(c.globalData("xdp_coun.rodata").isReadOnly());
            assertTrue(((KernelMap) c.map("xdp_coun.rodata").orElseThrow()).isFrozen());
            BpfException notGlobal = assertThrows(BpfException.class, () -> c.globalData("proto_count"));
            assertEquals("map 'proto_count' of xdp_counter is BTF, not global data", notGlobal.getMessage());
            c.close();
            assertThrows(IllegalStateException.class, () -> bss.get(ValueLayout.JAVA_LONG_UNALIGNED, 0), "unmapped: no crash");
        }
    }

    @Test
    void attachNeedsATargetWhereTheSectionHasNone() throws IOException {
        try (BpfCollection c = KernelBackend.create().load(ObjectSpec.read(TESTDATA.resolve("xdp_counter.bpf.o")))) {
            BpfException e = assertThrows(BpfException.class, () -> c.attach("count_packets", ""));
            assertEquals("program 'count_packets' of xdp_counter (section 'xdp') does not say where it attaches: give a target, "
                    + "such as a network device", e.getMessage());
            assertFalse(c.programs().isEmpty());
        }
    }
}
