package io.bpf4j.examples;

import io.bpf4j.BpfException;
import io.bpf4j.kernel.NetNamespaces;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The network of the XDP demos: a veth pair whose {@link #device()} stays in this network
 * namespace (where the demo attaches) and whose peer lives in a namespace made for the demo,
 * with fixed addresses, permanent neighbour entries and IPv6 off, so that the only packets
 * arriving on the device are the ones {@link #sendUdp} and {@link #sendPing} send. Closing
 * deletes the namespace, which deletes the pair. Needs iproute2's {@code ip}.
 */
final class DemoNetwork implements AutoCloseable {
    static final String DEVICE_IP = "10.203.0.1";
    static final String PEER_IP = "10.203.0.2";
    private static final String DEVICE_MAC = "02:00:00:00:cb:01";
    private static final String PEER_MAC = "02:00:00:00:cb:02";

    private final String namespace;
    private final String device;
    private final String peer;

    private DemoNetwork(String namespace, String device, String peer) {
        this.namespace = namespace;
        this.device = device;
        this.peer = peer;
    }

    /** Makes the namespace and the pair; {@code tag} (a few letters) tells demos apart in device names. */
    static DemoNetwork create(String tag) {
        long pid = ProcessHandle.current().pid();
        String dev = "b4j" + tag + pid % 100_000;   // device names have at most 15 characters
        if (dev.length() > 14) {
            throw new IllegalArgumentException("demo tag '" + tag + "' is too long");
        }
        DemoNetwork n = new DemoNetwork("bpf4j-" + tag + "-" + pid, dev + "a", dev + "b");
        String ns = n.namespace;
        command("ip", "netns", "add", ns);
        try {
            n.inNamespace("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
            n.inNamespace("sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1");
            command("ip", "link", "add", n.device, "address", DEVICE_MAC, "type", "veth", "peer", "name", n.peer, "address",
                    PEER_MAC, "netns", ns);
            command("sysctl", "-q", "-w", "net.ipv6.conf." + n.device + ".disable_ipv6=1");
            command("ip", "addr", "add", DEVICE_IP + "/24", "dev", n.device);
            command("ip", "neigh", "add", PEER_IP, "lladdr", PEER_MAC, "dev", n.device, "nud", "permanent");
            command("ip", "link", "set", n.device, "up");
            command("ip", "-n", ns, "addr", "add", PEER_IP + "/24", "dev", n.peer);
            command("ip", "-n", ns, "neigh", "add", DEVICE_IP, "lladdr", DEVICE_MAC, "dev", n.peer, "nud", "permanent");
            command("ip", "-n", ns, "link", "set", n.peer, "up");
            command("ip", "-n", ns, "link", "set", "lo", "up");
            return n;
        } catch (RuntimeException e) {
            n.close();
            throw e;
        }
    }

    /** The device in this namespace, where XDP programs go. */
    String device() {
        return device;
    }

    /** Sends {@code count} UDP datagrams of {@code size} bytes from the peer to the device's address (port 9, discard). */
    void sendUdp(int count, int size) {
        NetNamespaces.call(Path.of("/run/netns", namespace), () -> {
            try (DatagramChannel ch = DatagramChannel.open()) {
                for (int i = 0; i < count; i++) {
                    ch.send(ByteBuffer.allocate(size), new InetSocketAddress(DEVICE_IP, 9));
                }
            }
            return null;
        });
    }

    /** Sends {@code count} ICMP echo requests from the peer to the device's address; returns how many were answered. */
    int sendPing(int count) {
        return NetNamespaces.call(Path.of("/run/netns", namespace), () -> {
            int answered = 0;
            InetAddress target = InetAddress.getByName(DEVICE_IP);
            for (int i = 0; i < count; i++) {
                // as root the JDK pings with a raw ICMP socket, made in this thread's namespace
                if (target.isReachable(200)) {
                    answered++;
                }
            }
            return answered;
        });
    }

    private void inNamespace(String... cmd) {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        all.addAll(List.of(cmd));
        command(all.toArray(String[]::new));
    }

    /** Runs a command; a failure throws with its output. */
    static void command(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.DISCARD.file())
                    .start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (p.waitFor() != 0) {
                throw new BpfException(String.join(" ", cmd) + " failed: " + out.strip());
            }
        } catch (IOException e) {
            throw new BpfException("cannot run " + cmd[0] + " (the XDP demos need iproute2): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BpfException("interrupted while running " + cmd[0], e);
        }
    }

    @Override
    public void close() {
        command("ip", "netns", "del", namespace);
    }
}
