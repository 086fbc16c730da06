package io.bpf4j.kernel.testing;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/** Ethernet frames for tests: IPv4 UDP and ICMP echo requests with correct checksums, and ARP requests. */
public final class Frames {
    public static final int IPPROTO_ICMP = 1;
    public static final int IPPROTO_UDP = 17;

    private Frames() {}

    public static byte[] mac(String text) {
        return HexFormat.ofDelimiter(":").parseHex(text);
    }

    public static byte[] ip(String dotted) {
        String[] p = dotted.split("\\.");
        return new byte[] {(byte) Integer.parseInt(p[0]), (byte) Integer.parseInt(p[1]), (byte) Integer.parseInt(p[2]),
            (byte) Integer.parseInt(p[3])};
    }

    /** A UDP datagram from {@code srcPort} to {@code dstPort} carrying {@code payload}. */
    public static byte[] udp(String srcMac, String dstMac, String srcIp, String dstIp, int srcPort, int dstPort,
            byte[] payload) {
        ByteBuffer l4 = ByteBuffer.allocate(8 + payload.length);
        l4.putShort((short) srcPort).putShort((short) dstPort).putShort((short) (8 + payload.length)).putShort((short) 0)
                .put(payload);
        return ipv4(srcMac, dstMac, srcIp, dstIp, IPPROTO_UDP, l4.array());
    }

    /** An ICMP echo request. */
    public static byte[] icmpEcho(String srcMac, String dstMac, String srcIp, String dstIp, int id, int seq) {
        ByteBuffer l4 = ByteBuffer.allocate(16);
        l4.put((byte) 8).put((byte) 0).putShort((short) 0).putShort((short) id).putShort((short) seq).putLong(seq);
        l4.putShort(2, checksum(l4.array(), 0, 16));
        return ipv4(srcMac, dstMac, srcIp, dstIp, IPPROTO_ICMP, l4.array());
    }

    /** An ARP request for {@code targetIp}. */
    public static byte[] arpRequest(String srcMac, String srcIp, String targetIp) {
        ByteBuffer f = ByteBuffer.allocate(42);
        f.put(mac("ff:ff:ff:ff:ff:ff")).put(mac(srcMac)).putShort((short) 0x0806);
        f.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1)
                .put(mac(srcMac)).put(ip(srcIp)).put(new byte[6]).put(ip(targetIp));
        return f.array();
    }

    private static byte[] ipv4(String srcMac, String dstMac, String srcIp, String dstIp, int protocol, byte[] l4) {
        ByteBuffer f = ByteBuffer.allocate(14 + 20 + l4.length);
        f.put(mac(dstMac)).put(mac(srcMac)).putShort((short) 0x0800);
        int ipStart = f.position();
        f.put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4.length)).putShort((short) 0).putShort((short) 0x4000)
                .put((byte) 64).put((byte) protocol).putShort((short) 0).put(ip(srcIp)).put(ip(dstIp));
        f.putShort(ipStart + 10, checksum(f.array(), ipStart, 20));
        f.put(l4);
        return f.array();
    }

    /** The Internet checksum (RFC 1071). */
    static short checksum(byte[] b, int off, int len) {
        long sum = 0;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            sum += (b[off + len - 1] & 0xff) << 8;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (short) ~sum;
    }
}
