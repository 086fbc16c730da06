package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfException;
import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.btf.BtfBuilder;
import io.bpf4j.btf.BtfType;
import io.bpf4j.btf.CoreTarget;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.kernel.testing.OpenFds;
import io.bpf4j.object.ExternSpec;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ObjectLoader} (through {@link KernelBackend}) on the objects of {@code testdata/}: global data shared with the
 * programs through mmap, maps pinned by name reused (and refused when incompatible), a failed
 * load undone, poisoned CO-RE relocations named, Kconfig externs filled from the running
 * kernel. Which instructions are submitted is checked
 * against libbpf by the CLI's {@code LoadallOracleTest}.
 */
@KernelTest
class ObjectLoaderTest {
    private static final Path TESTDATA = Path.of(System.getProperty("bpf4j.repo.root", "..")).resolve("testdata");
    private final Path pins = Path.of("/sys/fs/bpf/bpf4j-backend-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime());

    @AfterEach
    void removePins() throws IOException {
        if (Files.exists(pins)) {
            try (Stream<Path> s = Files.walk(pins)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static ObjectSpec object(String name) throws IOException {
        return ObjectSpec.read(TESTDATA.resolve(name));
    }

    private static byte[] packet() {
        return new byte[64];
    }

    @Test
    void globalDataIsSharedWithThePrograms() throws IOException {
        ObjectSpec spec = object("skeleton.bpf.o");
        int packetsAt = spec.variable("packets").orElseThrow().offset();
        int seqAt = spec.variable("seq").orElseThrow().offset();
        int markAt = spec.variable("mark").orElseThrow().offset();
        try (KernelCollection c = KernelBackend.create().load(spec)) {
            MemorySegment bss = c.globalData("skeleton.bss");
            MemorySegment data = c.globalData("skeleton.data");
            MemorySegment rodata = c.globalData("skeleton.rodata");
            assertTrue(rodata.isReadOnly(), "frozen .rodata is mapped read-only");
            assertEquals(7, rodata.get(ValueLayout.JAVA_BYTE, markAt));
            assertEquals(100, data.get(ValueLayout.JAVA_INT, seqAt));
            data.set(ValueLayout.JAVA_INT, seqAt, 500);
            c.programs().get("fill").testRun(TestRun.ofData(packet()));
            c.programs().get("fill").testRun(TestRun.ofData(packet()));
            assertEquals(2, bss.get(ValueLayout.JAVA_LONG, packetsAt), "the programs' writes are seen through the mapping");
            assertEquals(502, data.get(ValueLayout.JAVA_INT, seqAt), "the program saw what Java wrote, and counted on");
            assertTrue(c.maps().get("skeleton.rodata").isFrozen());
        }
    }

    @Test
    void mapsPinnedByNameAreReusedWhenCompatible() throws IOException {
        ObjectSpec spec = object("xdp_counter.bpf.o");
        MapSpec counts = spec.map("proto_count").orElseThrow();
        ObjectSpec pinned = spec.withMap(counts.withPinning(MapSpec.PIN_BY_NAME));
        KernelBackend kernel = KernelBackend.create().withPinRoot(pins);
        int id;
        try (KernelCollection first = kernel.load(pinned)) {
            id = first.maps().get("proto_count").id();
            assertTrue(Files.exists(pins.resolve("proto_count")));
        }
        try (KernelCollection second = kernel.load(pinned)) {
            assertEquals(id, second.maps().get("proto_count").id(), "the pinned map is reused, not created again");
        }
        ObjectSpec bigger = spec.withMap(counts.withPinning(MapSpec.PIN_BY_NAME).withMaxEntries(counts.maxEntries() + 1));
        BpfException e = assertThrows(BpfException.class, () -> kernel.load(bigger));
        assertTrue(e.getMessage().contains("couldn't reuse pinned map") && e.getMessage().contains("parameter mismatch"),
                e.getMessage());
    }

    @Test
    void aFailedLoadIsUndoneAndItsPinsRemoved() throws IOException {
        ObjectSpec spec = object("xdp_counter.bpf.o");
        MapSpec counts = spec.map("proto_count").orElseThrow();
        ProgramSpec p = spec.program("count_packets").orElseThrow();
        // an XDP program loaded as a socket filter reads a context it does not have: the verifier refuses it
        ObjectSpec broken = spec.withMap(counts.withPinning(MapSpec.PIN_BY_NAME)).withProgram(new ProgramSpec(p.name(),
                p.sectionName(), ProgramType.SOCKET_FILTER, null, p.attachTarget(), 0, true, p.license(), p.kernelVersion(),
                p.instructions(), p.references(), p.funcInfos(), p.lineInfos(), p.coreRelos()));
        int fds = OpenFds.count();
        VerifierException e = assertThrows(VerifierException.class, () -> KernelBackend.create().withPinRoot(pins).load(broken));
        assertEquals("count_packets", e.program());
        assertFalse(Files.exists(pins.resolve("proto_count")), "the pin made by the failed load is removed");
        assertEquals(fds, OpenFds.count(), "file descriptors left by the failed load");
    }

    @Test
    void aPoisonedCoreRelocationIsNamedAsLibbpfNamesIt() throws IOException {
        ObjectSpec spec = object("btf_types.bpf.o");
        // a target BTF without task_struct: every relocation of program 'core' fails and its instruction is poisoned
        BtfBuilder b = new BtfBuilder();
        b.add(new BtfType.Int("int", 4, BtfType.Int.SIGNED, 0, 32));
        KernelBackend kernel = KernelBackend.create().withCoreTarget(CoreTarget.of(b.build()));
        List<String> log = new ArrayList<>();
        VerifierException e = assertThrows(VerifierException.class, () -> kernel.withLog(log::add).load(spec));
        assertEquals("core", e.program());
        assertTrue(e.log().contains("<invalid CO-RE relocation>\nfailed to resolve CO-RE relocation <byte_off> ["), e.log());
        assertTrue(e.getMessage().contains("failed to resolve CO-RE relocation"), e.getMessage());
        assertTrue(log.stream().anyMatch(l -> l.matches("prog 'core': relo #\\d+: insn #\\d+ poisoned: failed to resolve CO-RE "
                + "relocation .*")), String.join("\n", log));
    }

    @Test
    void kconfigExternsHoldTheRunningKernelsValues() throws IOException {
        ObjectSpec spec = object("core.bpf.o");
        // core_enums reads a per-CPU kernel variable this kernel does not let programs address; the rest loads
        spec = spec.withAutoload("core_enums", false);
        ExternSpec version = spec.externs().stream().filter(x -> x.name().equals("LINUX_KERNEL_VERSION")).findFirst().orElseThrow();
        try (KernelCollection c = KernelBackend.create().load(spec)) {
            MemorySegment kconfig = c.globalData("core.kconfig");
            assertTrue(kconfig.isReadOnly());
            assertEquals(FeatureProbe.kernelVersionCode(Kernel.release()), kconfig.get(ValueLayout.JAVA_INT, version.offset()));
            byte[] value = c.maps().get("core.kconfig").lookup(new byte[4]).orElseThrow();
            assertEquals(FeatureProbe.kernelVersionCode(Kernel.release()),
                    ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()).getInt(version.offset()));
        }
    }
}
