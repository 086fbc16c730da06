package io.bpf4j.kernel;

import static io.bpf4j.kernel.Insns.returning;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.LinkType;
import io.bpf4j.ProgramType;
import io.bpf4j.kernel.sys.Bpf;
import io.bpf4j.kernel.sys.BpfCmd;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Layouts.RawTracepoint;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.kernel.testing.OpenFds;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

@KernelTest
class KernelBtfAndLinkTest {

    @Test
    void loadsBtfAndReadsItBack() {
        byte[] blob = TestBtf.intAndStruct();
        try (KernelBtf btf = KernelBtf.load(blob)) {
            BtfInfo info = btf.info();
            assertEquals(btf.id(), info.id());
            assertEquals(blob.length, info.size());
            assertFalse(info.kernelBtf());
            assertEquals("", info.name());
            assertArrayEquals(blob, btf.rawData());
            assertTrue(Kernel.btfIds().contains(btf.id()));
        }
    }

    @Test
    void vmlinuxBtfIsKernelBtf() {
        try (KernelBtf vmlinux = KernelBtf.openById(1)) {
            BtfInfo info = vmlinux.info();
            assertEquals("vmlinux", info.name());
            assertTrue(info.kernelBtf());
        }
    }

    @Test
    void rejectedBtfCarriesTheKernelsLog() {
        byte[] blob = TestBtf.intAndStruct();
        blob[24 + 12 + 3] = 0x7f; // the int's bit count becomes huge
        var e = assertThrows(BpfSyscallException.class, () -> KernelBtf.load(blob));
        assertEquals("EINVAL", e.errnoName());
        assertTrue(e.getMessage().startsWith("load BTF (" + blob.length + " bytes) (kernel log: "), e.getMessage());
    }

    @Test
    void linksByIdAndPin() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/sys/fs/bpf"), "bpf4j-link");
        Path pin = dir.resolve("link");
        try (KernelProgram p = KernelProgram.load(ProgramDefinition.of(ProgramType.RAW_TRACEPOINT, "raw_tp", returning(0), "GPL"));
                Fd linkFd = rawTracepointOpen(p, "sys_enter")) {
            int id = 0;
            for (int candidate : Kernel.linkIds()) {
                try (KernelLink l = KernelLink.openById(candidate)) {
                    if (l.info().progId() == p.id()) {
                        id = candidate;
                    }
                }
            }
            assertTrue(id > 0, "the raw tracepoint link is listed");
            try (KernelLink l = KernelLink.openById(id)) {
                LinkInfo info = l.info();
                assertEquals(LinkType.RAW_TRACEPOINT, info.type().orElseThrow());
                assertEquals(p.id(), info.progId());
                l.pin(pin);
            }
            try (KernelLink l = KernelLink.openPinned(pin)) {
                assertEquals(id, l.id());
            }
            int before = OpenFds.count();
            for (int i = 0; i < 5; i++) {
                try (KernelLink l = KernelLink.openPinned(pin)) {
                    l.info();
                }
            }
            assertEquals(before, OpenFds.count());
        } finally {
            Files.deleteIfExists(pin);
            Files.delete(dir);
        }
    }

    /** BPF_RAW_TRACEPOINT_OPEN: the simplest way to make a link (attaching is not this module's job yet). */
    private static Fd rawTracepointOpen(KernelProgram p, String tracepoint) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(RawTracepoint.SIZE, 8);
            RawTracepoint.NAME.set(attr, arena.allocateFrom(tracepoint));
            RawTracepoint.PROG_FD.set(attr, p.fd());
            long r = Bpf.call(BpfCmd.RAW_TRACEPOINT_OPEN, attr);
            if (r < 0) {
                throw new BpfSyscallException("open raw tracepoint " + tracepoint, BpfCmd.RAW_TRACEPOINT_OPEN, (int) -r);
            }
            return new Fd((int) r);
        }
    }
}
