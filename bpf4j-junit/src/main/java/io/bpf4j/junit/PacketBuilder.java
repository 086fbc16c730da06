package io.bpf4j.junit;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Ethernet frames for test runs: IPv4 or IPv6 (chosen by the addresses) carrying UDP, TCP or
 * an ICMP echo request, optionally VLAN-tagged, with lengths and checksums as the kernel
 * checks them (IPv4 header, and UDP, TCP, ICMP and ICMPv6 over their pseudo-headers).
 *
 * <pre>{@code
 * byte[] dns = PacketBuilder.udp().srcIp("10.0.0.1").dstIp("10.0.0.2").ports(40000, 53).payload("query").build();
 * byte[] syn = PacketBuilder.tcp().srcIp("fd00::1").dstIp("fd00::2").ports(40000, 443).tcpFlags(PacketBuilder.SYN).build();
 * byte[] ping = PacketBuilder.icmpEcho().dstIp("10.0.0.2").vlan(100).build();
 * }</pre>
 */
public final class PacketBuilder {
    public static final int ETH_P_IP = 0x0800;
    public static final int ETH_P_IPV6 = 0x86dd;
    public static final int ETH_P_ARP = 0x0806;
    public static final int ETH_P_8021Q = 0x8100;
    public static final int IPPROTO_ICMP = 1;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;
    public static final int IPPROTO_ICMPV6 = 58;
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;

    private enum Transport { UDP, TCP, ICMP_ECHO, RAW }

    private final Transport transport;
    private int rawProtocol;
    private byte[] srcMac = mac("02:00:00:00:00:01");
    private byte[] dstMac = mac("02:00:00:00:00:02");
    private int vlan = -1;
    private InetAddress srcIp = address("10.0.0.1");
    private InetAddress dstIp = address("10.0.0.2");
    private int ttl = 64;
    private int srcPort = 40000;
    private int dstPort = 80;
    private int tcpFlags = SYN;
    private long seq;
    private long ackNumber;
    private int echoId = 1;
    private int echoSequence = 1;
    private byte[] payload = new byte[0];

    private PacketBuilder(Transport transport) {
        this.transport = transport;
    }

    /** A UDP datagram (default ports 40000 to 80). */
    public static PacketBuilder udp() {
        return new PacketBuilder(Transport.UDP);
    }

    /** A TCP segment (default: a SYN from port 40000 to 80). */
    public static PacketBuilder tcp() {
        return new PacketBuilder(Transport.TCP);
    }

    /** An ICMP echo request (ICMPv6 for IPv6 addresses). */
    public static PacketBuilder icmpEcho() {
        return new PacketBuilder(Transport.ICMP_ECHO);
    }

    /** An IP packet of another protocol whose payload is given as is. */
    public static PacketBuilder ip(int protocol) {
        PacketBuilder b = new PacketBuilder(Transport.RAW);
        b.rawProtocol = checkRange(protocol, 0xff, "IP protocol");
        return b;
    }

    /** An ARP request from {@code srcMac}/{@code srcIp} for {@code targetIp}, broadcast. */
    public static byte[] arpRequest(String srcMac, String srcIp, String targetIp) {
        ByteBuffer f = ByteBuffer.allocate(42);
        f.put(mac("ff:ff:ff:ff:ff:ff")).put(mac(srcMac)).putShort((short) ETH_P_ARP);
        f.putShort((short) 1).putShort((short) ETH_P_IP).put((byte) 6).put((byte) 4).putShort((short) 1)
                .put(mac(srcMac)).put(v4(srcIp)).put(new byte[6]).put(v4(targetIp));
        return f.array();
    }

    public PacketBuilder srcMac(String mac) {
        srcMac = mac(mac);
        return this;
    }

    public PacketBuilder dstMac(String mac) {
        dstMac = mac(mac);
        return this;
    }

    /** An 802.1Q tag with VLAN id {@code id} (0 to 4095). */
    public PacketBuilder vlan(int id) {
        vlan = checkRange(id, 4095, "VLAN id");
        return this;
    }

    /** The source address, IPv4 ({@code 10.0.0.1}) or IPv6 ({@code fd00::1}). */
    public PacketBuilder srcIp(String ip) {
        srcIp = address(ip);
        return this;
    }

    public PacketBuilder dstIp(String ip) {
        dstIp = address(ip);
        return this;
    }

    /** TTL, or hop limit for IPv6. */
    public PacketBuilder ttl(int hops) {
        ttl = checkRange(hops, 0xff, "TTL");
        return this;
    }

    public PacketBuilder ports(int src, int dst) {
        srcPort = checkRange(src, 0xffff, "port");
        dstPort = checkRange(dst, 0xffff, "port");
        return this;
    }

    /** TCP flags, such as {@code SYN | ACK}. */
    public PacketBuilder tcpFlags(int flags) {
        tcpFlags = checkRange(flags, 0xff, "TCP flags");
        return this;
    }

    /** TCP sequence and acknowledgement numbers. */
    public PacketBuilder sequence(long sequence, long acknowledgement) {
        seq = sequence;
        ackNumber = acknowledgement;
        return this;
    }

    /** ICMP echo identifier and sequence number. */
    public PacketBuilder echo(int id, int sequence) {
        echoId = checkRange(id, 0xffff, "echo id");
        echoSequence = checkRange(sequence, 0xffff, "echo sequence");
        return this;
    }

    public PacketBuilder payload(byte[] bytes) {
        payload = bytes.clone();
        return this;
    }

    /** The payload as UTF-8. */
    public PacketBuilder payload(String text) {
        return payload(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The frame. */
    public byte[] build() {
        boolean v6 = srcIp instanceof Inet6Address;
        if (v6 != dstIp instanceof Inet6Address) {
            throw new IllegalArgumentException("source " + srcIp.getHostAddress() + " and destination " + dstIp.getHostAddress()
                    + " are not of the same IP version");
        }
        byte[] l4 = transport(v6);
        int protocol = switch (transport) {
            case UDP -> IPPROTO_UDP;
            case TCP -> IPPROTO_TCP;
            case ICMP_ECHO -> v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
            case RAW -> rawProtocol;
        };
        if (transport != Transport.RAW && (transport != Transport.ICMP_ECHO || v6)) {
            int at = switch (transport) {
                case UDP -> 6;
                case TCP -> 16;
                default -> 2;
            };
            short sum = checksum(l4, 0, l4.length, pseudoHeaderSum(v6, protocol, l4.length));
            putShort(l4, at, transport == Transport.UDP && sum == 0 ? (short) 0xffff : sum);
        }
        byte[] l3 = v6 ? ipv6(protocol, l4) : ipv4(protocol, l4);
        ByteBuffer f = ByteBuffer.allocate(14 + (vlan >= 0 ? 4 : 0) + l3.length);
        f.put(dstMac).put(srcMac);
        if (vlan >= 0) {
            f.putShort((short) ETH_P_8021Q).putShort((short) vlan);
        }
        f.putShort((short) (v6 ? ETH_P_IPV6 : ETH_P_IP)).put(l3);
        return f.array();
    }

    private byte[] transport(boolean v6) {
        return switch (transport) {
            case UDP -> {
                ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
                b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) (8 + payload.length)).putShort((short) 0)
                        .put(payload);
                yield b.array();
            }
            case TCP -> {
                ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
                b.putShort((short) srcPort).putShort((short) dstPort).putInt((int) seq).putInt((int) ackNumber)
                        .put((byte) (5 << 4)).put((byte) tcpFlags).putShort((short) 0xffff).putShort((short) 0).putShort((short) 0)
                        .put(payload);
                yield b.array();
            }
            case ICMP_ECHO -> {
                ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
                b.put((byte) (v6 ? 128 : 8)).put((byte) 0).putShort((short) 0).putShort((short) echoId)
                        .putShort((short) echoSequence).put(payload);
                byte[] icmp = b.array();
                if (!v6) {
                    putShort(icmp, 2, checksum(icmp, 0, icmp.length, 0));
                }
                yield icmp;
            }
            case RAW -> payload.clone();
        };
    }

    private long pseudoHeaderSum(boolean v6, int protocol, int length) {
        byte[] src = srcIp.getAddress();
        byte[] dst = dstIp.getAddress();
        long sum = sum(src, 0, src.length) + sum(dst, 0, dst.length) + protocol;
        return v6 ? sum + (length >>> 16) + (length & 0xffff) : sum + length;
    }

    private byte[] ipv4(int protocol, byte[] l4) {
        int total = 20 + l4.length;
        if (total > 0xffff) {
            throw new IllegalArgumentException("an IPv4 packet of " + total + " bytes is more than 65535");
        }
        ByteBuffer b = ByteBuffer.allocate(total);
        b.put((byte) 0x45).put((byte) 0).putShort((short) total).putShort((short) 0).putShort((short) 0x4000).put((byte) ttl)
                .put((byte) protocol).putShort((short) 0).put(srcIp.getAddress()).put(dstIp.getAddress());
        byte[] out = b.put(l4).array();
        putShort(out, 10, checksum(out, 0, 20, 0));
        return out;
    }

    private byte[] ipv6(int protocol, byte[] l4) {
        if (l4.length > 0xffff) {
            throw new IllegalArgumentException("an IPv6 payload of " + l4.length + " bytes needs a jumbogram");
        }
        ByteBuffer b = ByteBuffer.allocate(40 + l4.length);
        b.putInt(6 << 28).putShort((short) l4.length).put((byte) protocol).put((byte) ttl).put(srcIp.getAddress())
                .put(dstIp.getAddress()).put(l4);
        return b.array();
    }

    /** The Internet checksum (RFC 1071) of {@code len} bytes from {@code off}, starting from the partial sum {@code initial}. */
    static short checksum(byte[] b, int off, int len, long initial) {
        long sum = initial + sum(b, off, len);
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (short) ~sum;
    }

    private static long sum(byte[] b, int off, int len) {
        long sum = 0;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += (b[off + i] & 0xff) << 8 | b[off + i + 1] & 0xff;
        }
        if ((len & 1) != 0) {
            sum += (b[off + len - 1] & 0xff) << 8;
        }
        return sum;
    }

    private static void putShort(byte[] b, int at, short v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }

    /** {@code 02:00:00:00:00:01} as 6 bytes. */
    public static byte[] mac(String text) {
        byte[] m = HexFormat.ofDelimiter(":").parseHex(Objects.requireNonNull(text, "mac"));
        if (m.length != 6) {
            throw new IllegalArgumentException("'" + text + "' is not a MAC address of 6 bytes");
        }
        return m;
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.ofLiteral(Objects.requireNonNull(literal, "address"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + literal + "' is not an IPv4 or IPv6 address", e);
        }
    }

    private static byte[] v4(String literal) {
        if (!(address(literal) instanceof Inet4Address a)) {
            throw new IllegalArgumentException("'" + literal + "' is not an IPv4 address");
        }
        return a.getAddress();
    }

    private static int checkRange(int value, int max, String what) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(what + " " + value + " is outside 0.." + max);
        }
        return value;
    }
}
