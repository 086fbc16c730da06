package io.bpf4j.kernel.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NetlinkMessageTest {
    @Test
    void buildsWhatItParses() {
        byte[] body = new byte[Layouts.Ifinfomsg.SIZE];
        body[0] = 17;
        byte[] msg = NetlinkMessage.request(NetlinkMessage.RTM_SETLINK, NetlinkMessage.NLM_F_ACK).body(body)
                .attrString(3, "eth0")
                .begin(43).attrU32(1, 7).attrU8(2, 4).end()
                .build(99, 0);
        ByteBuffer b = ByteBuffer.wrap(msg).order(ByteOrder.nativeOrder());
        assertEquals(msg.length, b.getInt(0));
        assertEquals(0, msg.length % 4);
        List<NetlinkMessage.Message> parsed = NetlinkMessage.parse(ByteBuffer.wrap(msg));
        assertEquals(1, parsed.size());
        NetlinkMessage.Message m = parsed.getFirst();
        assertEquals(NetlinkMessage.RTM_SETLINK, m.type());
        assertEquals(NetlinkMessage.NLM_F_REQUEST | NetlinkMessage.NLM_F_ACK, m.flags());
        assertEquals(99, m.seq());
        NetlinkMessage.Attributes a = m.attributes(Layouts.Ifinfomsg.SIZE);
        assertEquals("eth0", a.get(3).orElseThrow().string());
        NetlinkMessage.Attributes nested = a.get(43).orElseThrow().nested();
        assertEquals(7, nested.get(1).orElseThrow().u32());
        assertEquals(4, nested.get(2).orElseThrow().u8());
        assertArrayEquals(new byte[] {4}, nested.get(2).orElseThrow().bytes());
    }

    @Test
    void malformedRepliesAreFormatErrorsNotCrashes() {
        byte[] msg = NetlinkMessage.request(NetlinkMessage.RTM_GETLINK, 0).body(new byte[16]).attrU32(1, 1).build(1, 0);
        // A message length past the end, and an attribute length past the end.
        ByteBuffer longer = ByteBuffer.wrap(msg.clone()).order(ByteOrder.nativeOrder()).putInt(0, msg.length + 4);
        var e = assertThrows(BpfFormatException.class, () -> NetlinkMessage.parse(longer));
        assertTrue(e.getMessage().contains("offset 0"), e.getMessage());
        byte[] badAttr = msg.clone();
        ByteBuffer.wrap(badAttr).order(ByteOrder.nativeOrder()).putShort(32, (short) 200);
        NetlinkMessage.Message m = NetlinkMessage.parse(ByteBuffer.wrap(badAttr)).getFirst();
        assertThrows(BpfFormatException.class, () -> m.attributes(16));
        assertThrows(BpfFormatException.class, () -> m.attributes(4096));
        // Random bytes: parsed or refused, never an index error.
        Random r = new Random(7);
        for (int i = 0; i < 2000; i++) {
            byte[] junk = msg.clone();
            junk[r.nextInt(junk.length)] = (byte) r.nextInt();
            try {
                for (NetlinkMessage.Message x : NetlinkMessage.parse(ByteBuffer.wrap(junk))) {
                    for (NetlinkMessage.Attribute at : x.attributes(16).list()) {
                        at.bytes();
                    }
                }
            } catch (BpfFormatException expected) {
                // refused with a message
            }
        }
    }

    @Test
    void unbalancedNestingIsRefused() {
        assertThrows(IllegalStateException.class, () -> NetlinkMessage.request(1, 0).begin(1).build(1, 0));
        assertThrows(IllegalStateException.class, () -> NetlinkMessage.request(1, 0).end());
    }
}
