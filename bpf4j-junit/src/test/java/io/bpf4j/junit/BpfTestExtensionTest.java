package io.bpf4j.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfBackend;
import io.bpf4j.BpfCollection;
import io.bpf4j.BpfMap;
import io.bpf4j.kernel.KernelBackend;
import io.bpf4j.kernel.testing.OpenFds;
import io.bpf4j.skeleton.Skeleton;
import io.bpf4j.vm.VmBackend;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** {@link BpfTest} on the VM: parameters made per run, closed after it; skeleton classes opened and loaded. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BpfTestExtensionTest {
    static final String COUNTER = "../testdata/xdp_counter.bpf.o";
    private static BpfMap previousRunsMap;
    private static int bpfFdsBefore;

    /** A hand-written class of a generated skeleton's shape, over testdata/xdp_counter.bpf.o. */
    public static final class Counter implements AutoCloseable {
        private final Skeleton skeleton;

        private Counter(Skeleton skeleton) {
            this.skeleton = skeleton;
        }

        public static Counter open() throws java.io.IOException {
            return new Counter(Skeleton.open("xdp_counter.bpf.o", Files.readAllBytes(Path.of(COUNTER))));
        }

        public Counter load(BpfBackend backend) {
            skeleton.load(backend);
            return this;
        }

        Skeleton skeleton() {
            return skeleton;
        }

        @Override
        public void close() {
            skeleton.close();
        }
    }

    @Order(1)
    @BpfTest
    void collectionOfAnObjectFile(@BpfObject(COUNTER) BpfCollection counter, VmBackend vm) {
        byte[] ipv6 = PacketBuilder.udp().srcIp("fd00::1").dstIp("fd00::2").build();
        byte[] ipv4 = PacketBuilder.udp().build();
        assertEquals(XdpAction.PASS, TestRuns.xdp(counter.program("count_packets").orElseThrow(), ipv6).action());
        assertEquals(XdpAction.DROP, TestRuns.xdp(counter.program("count_packets").orElseThrow(), ipv4).action(),
                "drop_proto 0 is the low byte of ETH_P_IP");
        assertEquals(2, counter.globalData("xdp_coun.bss").get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        assertTrue(vm.vm().mapByFd(((io.bpf4j.vm.VmMap) counter.map("proto_count").orElseThrow()).fd()).isPresent());
        previousRunsMap = counter.map("proto_count").orElseThrow();
    }

    @Order(2)
    @Test
    void everythingOfTheRunWasClosed() {
        assertThrows(RuntimeException.class, () -> previousRunsMap.lookup(new byte[4]), "the map of the last run is closed");
    }

    @Order(3)
    @BpfTest({Backend.VM, Backend.KERNEL})
    void skeletonsAreOpenedAndLoaded(Counter counter, @NotLoaded Counter notLoaded, BpfBackend backend) {
        assertEquals(Skeleton.State.LOADED, counter.skeleton().state());
        assertEquals(Skeleton.State.OPEN, notLoaded.skeleton().state());
        notLoaded.skeleton().writableGlobals("xdp_coun.rodata").set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0xdd);
        notLoaded.load(backend);
        byte[] ipv6 = PacketBuilder.tcp().srcIp("fd00::1").dstIp("fd00::2").build();
        assertEquals(XdpAction.DROP, TestRuns.xdp(notLoaded.skeleton().program("count_packets"), ipv6).action(),
                "drop_proto set before load to the low byte of ETH_P_IPV6");
        assertEquals(XdpAction.PASS, TestRuns.xdp(counter.skeleton().program("count_packets"), ipv6).action());
    }

    @Order(4)
    @BpfTest(Backend.KERNEL)
    void kernelRunsGetTheKernelBackend(KernelBackend kernel, @BpfObject(COUNTER) BpfCollection counter) {
        assertEquals(KernelBackend.DEFAULT_PIN_ROOT, kernel.pinRoot());
        assertTrue(counter.map("proto_count").orElseThrow() instanceof io.bpf4j.kernel.KernelMap);
        byte[] ipv4 = PacketBuilder.icmpEcho().build();
        assertEquals(XdpAction.DROP, TestRuns.xdp(counter.program("count_packets").orElseThrow(), ipv4).action());
        assertEquals(1, counter.globalData("xdp_coun.bss").get(ValueLayout.JAVA_LONG_UNALIGNED, 0), "mmapped .bss");
    }

    @Order(5)
    @Test
    void theKernelRunsLeftNoBpfObjectOpen() {
        assertEquals(bpfFdsBefore, OpenFds.countBpf());
    }

    @BeforeAll
    static void countBpfFds() {
        bpfFdsBefore = OpenFds.countBpf();
    }

    @Test
    void verdictsOfReturnValues() {
        assertEquals(XdpAction.REDIRECT, XdpAction.of(4));
        assertEquals("XDP program returned 5, which is no XDP action (0 to 4)",
                assertThrows(IllegalArgumentException.class, () -> XdpAction.of(5)).getMessage());
        assertEquals(TcAction.UNSPEC, TcAction.of(0xffff_ffffL), "test_run reports -1 as an unsigned 32-bit value");
        assertEquals(TcAction.SHOT, TcAction.of(2));
        assertThrows(IllegalArgumentException.class, () -> TcAction.of(99));
    }
}
