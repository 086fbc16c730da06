package io.bpf4j.kernel.testing;

/**
 * Two network namespaces joined by a veth pair, with fixed addresses, IPv6 off and permanent
 * neighbour entries, so that the only packets crossing the pair are the ones a test sends.
 * {@link #receiver()} holds {@link #RECEIVER_DEV}, where tests attach programs; {@link #sender()}
 * holds {@link #SENDER_DEV}.
 *
 * <pre>{@code
 * try (VethPair pair = VethPair.create("xdp")) {
 *     pair.sender().run(() -> { try (PacketSocket s = PacketSocket.open(NetDevice.of(VethPair.SENDER_DEV))) { ... } });
 * }
 * }</pre>
 */
public final class VethPair implements AutoCloseable {
    public static final String RECEIVER_DEV = "bpf4j-rx";
    public static final String SENDER_DEV = "bpf4j-tx";
    public static final String RECEIVER_IP = "10.201.0.1";
    public static final String SENDER_IP = "10.201.0.2";
    public static final String RECEIVER_MAC = "02:00:00:00:01:01";
    public static final String SENDER_MAC = "02:00:00:00:01:02";

    private final NetNamespace receiver;
    private final NetNamespace sender;

    private VethPair(NetNamespace receiver, NetNamespace sender) {
        this.receiver = receiver;
        this.sender = sender;
    }

    public static VethPair create(String purpose) {
        NetNamespace rx = NetNamespace.create(purpose + "-rx");
        NetNamespace tx = null;
        try {
            tx = NetNamespace.create(purpose + "-tx");
            rx.ip("link", "add", RECEIVER_DEV, "address", RECEIVER_MAC, "type", "veth", "peer", "name", SENDER_DEV,
                    "address", SENDER_MAC, "netns", tx.name());
            rx.ip("addr", "add", RECEIVER_IP + "/24", "dev", RECEIVER_DEV);
            tx.ip("addr", "add", SENDER_IP + "/24", "dev", SENDER_DEV);
            rx.ip("neigh", "add", SENDER_IP, "lladdr", SENDER_MAC, "dev", RECEIVER_DEV, "nud", "permanent");
            tx.ip("neigh", "add", RECEIVER_IP, "lladdr", RECEIVER_MAC, "dev", SENDER_DEV, "nud", "permanent");
            rx.ip("link", "set", RECEIVER_DEV, "up");
            tx.ip("link", "set", SENDER_DEV, "up");
            return new VethPair(rx, tx);
        } catch (RuntimeException e) {
            if (tx != null) {
                tx.close();
            }
            rx.close();
            throw e;
        }
    }

    public NetNamespace receiver() {
        return receiver;
    }

    public NetNamespace sender() {
        return sender;
    }

    @Override
    public void close() {
        try {
            sender.close();
        } finally {
            receiver.close();
        }
    }
}
