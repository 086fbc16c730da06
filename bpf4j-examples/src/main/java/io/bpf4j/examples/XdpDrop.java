package io.bpf4j.examples;

import io.bpf4j.bcc.Bpf;
import io.bpf4j.bcc.PerCpuTable;
import io.bpf4j.bcc.StopSignal;
import io.bpf4j.kernel.XdpLink;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Drops ICMP (or another IP protocol) arriving on a device with XDP, and counts the packets
 * of every IP protocol in a per-CPU array, as BCC's {@code xdp_drop_count.py}: the rates are
 * printed each interval, the totals on Ctrl-C. Without {@code -d} it makes a demo network and
 * sends a ping and a datagram across it each interval.
 */
@Command(name = "xdp-drop", mixinStandardHelpOptions = true,
        description = "Drop ICMP on a device with XDP and count packets per IP protocol; by default on a demo veth pair.")
final class XdpDrop extends Tool {
    private static final String SOURCE = """
            #include <bpf/bpf_endian.h>

            #define ETH_P_IP 0x0800
            #define ETH_P_IPV6 0x86DD

            const volatile u8 drop_protocol = IPPROTO_ICMP;

            struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 256); __type(key, u32); __type(value, u64); } packets SEC(".maps");

            SEC("xdp")
            int xdp_drop(struct xdp_md *ctx)
            {
                void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
                struct ethhdr *eth = data;
                u32 protocol;
                u64 *n;

                if ((void *)(eth + 1) > end)
                    return XDP_PASS;
                if (eth->h_proto == bpf_htons(ETH_P_IP)) {
                    struct iphdr *ip = (void *)(eth + 1);
                    if ((void *)(ip + 1) > end)
                        return XDP_PASS;
                    protocol = ip->protocol;
                } else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
                    struct ipv6hdr *ip6 = (void *)(eth + 1);
                    if ((void *)(ip6 + 1) > end)
                        return XDP_PASS;
                    protocol = ip6->nexthdr;
                } else {
                    return XDP_PASS;
                }
                n = bpf_map_lookup_elem(&packets, &protocol);
                if (n)
                    *n += 1;
                return protocol == drop_protocol ? XDP_DROP : XDP_PASS;
            }

            char LICENSE[] SEC("license") = "GPL";
            """;

    private static final Map<Integer, String> PROTOCOLS = Map.of(1, "icmp", 2, "igmp", 6, "tcp", 17, "udp", 41, "ipv6",
            47, "gre", 50, "esp", 51, "ah", 58, "ipv6-icmp", 132, "sctp");

    @Option(names = {"-d", "--device"}, paramLabel = "DEV", description = "Network device (default: a demo veth pair).")
    String device;

    @Option(names = {"-m", "--mode"}, paramLabel = "MODE", defaultValue = "GENERIC",
            description = "XDP mode: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
    XdpLink.Mode mode;

    @Option(names = {"-p", "--protocol"}, paramLabel = "N", defaultValue = "1",
            description = "IP protocol number to drop (default ${DEFAULT-VALUE}, ICMP).")
    int protocol;

    @Option(names = {"-i", "--interval"}, paramLabel = "SECONDS", defaultValue = "1", description = "Output interval.")
    int interval;

    @Override
    int run(PrintWriter out, StopSignal stop) {
        if (protocol < 0 || protocol > 255) {
            throw new IllegalArgumentException("IP protocol " + protocol + " is not 0 to 255");
        }
        try (DemoNetwork demo = device == null ? DemoNetwork.create("xd") : null;
                Bpf bpf = Bpf.builder().source("xdp_drop.bpf.c", SOURCE).variable("drop_protocol", protocol).load()) {
            String dev = demo != null ? demo.device() : device;
            bpf.attachXdp(dev, "xdp_drop", mode);
            PerCpuTable<Integer, Long> packets = bpf.perCpuTable("packets", Integer.class, Long.class);
            out.println("Dropping " + name(protocol) + " on " + dev + " (" + mode.bpftoolName() + "), counting packets per IP "
                    + "protocol" + (demo != null ? "; a ping and a datagram from " + DemoNetwork.PEER_IP + " each interval" : "")
                    + ". Ctrl-C to end.");
            out.flush();
            Map<Integer, Long> last = new TreeMap<>();
            boolean stopped = false;
            while (!stopped) {
                if (demo != null) {
                    demo.sendPing(1);
                    demo.sendUdp(1, 32);
                }
                stopped = stop.sleep(Duration.ofSeconds(interval));
                String now = LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss"));
                for (Map.Entry<Integer, Long> e : totals(packets).entrySet()) {
                    long delta = e.getValue() - last.getOrDefault(e.getKey(), 0L);
                    if (delta > 0) {
                        out.println(now + " " + name(e.getKey()) + ": " + delta / interval + " pkt/s"
                                + (e.getKey() == protocol ? " (dropped)" : ""));
                    }
                    last.put(e.getKey(), e.getValue());
                }
                out.flush();
            }
            out.println();
            out.println(String.format("%-16s %-10s %s", "PROTOCOL", "PACKETS", "ACTION"));
            totals(packets).forEach((p, n) -> out.println(String.format("%-16s %-10d %s", name(p), n,
                    p == protocol ? "dropped" : "passed")));
        }
        return 0;
    }

    /** Protocols with packets, by number. */
    private static Map<Integer, Long> totals(PerCpuTable<Integer, Long> packets) {
        Map<Integer, Long> out = new TreeMap<>();
        packets.sums().forEach((p, n) -> {
            if (n > 0) {
                out.put(p, n);
            }
        });
        return out;
    }

    private static String name(int protocol) {
        return PROTOCOLS.getOrDefault(protocol, "proto") + " (" + protocol + ")";
    }
}
