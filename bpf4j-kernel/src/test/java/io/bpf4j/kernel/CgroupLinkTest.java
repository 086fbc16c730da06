package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.AttachType;
import io.bpf4j.LinkType;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.isa.JumpOp;
import io.bpf4j.isa.Size;
import io.bpf4j.kernel.testing.Asm;
import io.bpf4j.kernel.testing.NoFdLeaks;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.kernel.testing.NetNamespace;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A cgroup device program on a fresh cgroup v2 directory: every open of /dev/null by a process in it is seen. */
@KernelTest
@NoFdLeaks
class CgroupLinkTest {
    private static final int OPENS = 37;

    private Path cgroup;

    /** Where cgroup v2 is mounted, if it is. */
    static Optional<Path> cgroup2() throws IOException {
        return Files.readAllLines(Path.of("/proc/mounts")).stream().map(l -> l.split(" "))
                .filter(f -> f.length > 2 && f[2].equals("cgroup2")).map(f -> Path.of(f[1])).findFirst();
    }

    @BeforeEach
    void setUp() throws IOException {
        Optional<Path> root = cgroup2();
        assumeTrue(root.isPresent(), "cgroup v2 is not mounted");
        cgroup = Files.createDirectory(root.get().resolve("bpf4j-test-" + ProcessHandle.current().pid() + "-"
                + System.nanoTime()));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (cgroup != null) {
            Files.delete(cgroup); // its processes have exited
        }
    }

    /** Counts opens of /dev/null (char device 1:3) in key 0 and allows every access. */
    private static KernelProgram devNullCounter(KernelMap counts) {
        byte[] code = new Asm()
                .mov(6, 1)
                .ldx(Size.W, 2, 6, 4).jmpImm(JumpOp.JNE, 2, 1, "allow")
                .ldx(Size.W, 2, 6, 8).jmpImm(JumpOp.JNE, 2, 3, "allow")
                .movImm(7, 0).incrementArray(counts.fd(), 7, "counted")
                .label("allow").movImm(0, 1).exit().bytes();
        return KernelProgram.load(ProgramDefinition.of(ProgramType.CGROUP_DEVICE, "dev_null", code, "GPL")
                .withExpectedAttachType(AttachType.CGROUP_DEVICE));
    }

    /** Runs a shell in the cgroup that opens /dev/null {@link #OPENS} times. */
    private void openDevNullInCgroup() {
        NetNamespace.command("sh", "-c", "echo $$ > " + cgroup.resolve("cgroup.procs") + "; i=0; while [ $i -lt " + OPENS
                + " ]; do : < /dev/null; i=$((i+1)); done");
    }

    private static long count(KernelMap counts) {
        return ByteBuffer.wrap(counts.lookup(new byte[4]).orElseThrow()).order(ByteOrder.nativeOrder()).getLong();
    }

    private void countOpens(Function<KernelProgram, CgroupLink> attach, boolean viaLink) {
        try (KernelMap counts = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 8, 1));
                KernelProgram p = devNullCounter(counts)) {
            try (CgroupLink link = attach.apply(p)) {
                assertEquals(viaLink, link.kernelLink().isPresent());
                Attachments a = CgroupLink.query(cgroup, AttachType.CGROUP_DEVICE);
                assertEquals(1, a.entries().size());
                assertEquals(p.id(), a.entries().getFirst().progId());
                if (viaLink) {
                    assertEquals(LinkType.CGROUP, link.kernelLink().orElseThrow().type());
                    LinkInfo.Cgroup c = (LinkInfo.Cgroup) link.info().target();
                    assertEquals(AttachType.CGROUP_DEVICE.id(), c.attachType());
                } else {
                    assertEquals(Attachments.F_ALLOW_MULTI, a.attachFlags());
                }
                openDevNullInCgroup();
                assertEquals(OPENS, count(counts));
            }
            assertTrue(CgroupLink.query(cgroup, AttachType.CGROUP_DEVICE).entries().isEmpty(), "detached on close");
            openDevNullInCgroup();
            assertEquals(OPENS, count(counts), "no more counting once detached");
        }
    }

    @Test
    void linkSeesEveryOpenInTheCgroup() {
        countOpens(p -> CgroupLink.attach(p, cgroup, AttachType.CGROUP_DEVICE), true);
    }

    @Test
    void legacyAttachWithFlagsSeesEveryOpenAndDetachesOnClose() {
        countOpens(p -> CgroupLink.attachLegacy(p, cgroup, AttachType.CGROUP_DEVICE, Attachments.F_ALLOW_MULTI), false);
    }
}
