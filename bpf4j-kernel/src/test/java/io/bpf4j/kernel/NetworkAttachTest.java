package io.bpf4j.kernel;

import static io.bpf4j.kernel.PacketCounter.ALL;
import static io.bpf4j.kernel.PacketCounter.NOT_IPV4;
import static io.bpf4j.kernel.testing.Frames.IPPROTO_ICMP;
import static io.bpf4j.kernel.testing.Frames.IPPROTO_UDP;
import static io.bpf4j.kernel.testing.VethPair.RECEIVER_DEV;
import static io.bpf4j.kernel.testing.VethPair.RECEIVER_IP;
import static io.bpf4j.kernel.testing.VethPair.RECEIVER_MAC;
import static io.bpf4j.kernel.testing.VethPair.SENDER_DEV;
import static io.bpf4j.kernel.testing.VethPair.SENDER_IP;
import static io.bpf4j.kernel.testing.VethPair.SENDER_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.LinkType;
import io.bpf4j.kernel.testing.Frames;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.kernel.testing.NoFdLeaks;
import io.bpf4j.kernel.testing.VethPair;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * XDP and tc programs on one end of a veth pair between two fresh network namespaces:
 * frames injected at the other end are counted exactly, ICMP is dropped when asked, and
 * the receiving stack confirms what passed.
 */
@KernelTest
@NoFdLeaks
class NetworkAttachTest {
    private static final int UDP_PORT = 7777;
    private static final int UDP_FRAMES = 23;
    private static final int ICMP_FRAMES = 17;
    private static final int ARP_FRAMES = 5;

    private VethPair pair;

    @BeforeAll
    static void warmUp() throws IOException {
        // The JDK opens a socket pair for closing channels the first time one is used; not a leak.
        DatagramChannel.open().close();
    }

    @BeforeEach
    void setUp() {
        pair = VethPair.create("net");
    }

    @AfterEach
    void tearDown() {
        pair.close();
    }

    /** Sends the test's frames from the sender's end: UDP, ICMP echo requests, ARP requests, interleaved. */
    private void sendFrames() {
        pair.sender().run(() -> {
            try (PacketSocket s = PacketSocket.open(NetDevice.of(SENDER_DEV))) {
                for (int i = 0; i < Math.max(UDP_FRAMES, ICMP_FRAMES); i++) {
                    if (i < UDP_FRAMES) {
                        s.send(Frames.udp(SENDER_MAC, RECEIVER_MAC, SENDER_IP, RECEIVER_IP, 40000 + i, UDP_PORT,
                                ("datagram " + i).getBytes()));
                    }
                    if (i < ICMP_FRAMES) {
                        s.send(Frames.icmpEcho(SENDER_MAC, RECEIVER_MAC, SENDER_IP, RECEIVER_IP, 99, i));
                    }
                    if (i < ARP_FRAMES) {
                        s.send(Frames.arpRequest(SENDER_MAC, SENDER_IP, "10.201.0.77"));
                    }
                }
            }
        });
    }

    /** ICMP echo requests the receiver's IP stack answered ({@code Icmp: InEchos} of its namespace). */
    private long echoesReceived() {
        return pair.receiver().run(() -> {
            String[] lines = Files.readAllLines(Path.of("/proc/thread-self/net/snmp")).stream()
                    .filter(l -> l.startsWith("Icmp:")).toArray(String[]::new);
            int column = List.of(lines[0].split(" ")).indexOf("InEchos");
            return Long.parseLong(lines[1].split(" ")[column]);
        });
    }

    /**
     * Attaches with {@code attach} in the receiver's namespace, sends the frames while a UDP
     * socket listens there, and checks the counters and what the stack received.
     */
    private void runTraffic(PacketCounter counter, boolean icmpDropped, Function<NetDevice, Link> attach) {
        long echoesBefore = echoesReceived();
        int[] datagrams = new int[1];
        pair.receiver().run(() -> {
            try (DatagramChannel udp = DatagramChannel.open();
                    Link link = attach.apply(NetDevice.of(RECEIVER_DEV))) {
                udp.bind(new InetSocketAddress(RECEIVER_IP, UDP_PORT));
                udp.configureBlocking(false);
                sendFrames();
                datagrams[0] = drain(udp);
            }
        });
        assertEquals(UDP_FRAMES + ICMP_FRAMES + ARP_FRAMES, counter.count(ALL));
        assertEquals(UDP_FRAMES, counter.count(IPPROTO_UDP));
        assertEquals(ICMP_FRAMES, counter.count(IPPROTO_ICMP));
        assertEquals(ARP_FRAMES, counter.count(NOT_IPV4));
        assertEquals(UDP_FRAMES, datagrams[0], "UDP datagrams that reached the socket");
        assertEquals(icmpDropped ? 0 : ICMP_FRAMES, echoesReceived() - echoesBefore, "echo requests the stack saw");
    }

    /** Reads datagrams until none has come for a while; returns how many came. */
    private static int drain(DatagramChannel udp) throws IOException, InterruptedException {
        ByteBuffer buf = ByteBuffer.allocate(2048);
        int n = 0;
        long quietSince = System.nanoTime();
        while (System.nanoTime() - quietSince < 300_000_000L) {
            buf.clear();
            if (udp.receive(buf) != null) {
                n++;
                quietSince = System.nanoTime();
            } else {
                Thread.sleep(5);
            }
        }
        return n;
    }

    @Test
    void xdpLinkCountsExactlyTheFramesSent() {
        try (PacketCounter counter = PacketCounter.xdp("xdp_count", false)) {
            runTraffic(counter, false, dev -> {
                XdpLink link = XdpLink.attach(counter.program, dev, XdpLink.Mode.DEFAULT);
                assertEquals(LinkType.XDP, link.kernelLink().orElseThrow().type());
                assertEquals(new LinkInfo.Xdp(dev.index()), link.info().target());
                assertEquals(counter.program.id(), link.info().progId());
                XdpLink.Status s = XdpLink.status(dev);
                assertEquals(XdpLink.Status.DRIVER, s.attached());
                assertEquals(counter.program.id(), s.progId());
                return link;
            });
            // Closing the link detached the program.
            assertEquals(XdpLink.Status.NONE, pair.receiver().run(() -> XdpLink.status(NetDevice.of(RECEIVER_DEV)).attached()));
        }
    }

    @Test
    void xdpDropsIcmpAndCountsPerProtocol() {
        try (PacketCounter counter = PacketCounter.xdp("xdp_drop_icmp", true)) {
            runTraffic(counter, true, dev -> XdpLink.attach(counter.program, dev, XdpLink.Mode.GENERIC));
        }
    }

    @Test
    void xdpThroughNetlinkStaysUntilDetachedAndCanBeReplaced() {
        try (PacketCounter counter = PacketCounter.xdp("xdp_netlink", true);
                PacketCounter other = PacketCounter.xdp("xdp_other", false)) {
            pair.receiver().run(() -> {
                NetDevice dev = NetDevice.of(RECEIVER_DEV);
                try (XdpLink link = XdpLink.attachNetlink(other.program, dev, XdpLink.Mode.GENERIC, false)) {
                    assertTrue(link.kernelLink().isEmpty());
                    XdpLink.Status s = XdpLink.status(dev);
                    assertEquals(XdpLink.Status.GENERIC, s.attached());
                    assertEquals(other.program.id(), s.progId());
                    // A second attach without replace fails while one is attached.
                    var e = assertThrows(SystemCallException.class,
                            () -> XdpLink.attachNetlink(counter.program, dev, XdpLink.Mode.GENERIC, false));
                    assertEquals("EBUSY", e.errnoName(), e.getMessage());
                    link.update(counter.program);
                    assertEquals(counter.program.id(), XdpLink.status(dev).progId());
                }
                assertEquals(XdpLink.Status.NONE, XdpLink.status(dev).attached());
            });
        }
    }

    @Test
    void linkUpdateReplacesTheProgramAndDetachKeepsTheLink() {
        try (PacketCounter a = PacketCounter.xdp("xdp_a", false); PacketCounter b = PacketCounter.xdp("xdp_b", false)) {
            pair.receiver().run(() -> {
                NetDevice dev = NetDevice.of(RECEIVER_DEV);
                try (XdpLink link = XdpLink.attach(a.program, dev, XdpLink.Mode.GENERIC)) {
                    link.update(b.program);
                    assertEquals(b.program.id(), link.info().progId());
                    assertEquals(b.program.id(), XdpLink.status(dev).progId());
                    // BPF_F_REPLACE: only if the program is still the expected one.
                    KernelLink k = link.kernelLink().orElseThrow();
                    var e = assertThrows(BpfSyscallException.class, () -> k.update(a.program, a.program));
                    assertEquals("EPERM", e.errnoName(), e.getMessage());
                    k.update(a.program, b.program);
                    assertEquals(a.program.id(), XdpLink.status(dev).progId());
                    k.detach();
                    assertEquals(XdpLink.Status.NONE, XdpLink.status(dev).attached());
                    assertEquals(new LinkInfo.Xdp(0), link.info().target(), "a detached XDP link has no device");
                }
            });
        }
    }

    @Test
    void tcxIngressCountsAndDrops() {
        try (PacketCounter counter = PacketCounter.tc("tcx_count", true)) {
            runTraffic(counter, true, dev -> {
                TcxLink link = TcxLink.attach(counter.program, dev, TcxLink.Direction.INGRESS);
                Attachments a = TcxLink.query(dev, TcxLink.Direction.INGRESS);
                assertEquals(1, a.entries().size());
                assertEquals(counter.program.id(), a.entries().get(0).progId());
                assertEquals(link.id(), a.entries().get(0).linkId());
                assertEquals(new LinkInfo.Tcx(dev.index(), io.bpf4j.AttachType.TCX_INGRESS.id()), link.info().target());
                return link;
            });
        }
    }

    @Test
    void classicTcFilterCountsDropsAndIsSeenByTc() {
        try (PacketCounter counter = PacketCounter.tc("tc_count", true)) {
            runTraffic(counter, true, dev -> {
                TcFilter f = TcFilter.attach(counter.program, dev, TcFilter.Hook.INGRESS);
                String shown = pair.receiver().tc("-d", "filter", "show", "dev", RECEIVER_DEV, "ingress");
                assertTrue(shown.contains("tc_count:[" + counter.program.id() + "]"), shown);
                assertTrue(shown.contains("direct-action"), shown);
                assertTrue(shown.contains("id " + counter.program.id()), shown);
                var listed = TcFilter.list(dev, TcFilter.Hook.INGRESS);
                assertEquals(1, listed.size());
                assertEquals(counter.program.id(), listed.get(0).progId());
                assertEquals(f.handle(), listed.get(0).handle());
                assertEquals(f.priority(), listed.get(0).priority());
                assertTrue(listed.get(0).directAction());
                return f;
            });
            pair.receiver().run(() -> assertFalse(pair.receiver().tc("filter", "show", "dev", RECEIVER_DEV, "ingress")
                    .contains("tc_count")));
        }
    }
}
