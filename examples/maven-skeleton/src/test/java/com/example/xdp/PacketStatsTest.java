package com.example.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.example.xdp.bpf.PacketStats;
import com.example.xdp.bpf.PacketStats.DropEvent;
import com.example.xdp.bpf.PacketStats.ProtoKey;
import com.example.xdp.bpf.PacketStats.Stats;
import io.bpf4j.BpfBackend;
import io.bpf4j.junit.Backend;
import io.bpf4j.junit.BpfTest;
import io.bpf4j.junit.NotLoaded;
import io.bpf4j.junit.PacketBuilder;
import io.bpf4j.junit.TestRuns;
import io.bpf4j.junit.XdpAction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The XDP program through its generated skeleton, packets made with bpf4j-junit's builder. */
class PacketStatsTest {
    private static final short IPV4 = 0x0800;
    private static final short IPV6 = (short) 0x86dd;

    @BpfTest({Backend.VM, Backend.KERNEL})
    void countsPacketsAndBytesPerProtocol(PacketStats skel) {
        byte[] udp4 = PacketBuilder.udp().payload("hello").build();
        byte[] tcp6 = PacketBuilder.tcp().srcIp("fd00::1").dstIp("fd00::2").build();
        for (byte[] frame : List.of(udp4, udp4, tcp6)) {
            assertEquals(XdpAction.PASS, TestRuns.xdp(skel.progs().packetStats(), frame).action());
        }
        var stats = skel.maps().statsByProto();
        assertEquals(new Stats(2, 2L * udp4.length), stats.get(new ProtoKey(IPV4, (byte) PacketBuilder.IPPROTO_UDP)).orElseThrow());
        assertEquals(new Stats(1, tcp6.length), stats.get(new ProtoKey(IPV6, (byte) PacketBuilder.IPPROTO_TCP)).orElseThrow());
        assertEquals(2, stats.keys().size());
        assertEquals(3, skel.bss().totalPackets());
        assertEquals(List.of("IPv4 UDP: 2 packets, " + 2 * udp4.length + " bytes", "IPv6 TCP: 1 packets, " + tcp6.length + " bytes"),
                PacketStatsApp.report(skel));
    }

    @BpfTest({Backend.VM, Backend.KERNEL})
    void dropsTheBlockedPortAndReportsIt(@NotLoaded PacketStats skel, BpfBackend backend) {
        skel.rodata().blockedPort((short) 53);
        skel.load(backend);
        byte[] dns = PacketBuilder.udp().ports(40000, 53).build();
        byte[] other = PacketBuilder.udp().ports(40000, 54).build();
        assertEquals(XdpAction.DROP, TestRuns.xdp(skel.progs().packetStats(), dns).action());
        assertEquals(XdpAction.PASS, TestRuns.xdp(skel.progs().packetStats(), other).action());
        List<DropEvent> drops = new ArrayList<>();
        skel.maps().drops().poll(Duration.ofSeconds(1), DropEvent.CODEC, drops::add);
        DropEvent expected = new DropEvent((byte) PacketBuilder.IPPROTO_UDP, (short) 53, dns.length);
        assertEquals(List.of(expected), drops);
        assertEquals(expected, skel.bss().lastDrop());
        assertTrue(skel.rodata().blockedPort() == 53);
    }
}
