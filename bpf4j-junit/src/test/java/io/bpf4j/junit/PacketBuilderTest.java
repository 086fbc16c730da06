package io.bpf4j.junit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.bpf4j.kernel.testing.Frames;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Frames are what RFC 791, 768, 793, 792, 8200 and 4443 say: lengths, and checksums that sum
 * (with their pseudo-headers) to all ones; and byte for byte what the kernel tests' own frame
 * code, written apart, makes of the same packet.
 */
class PacketBuilderTest {
    /** The ones' complement sum of 16-bit words, folded: 0xffff over data whose checksum is right. */
    private static int onesSum(ByteBuffer words, long start) {
        long sum = start;
        while (words.remaining() >= 2) {
            sum += words.getShort() & 0xffff;
        }
        if (words.hasRemaining()) {
            sum += (words.get() & 0xff) << 8;
        }
        while (sum > 0xffff) {
            sum = (sum >>> 16) + (sum & 0xffff);
        }
        return (int) sum;
    }

    private static long pseudo(byte[] frame, int l3, boolean v6, int protocol, int length) {
        ByteBuffer b = ByteBuffer.wrap(frame);
        int addresses = v6 ? 32 : 8;
        b.position(l3 + (v6 ? 8 : 12)).limit(l3 + (v6 ? 8 : 12) + addresses);
        return onesSum(b.slice(), 0) + protocol + length;
    }

    @Test
    void ipv4UdpHasTheKernelTestsBytesAndValidChecksums() {
        byte[] frame = PacketBuilder.udp().srcMac("02:00:00:00:01:02").dstMac("02:00:00:00:01:01").srcIp("10.201.0.2")
                .dstIp("10.201.0.1").ports(4000, 53).payload("hello").build();
        assertArrayEquals(Frames.udp("02:00:00:00:01:02", "02:00:00:00:01:01", "10.201.0.2", "10.201.0.1", 4000, 53,
                "hello".getBytes(StandardCharsets.US_ASCII)), withoutUdpChecksum(frame));
        assertEquals(0xffff, onesSum(ByteBuffer.wrap(frame, 14, 20), 0), "IPv4 header checksum");
        assertEquals(0xffff, onesSum(ByteBuffer.wrap(frame, 34, 13), pseudo(frame, 14, false, 17, 13)), "UDP checksum");
        assertEquals(14 + 20 + 8 + 5, frame.length);
    }

    /** The kernel tests' frames leave the optional IPv4 UDP checksum zero. */
    private static byte[] withoutUdpChecksum(byte[] frame) {
        byte[] f = frame.clone();
        f[40] = 0;
        f[41] = 0;
        return f;
    }

    @Test
    void ipv4EchoMatchesTheKernelTestsFrame() {
        byte[] seq = ByteBuffer.allocate(8).putLong(7).array();
        byte[] frame = PacketBuilder.icmpEcho().srcMac("02:00:00:00:01:02").dstMac("02:00:00:00:01:01").srcIp("10.201.0.2")
                .dstIp("10.201.0.1").echo(3, 7).payload(seq).build();
        assertArrayEquals(Frames.icmpEcho("02:00:00:00:01:02", "02:00:00:00:01:01", "10.201.0.2", "10.201.0.1", 3, 7), frame);
        assertEquals(0xffff, onesSum(ByteBuffer.wrap(frame, 34, 16), 0), "ICMP checksum");
    }

    @Test
    void tcpChecksumsOverBothPseudoHeaders() {
        byte[] v4 = PacketBuilder.tcp().srcIp("192.0.2.1").dstIp("192.0.2.2").ports(1234, 443).tcpFlags(PacketBuilder.SYN | PacketBuilder.ACK)
                .sequence(0x01020304L, 0xa0b0c0d0L).payload("x").build();
        assertEquals(0x12, v4[14 + 20 + 13], "flags");
        assertEquals(0xffff, onesSum(ByteBuffer.wrap(v4, 34, 21), pseudo(v4, 14, false, 6, 21)));
        byte[] v6 = PacketBuilder.tcp().srcIp("fd00::1").dstIp("fd00::2").ports(1234, 443).payload("xyz").build();
        assertEquals(0x86dd, ByteBuffer.wrap(v6).getShort(12) & 0xffff);
        assertEquals(23, ByteBuffer.wrap(v6).getShort(18), "IPv6 payload length");
        assertEquals(6, v6[20], "next header");
        assertEquals(0xffff, onesSum(ByteBuffer.wrap(v6, 54, 23), pseudo(v6, 14, true, 6, 23)));
    }

    @Test
    void ipv6UdpAndEchoChecksum() {
        byte[] udp = PacketBuilder.udp().srcIp("2001:db8::1").dstIp("2001:db8::2").ports(5353, 5353).payload(new byte[3]).build();
        assertEquals(0xffff, onesSum(ByteBuffer.wrap(udp, 54, 11), pseudo(udp, 14, true, 17, 11)));
        byte[] echo = PacketBuilder.icmpEcho().srcIp("2001:db8::1").dstIp("2001:db8::2").build();
        assertEquals(128, echo[54] & 0xff, "ICMPv6 echo request");
        assertEquals(58, echo[20]);
        assertEquals(0xffff, onesSum(ByteBuffer.wrap(echo, 54, 8), pseudo(echo, 14, true, 58, 8)));
    }

    @Test
    void vlanTagGoesBeforeTheEtherType() {
        byte[] frame = PacketBuilder.udp().vlan(100).build();
        ByteBuffer b = ByteBuffer.wrap(frame);
        assertEquals(0x8100, b.getShort(12) & 0xffff);
        assertEquals(100, b.getShort(14));
        assertEquals(0x0800, b.getShort(16) & 0xffff);
        assertEquals(0xffff, onesSum(ByteBuffer.wrap(frame, 18, 20), 0));
    }

    @Test
    void arpRequestIsBroadcast() {
        byte[] arp = PacketBuilder.arpRequest("02:00:00:00:00:01", "10.0.0.1", "10.0.0.9");
        assertArrayEquals(Frames.arpRequest("02:00:00:00:00:01", "10.0.0.1", "10.0.0.9"), arp);
    }

    @Test
    void badInputIsNamed() {
        IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class,
                () -> PacketBuilder.udp().srcIp("10.0.0.1").dstIp("fd00::1").build());
        assertEquals("source 10.0.0.1 and destination fd00:0:0:0:0:0:0:1 are not of the same IP version", mixed.getMessage());
        assertEquals("'10.0.0.300' is not an IPv4 or IPv6 address",
                assertThrows(IllegalArgumentException.class, () -> PacketBuilder.udp().srcIp("10.0.0.300")).getMessage());
        assertEquals("port 70000 is outside 0..65535",
                assertThrows(IllegalArgumentException.class, () -> PacketBuilder.udp().ports(70000, 1)).getMessage());
        assertEquals("'02:00' is not a MAC address of 6 bytes", assertThrows(IllegalArgumentException.class,
                () -> PacketBuilder.mac("02:00")).getMessage());
    }
}
