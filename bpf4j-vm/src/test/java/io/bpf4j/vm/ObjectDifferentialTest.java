package io.bpf4j.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;
import io.bpf4j.btf.CoreTarget;
import io.bpf4j.kernel.BpfSyscallException;
import io.bpf4j.kernel.Kernel;
import io.bpf4j.kernel.KernelBackend;
import io.bpf4j.kernel.KernelCollection;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.VerifierException;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Whole objects of {@code testdata/}, and the XDP filters libxdp ships, against the kernel:
 * the same {@link ObjectSpec} (CO-RE-relocated for this kernel) goes into the kernel and
 * into the VM; every program of a type the kernel can test-run (XDP, tc, socket filter)
 * then runs on the same crafted packets on both sides, with the same return value and
 * packet out, and afterwards every map holds the same contents.
 * Run in each engine of the VM.
 */
@KernelTest
@ParameterizedClass(name = "{0}")
@EnumSource(Vm.Engine.class)
class ObjectDifferentialTest {
    /** Programs of testdata the verifier of this kernel refuses (built to test parsers, not to load), with why. */
    private static final Map<String, Map<String, String>> EXPECTED_REFUSALS = Map.of(
            "isa_v4.bpf.o", Map.of("v4_prog", "unreachable insn 4"));
    private static final Path XDP_OBJECTS = Path.of("/usr/lib/x86_64-linux-gnu/bpf");
    private static final HexFormat HEX = HexFormat.of();
    private final Vm.Engine engine;

    ObjectDifferentialTest(Vm.Engine engine) {
        this.engine = engine;
    }

    @TestFactory
    Stream<DynamicTest> testdataObjects() throws IOException {
        List<Path> objects;
        try (Stream<Path> files = Files.list(ElfPrograms.testdata(""))) {
            // struct_ops maps register kernel callbacks and are not test-run: struct_ops.bpf.o is for the object model.
            objects = files.filter(p -> p.toString().endsWith(".bpf.o") && !p.getFileName().toString().startsWith("bigendian")
                    && !p.getFileName().toString().startsWith("struct_ops")).sorted().toList();
        }
        assertTrue(objects.size() >= 8, objects.toString());
        return objects.stream().map(o -> DynamicTest.dynamicTest(o.getFileName().toString(), () -> compare(o)));
    }

    @TestFactory
    Stream<DynamicTest> libxdpFilters() throws IOException {
        List<Path> objects;
        try (Stream<Path> files = Files.list(XDP_OBJECTS)) {
            objects = files.filter(p -> p.getFileName().toString().startsWith("xdpfilt_")).sorted().toList();
        }
        assertTrue(!objects.isEmpty(), "no xdpfilt_* objects in " + XDP_OBJECTS + " (package libxdp1)");
        return objects.stream().map(o -> DynamicTest.dynamicTest(o.getFileName().toString(), () -> compare(o)));
    }

    private static CoreTarget kernelTarget;

    /** The running kernel's BTF, read once: parsing vmlinux takes a while. */
    private static synchronized CoreTarget kernelBtf() {
        if (kernelTarget == null) {
            kernelTarget = CoreTarget.kernel();
        }
        return kernelTarget;
    }

    private static boolean testRunnable(ProgramType type) {
        return type == ProgramType.XDP || type == ProgramType.SCHED_CLS || type == ProgramType.SOCKET_FILTER;
    }

    private void compare(Path object) throws Exception {
        ObjectSpec spec = ObjectSpec.read(object);
        for (ProgramSpec p : spec.programs()) {
            if (!testRunnable(p.type())) {
                spec = spec.withAutoload(p.name(), false);
            }
        }
        // The kernel backend loads everything or nothing, as libbpf: programs the verifier refuses are left out and the rest loaded again.
        Map<String, String> refused = new LinkedHashMap<>();
        // Maps pinned by name (libxdp's xdp_stats_map) go to a directory of this test alone, removed afterwards.
        Path pins = Path.of("/sys/fs/bpf/bpf4j-vm-diff-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        KernelBackend backend = KernelBackend.create().withCoreTarget(kernelBtf()).withPinRoot(pins);
        KernelCollection kernel = null;
        try {
            while (kernel == null) {
                try {
                    kernel = backend.load(spec);
                } catch (VerifierException e) {
                    refused.put(e.program(), e.log());
                    spec = spec.withAutoload(e.program(), false);
                }
            }
            // the VM gets the object as the kernel got it: relocated, with the kernel's .kconfig values
            try (KernelCollection k = kernel; Vm vm = Vm.builder().engine(engine).cpus(Kernel.possibleCpus()).build()) {
                compare(object, spec, k, refused, vm.load(k.spec()));
            }
        } finally {
            if (Files.isDirectory(pins)) {
                try (Stream<Path> files = Files.list(pins)) {
                    for (Path f : files.toList()) {
                        Files.delete(f);
                    }
                }
                Files.delete(pins);
            }
        }
    }

    private static void compare(Path object, ObjectSpec spec, KernelCollection kernel, Map<String, String> refused, VmObject ours) {
        try (ours) {
            int runs = 0;
            for (ProgramSpec p : spec.programs()) {
                KernelProgram k = kernel.programs().get(p.name());
                if (k == null) {
                    continue;
                }
                for (byte[] packet : packets(p.name().hashCode())) {
                    TestRun run = TestRun.ofData(packet);
                    String expected = outcome(() -> k.testRun(run));
                    String actual = outcome(() -> ours.program(p.name()).orElseThrow().testRun(run));
                    assertEquals(expected, actual, p.name() + " on " + HEX.formatHex(packet));
                    runs++;
                }
            }
            Map<String, String> expectedRefusals = EXPECTED_REFUSALS.getOrDefault(object.getFileName().toString(), Map.of());
            assertEquals(expectedRefusals.keySet(), refused.keySet(), "programs the kernel refused");
            expectedRefusals.forEach((program, why) -> assertTrue(refused.get(program).contains(why), program + ": "
                    + refused.get(program)));
            for (MapSpec m : spec.maps()) {
                if (m.type() == MapType.RINGBUF || m.type() == MapType.PERF_EVENT_ARRAY) {
                    continue; // event transports have no keys to compare
                }
                KernelMap k = kernel.maps().get(m.name());
                assertEquals(contents(k), contents(ours.map(m.name()).orElseThrow()), "map " + m.name() + " after " + runs
                        + " runs");
            }
        }
    }

    /** Crafted packets: Ethernet with IPv4 (TCP, UDP, ICMP, fragments), IPv6, ARP, and random bytes. */
    static List<byte[]> packets(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<byte[]> packets = new ArrayList<>();
        for (int proto : new int[] {6, 17, 1}) {
            for (int port : new int[] {22, 53, 80, 443}) {
                byte[] p = ContextDifferentialTest.udp(ContextDifferentialTest.HOST, 40);
                p[23] = (byte) proto;
                p[36] = (byte) (port >> 8);
                p[37] = (byte) port;
                packets.add(p);
            }
        }
        byte[] fragment = ContextDifferentialTest.udp(ContextDifferentialTest.OTHER, 20);
        fragment[20] = 0x20; // more fragments
        packets.add(fragment);
        byte[] v6 = new byte[14 + 40 + 20];
        v6[12] = (byte) 0x86;
        v6[13] = (byte) 0xdd;
        v6[14] = 0x60;
        v6[20] = 6;
        packets.add(v6);
        byte[] arp = new byte[42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        packets.add(arp);
        for (int i = 0; i < 6; i++) {
            byte[] p = new byte[60 + random.nextInt(200)];
            random.nextBytes(p);
            p[12] = 0x08;
            p[13] = 0x00;
            p[14] = 0x45;
            packets.add(p);
        }
        return packets;
    }

    private static String outcome(java.util.function.Supplier<TestRunResult> run) {
        try {
            TestRunResult r = run.get();
            return "return " + r.returnValue() + " data " + HEX.formatHex(r.dataOut());
        } catch (BpfSyscallException e) {
            return "refused " + e.errnoName();
        } catch (VmException e) {
            return "refused " + e.what().replaceAll(".*\\): ([A-Z0-9]+):.*", "$1");
        }
    }

    /**
     * Every key and value. Per-CPU values are summed word by word over the CPUs, since the
     * kernel test-runs on whatever CPU it is on; the fd-valued maps (program arrays, maps of
     * maps) hold ids of different objects on each side, so only their occupied keys count.
     */
    static List<String> contents(BpfMap map) {
        boolean perCpu = map.type() == MapType.PERCPU_ARRAY || map.type() == MapType.PERCPU_HASH
                || map.type() == MapType.LRU_PERCPU_HASH;
        boolean ids = map.type() == MapType.PROG_ARRAY || map.type() == MapType.ARRAY_OF_MAPS
                || map.type() == MapType.HASH_OF_MAPS;
        List<String> entries = new ArrayList<>();
        for (byte[] k = map.nextKey(null).orElse(null); k != null; k = map.nextKey(k).orElse(null)) {
            byte[] v = map.lookup(k).orElse(null);
            String value = v == null ? "none" : ids ? "an object" : HEX.formatHex(perCpu ? sumOverCpus(v, map.valueSize()) : v);
            entries.add(HEX.formatHex(k) + "=" + value);
        }
        entries.sort(Comparator.naturalOrder());
        return entries;
    }

    private static byte[] sumOverCpus(byte[] v, int valueSize) {
        int stride = (valueSize + 7) & ~7;
        byte[] sum = new byte[stride];
        for (int at = 0; at + stride <= v.length; at += stride) {
            for (int w = 0; w < stride; w += 8) {
                Memory.putLong(sum, w, Memory.getLong(sum, w) + Memory.getLong(v, at + w));
            }
        }
        return sum;
    }
}
