package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.AttachType;
import io.bpf4j.LinkType;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.JumpOp;
import io.bpf4j.isa.Size;
import io.bpf4j.kernel.testing.Asm;
import io.bpf4j.kernel.testing.NoFdLeaks;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.kernel.testing.NetNamespace;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** sk_lookup, netfilter, socket filter and sockmap programs, in a fresh network namespace's loopback. */
@KernelTest
@NoFdLeaks
class NetnsHooksTest {
    private static final int DATAGRAMS = 19;

    private NetNamespace ns;

    @BeforeAll
    static void warmUp() throws IOException {
        DatagramChannel.open().close(); // the JDK's one-time socket pair for closing channels is no leak
        new Socket().close();
    }

    @BeforeEach
    void setUp() {
        ns = NetNamespace.create("hooks");
    }

    @AfterEach
    void tearDown() {
        ns.close();
    }

    private static long count(KernelMap counts, int key) {
        byte[] k = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(key).array();
        return ByteBuffer.wrap(counts.lookup(k).orElseThrow()).order(ByteOrder.nativeOrder()).getLong();
    }

    /** Sends {@link #DATAGRAMS} datagrams to each port on 127.0.0.1; returns how many each listener got. */
    private static int[] sendAndReceive(int... ports) throws IOException, InterruptedException {
        DatagramChannel[] listeners = new DatagramChannel[ports.length];
        try (DatagramChannel sender = DatagramChannel.open()) {
            for (int i = 0; i < ports.length; i++) {
                listeners[i] = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", ports[i]));
                listeners[i].configureBlocking(false);
            }
            for (int n = 0; n < DATAGRAMS; n++) {
                for (int port : ports) {
                    sender.send(ByteBuffer.wrap(new byte[] {(byte) n}), new InetSocketAddress("127.0.0.1", port));
                }
            }
            Thread.sleep(100);
            int[] got = new int[ports.length];
            for (int i = 0; i < ports.length; i++) {
                while (listeners[i].receive(ByteBuffer.allocate(16)) != null) {
                    got[i]++;
                }
            }
            return got;
        } finally {
            for (DatagramChannel l : listeners) {
                if (l != null) {
                    l.close();
                }
            }
        }
    }

    @Test
    void skLookupDropsOnePortAndCountsEveryLookup() {
        int dropped = 40001;
        int passed = 40002;
        try (KernelMap counts = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 8, 3))) {
            // key 0: lookups for the dropped port, key 1: for the other, key 2: for any other port
            byte[] code = new Asm()
                    .ldx(Size.W, 6, 1, 60) // local_port
                    .movImm(7, 0).jmpImm(JumpOp.JEQ, 6, dropped, "count")
                    .movImm(7, 1).jmpImm(JumpOp.JEQ, 6, passed, "count")
                    .movImm(7, 2)
                    .label("count").incrementArray(counts.fd(), 7, "counted")
                    .movImm(0, 1) // SK_PASS
                    .jmpImm(JumpOp.JNE, 6, dropped, "out").movImm(0, 0) // SK_DROP
                    .label("out").exit().bytes();
            try (KernelProgram p = KernelProgram.load(ProgramDefinition.of(ProgramType.SK_LOOKUP, "drop_port", code, "GPL")
                    .withExpectedAttachType(AttachType.SK_LOOKUP))) {
                int[] got = ns.run(() -> {
                    try (SkLookupLink link = SkLookupLink.attach(p)) {
                        assertEquals(LinkType.NETNS, link.kernelLink().orElseThrow().type());
                        assertEquals(AttachType.SK_LOOKUP.id(), ((LinkInfo.Netns) link.info().target()).attachType());
                        return sendAndReceive(dropped, passed);
                    }
                });
                assertEquals(0, got[0], "datagrams to the dropped port");
                assertEquals(DATAGRAMS, got[1], "datagrams to the other port");
                assertEquals(DATAGRAMS, count(counts, 0));
                assertEquals(DATAGRAMS, count(counts, 1));
                // Each dropped datagram gets a port-unreachable answer, looked up for the sender's port.
                assertEquals(DATAGRAMS, count(counts, 2));
            }
        }
    }

    @Test
    void netfilterLocalInSeesEveryDatagram() {
        try (KernelMap counts = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 8, 1))) {
            byte[] code = new Asm().movImm(6, 0).incrementArray(counts.fd(), 6, "counted")
                    .movImm(0, NetfilterLink.NF_ACCEPT).exit().bytes();
            try (KernelProgram p = KernelProgram.load(ProgramDefinition.of(ProgramType.NETFILTER, "nf_count", code, "GPL")
                    .withExpectedAttachType(AttachType.NETFILTER))) {
                int[] got = ns.run(() -> {
                    try (NetfilterLink link = NetfilterLink.attach(p, NetfilterLink.NFPROTO_IPV4, NetfilterLink.LOCAL_IN,
                            -128, 0)) {
                        assertEquals(new LinkInfo.Netfilter(NetfilterLink.NFPROTO_IPV4, NetfilterLink.LOCAL_IN, -128, 0),
                                link.info().target());
                        return sendAndReceive(40003);
                    }
                });
                assertEquals(DATAGRAMS, got[0]);
                assertEquals(DATAGRAMS, count(counts, 0));
            }
        }
    }

    @Test
    void socketFilterKeepsOnlyUdpOnAPacketSocket() {
        // LD_ABS needs the context in r6; loopback frames carry a 14-byte Ethernet header: protocol at 23.
        byte[] code = new Asm()
                .mov(6, 1)
                .add(new Instruction.LoadPacket(Size.B, false, 0, 23))
                .jmpImm(JumpOp.JNE, 0, 17, "drop")
                .ldx(Size.W, 0, 6, 0) // keep the whole packet: skb->len
                .exit()
                .label("drop").movImm(0, 0).exit().bytes();
        try (KernelProgram p = KernelProgram.load(ProgramDefinition.of(ProgramType.SOCKET_FILTER, "udp_only", code, "GPL"))) {
            ns.run(() -> {
                try (PacketSocket s = PacketSocket.open(NetDevice.of("lo"))) {
                    try (SocketFilter f = SocketFilter.attach(p, s.fd())) {
                        tcpExchange();
                        sendAndReceive(40004);
                        // Each datagram crosses lo twice (sent, then received): two copies, and nothing of TCP.
                        byte[] frame = new byte[2048];
                        int udp = 0;
                        int n;
                        while ((n = s.receive(frame, Duration.ofMillis(200))) > 0) {
                            assertTrue(n > 23 && frame[23] == 17, "a frame of protocol " + frame[23] + " passed");
                            udp++;
                        }
                        assertEquals(2 * DATAGRAMS, udp);
                    }
                    // Detached: TCP reaches the socket again.
                    tcpExchange();
                    byte[] frame = new byte[2048];
                    int n = s.receive(frame, Duration.ofMillis(500));
                    assertTrue(n > 23 && frame[23] == 6, "TCP after the filter was detached");
                }
            });
        }
    }

    private static void tcpExchange() throws IOException {
        try (ServerSocket server = new ServerSocket(40005, 1, InetAddress.getByName("127.0.0.1"));
                Socket client = new Socket("127.0.0.1", 40005);
                Socket accepted = server.accept()) {
            client.getOutputStream().write(42);
            assertEquals(42, accepted.getInputStream().read());
        }
    }

    @Test
    void sockmapVerdictAsLinkAndAsLegacyAttachment() {
        byte[] pass = new Asm().movImm(0, 1).exit().bytes();
        try (KernelMap sockmap = KernelMap.create(MapDefinition.of(MapType.SOCKMAP, 4, 4, 4));
                KernelProgram p = KernelProgram.load(ProgramDefinition.of(ProgramType.SK_SKB, "verdict", pass, "GPL")
                        .withExpectedAttachType(AttachType.SK_SKB_VERDICT))) {
            try (SockMapLink link = SockMapLink.attach(p, sockmap, AttachType.SK_SKB_VERDICT)) {
                assertEquals(LinkType.SOCKMAP, link.kernelLink().orElseThrow().type());
                assertEquals(new LinkInfo.Sockmap(sockmap.id(), AttachType.SK_SKB_VERDICT.id()), link.info().target());
            }
            SockMapLink.attachProgram(p, sockmap, AttachType.SK_SKB_VERDICT);
            Attachments a = Attachments.query(sockmap.fd(), AttachType.SK_SKB_VERDICT);
            assertEquals(1, a.entries().size());
            assertEquals(p.id(), a.entries().getFirst().progId());
            SockMapLink.detachProgram(p, sockmap, AttachType.SK_SKB_VERDICT);
            assertTrue(Attachments.query(sockmap.fd(), AttachType.SK_SKB_VERDICT).entries().isEmpty());
        }
    }

    @Test
    void netnsPathOfAnotherNamespace() {
        byte[] pass = new Asm().movImm(0, 1).exit().bytes();
        try (KernelProgram p = KernelProgram.load(ProgramDefinition.of(ProgramType.SK_LOOKUP, "pass", pass, "GPL")
                .withExpectedAttachType(AttachType.SK_LOOKUP));
                SkLookupLink link = SkLookupLink.attach(p, Path.of(ns.path()))) {
            long ino = ns.run(() -> (long) Files.getAttribute(Path.of("/proc/thread-self/ns/net"), "unix:ino"));
            assertEquals(ino, Integer.toUnsignedLong(((LinkInfo.Netns) link.info().target()).netnsIno()));
        }
    }
}
