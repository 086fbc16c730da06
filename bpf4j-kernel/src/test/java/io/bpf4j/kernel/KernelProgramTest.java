package io.bpf4j.kernel;

import static io.bpf4j.kernel.Insns.cat;
import static io.bpf4j.kernel.Insns.exit;
import static io.bpf4j.kernel.Insns.ldImm64;
import static io.bpf4j.kernel.Insns.ldxW;
import static io.bpf4j.kernel.Insns.movImm;
import static io.bpf4j.kernel.Insns.returning;
import static io.bpf4j.kernel.KernelMapTest.i32;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfFormatException;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.kernel.testing.OpenFds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

@KernelTest
class KernelProgramTest {
    private static final int XDP_PASS = 2;

    static KernelProgram load(ProgramType type, String name, byte[] insns) {
        return KernelProgram.load(ProgramDefinition.of(type, name, insns, "GPL"));
    }

    @Test
    void loadsAndRunsAnXdpProgram() {
        byte[] packet = new byte[64];
        Arrays.fill(packet, (byte) 0xab);
        try (KernelProgram p = load(ProgramType.XDP, "xdp_pass", returning(XDP_PASS))) {
            assertEquals("xdp_pass", p.name());
            assertEquals(ProgramType.XDP, p.type());
            TestRunResult r = p.testRun(TestRun.ofData(packet).withRepeat(10));
            assertEquals(XDP_PASS, r.returnValue());
            assertArrayEquals(packet, r.dataOut());
            assertEquals(0, r.ctxOut().length);
        }
    }

    @Test
    void testRunWithContextInAndOut() {
        // struct xdp_md { data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex }
        byte[] ctx = new byte[24];
        byte[] packet = new byte[40];
        System.arraycopy(i32(40), 0, ctx, 4, 4); // data_end = 40
        try (KernelProgram p = load(ProgramType.XDP, "xdp_ctx", returning(1))) {
            TestRunResult r = p.testRun(TestRun.ofData(packet).withContext(ctx, 24));
            assertEquals(1, r.returnValue());
            assertEquals(24, r.ctxOut().length);
        }
    }

    @Test
    void tooSmallOutputBufferSaysHowMuchIsNeeded() {
        try (KernelProgram p = load(ProgramType.XDP, "xdp_small", returning(XDP_PASS))) {
            var e = assertThrows(BpfSyscallException.class, () -> p.testRun(TestRun.ofData(new byte[64]).withDataOutSize(10)));
            assertEquals("ENOSPC", e.errnoName());
            assertTrue(e.getMessage().contains("needs 64 bytes of data"), e.getMessage());
        }
    }

    @Test
    void verifierRejectionCarriesTheLog() {
        // r0 is never written: the verifier says "R0 !read_ok".
        var e = assertThrows(VerifierException.class, () -> load(ProgramType.SOCKET_FILTER, "bad", exit()));
        assertEquals("bad", e.program());
        assertEquals("EACCES", e.errnoName());
        assertTrue(e.log().contains("R0 !read_ok"), e.log());
        assertTrue(e.getMessage().startsWith("program 'bad' rejected by the verifier (EACCES):"), e.getMessage());
        assertTrue(e.getMessage().contains("R0 !read_ok"), e.getMessage());
    }

    @Test
    void longLogsAreReadWhole() {
        // Enough instructions that a level-2 log outgrows the first buffer (64 KiB) and is grown on ENOSPC.
        byte[][] parts = new byte[4001][];
        for (int i = 0; i < 4000; i++) {
            parts[i] = movImm(i % 10, i);
        }
        parts[4000] = exit();
        try (KernelProgram p = KernelProgram.load(
                ProgramDefinition.of(ProgramType.SOCKET_FILTER, "long_log", cat(parts), "GPL").withLogLevel(2))) {
            String log = p.verifierLog();
            assertTrue(log.length() > KernelLog.INITIAL_SIZE, "log of " + log.length() + " bytes");
            assertTrue(log.contains("processed 4001 insns"), log.substring(Math.max(0, log.length() - 300)));
        }
    }

    @Test
    void malformedInstructionsAreRejectedBeforeTheKernel() {
        var e = assertThrows(BpfFormatException.class,
                () -> ProgramDefinition.of(ProgramType.XDP, "odd", new byte[12], "GPL"));
        assertTrue(e.getMessage().contains("12 bytes"), e.getMessage());
    }

    @Test
    void kernelTagEqualsOfflineTag() {
        try (KernelMap array = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 8, 1));
                KernelMap hash = KernelMap.create(MapDefinition.of(MapType.HASH, 4, 4, 4))) {
            byte[][] programs = {
                returning(7),
                Insns.lookupFirstWord(hash.fd()),
                // r1 = &array[0] + 4 (BPF_PSEUDO_MAP_VALUE), r0 = *(u32 *)r1
                cat(ldImm64(1, io.bpf4j.isa.PseudoSource.MAP_VALUE, array.fd(), 4), ldxW(0, 1, 0), exit()),
            };
            ProgramTag.Digest digest = ProgramTag.Digest.forRelease(Kernel.release());
            for (byte[] insns : programs) {
                try (KernelProgram p = load(ProgramType.SOCKET_FILTER, "tagged", insns)) {
                    assertEquals(p.info().tagHex(), ProgramTag.hex(insns, digest));
                }
            }
        }
    }

    @Test
    void digestFollowsTheKernelRelease() {
        assertEquals(ProgramTag.Digest.SHA256, ProgramTag.Digest.forRelease("6.18.44-fc-v657"));
        assertEquals(ProgramTag.Digest.SHA256, ProgramTag.Digest.forRelease("7.0.1"));
        assertEquals(ProgramTag.Digest.SHA1, ProgramTag.Digest.forRelease("6.17.0-rc1"));
        assertEquals(ProgramTag.Digest.SHA1, ProgramTag.Digest.forRelease("5.15.0-91-generic"));
    }

    @Test
    void infoReportsTheProgram() {
        try (KernelMap hash = KernelMap.create(MapDefinition.of(MapType.HASH, 4, 4, 4).withName("info_map"))) {
            byte[] insns = Insns.lookupFirstWord(hash.fd());
            long before = io.bpf4j.kernel.sys.Libc.clockNanos(io.bpf4j.kernel.sys.Libc.CLOCK_BOOTTIME);
            try (KernelProgram p = load(ProgramType.SOCKET_FILTER, "info_prog", insns)) {
                ProgramInfo info = p.info();
                assertEquals(p.id(), info.id());
                assertEquals(ProgramType.SOCKET_FILTER.id(), info.typeId());
                assertEquals("info_prog", info.name());
                assertTrue(info.gplCompatible());
                assertArrayEquals(new int[] {hash.id()}, info.mapIds());
                // The verifier inlines the hash lookup, so the translated program is longer than the loaded one.
                assertTrue(info.xlatedInstructions().length >= insns.length);
                assertEquals(0, info.xlatedInstructions().length % 8);
                assertTrue(info.loadTime() >= before, "load time " + info.loadTime() + " before " + before);
                assertEquals(0, info.createdByUid());
                assertTrue(info.verifiedInstructions() > 0);
                if (jitEnabled()) {
                    assertTrue(info.jitedInstructions().length > 0);
                    assertEquals(1, info.jitedKsyms().length);
                    assertEquals(info.jitedInstructions().length, info.jitedFuncLengths()[0]);
                }
                assertEquals(1, info.progTags().length);
                assertArrayEquals(info.tag(), info.progTags()[0]);
                assertTrue(p.memlock() > 0);
            }
        }
    }

    @Test
    void pinAndOpenPinnedAndById() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/sys/fs/bpf"), "bpf4j-test");
        Path pin = dir.resolve("prog");
        Path mapPin = dir.resolve("map");
        try (KernelProgram p = load(ProgramType.XDP, "pinned_prog", returning(XDP_PASS));
                KernelMap m = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 4, 1))) {
            p.pin(pin);
            m.pin(mapPin);
            try (KernelProgram q = KernelProgram.openPinned(pin); KernelProgram r = KernelProgram.openById(p.id())) {
                assertEquals(p.id(), q.id());
                assertEquals("pinned_prog", r.name());
            }
            var wrongKind = assertThrows(io.bpf4j.BpfException.class, () -> KernelProgram.openPinned(mapPin));
            assertTrue(wrongKind.getMessage().contains("not a program but a bpf-map"), wrongKind.getMessage());
            assertTrue(Kernel.programIds().contains(p.id()));
        } finally {
            Files.deleteIfExists(pin);
            Files.deleteIfExists(mapPin);
            Files.delete(dir);
        }
    }

    @Test
    void closeTwiceAndNoLeaks() {
        KernelProgram p = load(ProgramType.XDP, "close_twice", returning(1));
        p.close();
        p.close();
        assertThrows(IllegalStateException.class, () -> p.testRun(TestRun.ofData(new byte[20])));
        Runnable exercise = () -> {
            try (KernelProgram q = load(ProgramType.XDP, "leak_check", returning(1))) {
                q.info();
                q.testRun(TestRun.ofData(new byte[20]));
            }
            assertThrows(VerifierException.class, () -> load(ProgramType.XDP, "leak_bad", exit()));
        };
        exercise.run();
        int before = OpenFds.count();
        for (int i = 0; i < 10; i++) {
            exercise.run();
        }
        assertEquals(before, OpenFds.count());
    }

    private static boolean jitEnabled() {
        try {
            return !Files.readString(Path.of("/proc/sys/net/core/bpf_jit_enable")).trim().equals("0");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void programTypeTheKernelLacksIsAnUnsupportedFeature() {
        org.junit.jupiter.api.Assumptions.assumeFalse(FeatureProbe.programType(ProgramType.LIRC_MODE2),
                "this kernel has lirc_mode2 programs (CONFIG_BPF_LIRC_MODE2)");
        var e = assertThrows(UnsupportedFeatureException.class, () -> KernelProgram.load(
                ProgramDefinition.of(ProgramType.LIRC_MODE2, "lirc", returning(0), "GPL")
                        .withExpectedAttachType(io.bpf4j.AttachType.LIRC_MODE2)));
        assertTrue(e.getMessage().contains("has no lirc_mode2 programs (program type added in Linux 4.18)"), e.getMessage());
    }

    @Test
    void unknownProgramTypeIsAClearError() {
        var e = assertThrows(BpfSyscallException.class, () -> load(ProgramType.UNSPEC, "unspec", returning(0)));
        assertFalse(e instanceof VerifierException);
        assertEquals("EINVAL", e.errnoName());
    }
}
