package com.example.xdp;

import com.example.xdp.bpf.PacketStats;
import com.example.xdp.bpf.PacketStats.DropEvent;
import com.example.xdp.bpf.PacketStats.ProtoKey;
import com.example.xdp.bpf.PacketStats.Stats;
import io.bpf4j.kernel.KernelBackend;
import io.bpf4j.skeleton.MapView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Counts the packets arriving on a network device per protocol, and drops those to one
 * destination port if asked:
 * {@code java -cp ... com.example.xdp.PacketStatsApp eth0 10 53} (as root).
 */
public final class PacketStatsApp {
    private PacketStatsApp() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length < 1 || args.length > 3) {
            System.err.println("usage: PacketStatsApp DEVICE [SECONDS [BLOCKED_PORT]]");
            System.exit(2);
        }
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int port = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        try (PacketStats skel = PacketStats.open()) {
            skel.rodata().blockedPort((short) port);
            skel.load(KernelBackend.create());
            skel.progs().packetStats().attach(args[0]);
            for (int s = 0; s < seconds; s++) {
                Thread.sleep(1000);
                skel.maps().drops().poll(Duration.ZERO, DropEvent.CODEC,
                        e -> System.out.println("dropped " + e.len() + " bytes to port " + Short.toUnsignedInt(e.port())));
                report(skel).forEach(System.out::println);
            }
        }
    }

    /** One line per protocol seen so far, most packets first: {@code IPv4 UDP: 3 packets, 180 bytes}. */
    static List<String> report(PacketStats skel) {
        List<MapView.Entry<ProtoKey, Stats>> entries = new ArrayList<>(skel.maps().statsByProto().entries());
        entries.sort(Comparator.comparingLong((MapView.Entry<ProtoKey, Stats> e) -> e.value().packets()).reversed());
        List<String> lines = new ArrayList<>();
        for (MapView.Entry<ProtoKey, Stats> e : entries) {
            lines.add(family(e.key().family()) + " " + protocol(e.key().protocol()) + ": " + e.value().packets() + " packets, "
                    + e.value().bytes() + " bytes");
        }
        return lines;
    }

    private static String family(short family) {
        return switch (Short.toUnsignedInt(family)) {
            case 0x0800 -> "IPv4";
            case 0x86dd -> "IPv6";
            default -> String.format("ethertype 0x%04x", Short.toUnsignedInt(family));
        };
    }

    private static String protocol(byte protocol) {
        return switch (Byte.toUnsignedInt(protocol)) {
            case 1 -> "ICMP";
            case 6 -> "TCP";
            case 17 -> "UDP";
            case 58 -> "ICMPv6";
            default -> "protocol " + Byte.toUnsignedInt(protocol);
        };
    }
}
