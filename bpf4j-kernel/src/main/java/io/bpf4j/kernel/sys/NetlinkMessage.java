package io.bpf4j.kernel.sys;

import io.bpf4j.BpfFormatException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * Netlink messages (rtnetlink): building a request, and reading the messages and the
 * attributes ({@code struct nlattr}, type-length-value, 4-byte aligned) of a reply. Reading
 * checks every length against the bytes received, so a malformed reply gives a
 * {@link BpfFormatException} saying where, never an index error.
 *
 * <pre>{@code
 * byte[] req = NetlinkMessage.request(NetlinkMessage.RTM_GETLINK, NetlinkMessage.NLM_F_DUMP)
 *         .body(new byte[Layouts.Ifinfomsg.SIZE]).build(seq, 0);
 * }</pre>
 */
public final class NetlinkMessage {
    public static final int NETLINK_ROUTE = 0;
    public static final int SOL_NETLINK = 270;
    public static final int NETLINK_CAP_ACK = 10;
    public static final int NETLINK_EXT_ACK = 11;

    public static final int NLMSG_ERROR = 2;
    public static final int NLMSG_DONE = 3;
    public static final int RTM_GETLINK = 18;
    public static final int RTM_SETLINK = 19;
    public static final int RTM_NEWQDISC = 36;
    public static final int RTM_DELQDISC = 37;
    public static final int RTM_GETQDISC = 38;
    public static final int RTM_GETTCLASS = 42;
    public static final int RTM_NEWTFILTER = 44;
    public static final int RTM_DELTFILTER = 45;
    public static final int RTM_GETTFILTER = 46;

    public static final int NLM_F_REQUEST = 0x01;
    public static final int NLM_F_MULTI = 0x02;
    public static final int NLM_F_ACK = 0x04;
    public static final int NLM_F_DUMP = 0x300;
    public static final int NLM_F_REPLACE = 0x100;
    public static final int NLM_F_EXCL = 0x200;
    public static final int NLM_F_CREATE = 0x400;
    /** In an error reply: extended-ack attributes follow the error. */
    public static final int NLM_F_ACK_TLVS = 0x200;
    /** In an error reply: the request is not echoed back. */
    public static final int NLM_F_CAPPED = 0x100;
    public static final int NLMSGERR_ATTR_MSG = 1;

    /** Bit of an attribute type marking a nested attribute. */
    public static final int NLA_F_NESTED = 1 << 15;

    private static final int ALIGN = 4;
    private static final int HEADER = Layouts.Nlmsghdr.SIZE;
    private static final int ATTR_HEADER = Layouts.Nlattr.SIZE;

    private NetlinkMessage() {}

    static int align(int n) {
        return (n + ALIGN - 1) & -ALIGN;
    }

    /** Starts a request of {@code type} with {@link #NLM_F_REQUEST} and {@code flags}. */
    public static Builder request(int type, int flags) {
        return new Builder(type, NLM_F_REQUEST | flags);
    }

    /** A request under construction: the fixed body, then attributes, nested ones opened and closed in order. */
    public static final class Builder {
        private final int type;
        private final int flags;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final Deque<Integer> open = new ArrayDeque<>();
        private byte[] built;

        private Builder(int type, int flags) {
            this.type = type;
            this.flags = flags;
            out.writeBytes(new byte[HEADER]);
        }

        /** The fixed part after the header ({@code ifinfomsg}, {@code tcmsg}), padded to 4 bytes. */
        public Builder body(byte[] body) {
            out.writeBytes(body);
            pad();
            return this;
        }

        public Builder attr(int attrType, byte[] value) {
            ByteBuffer h = ByteBuffer.allocate(ATTR_HEADER).order(ByteOrder.nativeOrder());
            h.putShort((short) (ATTR_HEADER + value.length)).putShort((short) attrType);
            out.writeBytes(h.array());
            out.writeBytes(value);
            pad();
            return this;
        }

        public Builder attrU8(int attrType, int value) {
            return attr(attrType, new byte[] {(byte) value});
        }

        public Builder attrU32(int attrType, int value) {
            return attr(attrType, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array());
        }

        /** A NUL-terminated string. */
        public Builder attrString(int attrType, String value) {
            byte[] s = value.getBytes(StandardCharsets.UTF_8);
            byte[] z = new byte[s.length + 1];
            System.arraycopy(s, 0, z, 0, s.length);
            return attr(attrType, z);
        }

        /** Opens a nested attribute; attributes until {@link #end()} go inside it. */
        public Builder begin(int attrType) {
            open.push(out.size());
            ByteBuffer h = ByteBuffer.allocate(ATTR_HEADER).order(ByteOrder.nativeOrder());
            h.putShort((short) 0).putShort((short) (attrType | NLA_F_NESTED));
            out.writeBytes(h.array());
            return this;
        }

        public Builder end() {
            if (open.isEmpty()) {
                throw new IllegalStateException("end() without begin()");
            }
            int start = open.pop();
            built = null;
            byte[] b = out.toByteArray();
            ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).putShort(start, (short) (b.length - start));
            out.reset();
            out.writeBytes(b);
            return this;
        }

        /** The message bytes with sequence number {@code seq} and {@code extraFlags} (port id 0: the kernel). */
        public byte[] build(int seq, int extraFlags) {
            if (!open.isEmpty()) {
                throw new IllegalStateException(open.size() + " nested attribute(s) not ended");
            }
            if (built == null) {
                built = out.toByteArray();
            }
            byte[] b = built.clone();
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
            bb.putInt(0, b.length).putShort(4, (short) type).putShort(6, (short) (flags | extraFlags)).putInt(8, seq)
                    .putInt(12, 0);
            return b;
        }

        private void pad() {
            while (out.size() % ALIGN != 0) {
                out.write(0);
            }
        }
    }

    /** One message of a reply: header fields and the bytes after the header. */
    public record Message(int type, int flags, int seq, int pid, ByteBuffer payload) {
        /** The attributes after a fixed body of {@code bodySize} bytes. */
        public Attributes attributes(int bodySize) {
            int start = align(bodySize);
            if (start > payload.limit()) {
                throw new BpfFormatException("netlink message type " + type + " is " + payload.limit()
                        + " bytes, shorter than its " + bodySize + "-byte header");
            }
            return Attributes.parse(payload.slice(start, payload.limit() - start).order(ByteOrder.nativeOrder()));
        }
    }

    /** Splits received bytes into messages. */
    public static List<Message> parse(ByteBuffer received) {
        ByteBuffer b = received.duplicate().order(ByteOrder.nativeOrder());
        List<Message> messages = new ArrayList<>();
        int pos = 0;
        while (pos + HEADER <= b.limit()) {
            int len = b.getInt(pos);
            if (len < HEADER || pos + len > b.limit()) {
                throw new BpfFormatException("netlink message at offset " + pos + " has length " + len + " but "
                        + (b.limit() - pos) + " bytes remain");
            }
            messages.add(new Message(Short.toUnsignedInt(b.getShort(pos + 4)), Short.toUnsignedInt(b.getShort(pos + 6)),
                    b.getInt(pos + 8), b.getInt(pos + 12), b.slice(pos + HEADER, len - HEADER).order(ByteOrder.nativeOrder())));
            pos += align(len);
        }
        return messages;
    }

    /** The attributes of a message or of a nested attribute, in order. */
    public record Attributes(List<Attribute> list) {
        static Attributes parse(ByteBuffer b) {
            List<Attribute> list = new ArrayList<>();
            int pos = 0;
            while (pos + ATTR_HEADER <= b.limit()) {
                int len = Short.toUnsignedInt(b.getShort(pos));
                int type = Short.toUnsignedInt(b.getShort(pos + 2)) & ~(NLA_F_NESTED | 1 << 14);
                if (len < ATTR_HEADER || pos + len > b.limit()) {
                    throw new BpfFormatException("netlink attribute at offset " + pos + " has length " + len + " but "
                            + (b.limit() - pos) + " bytes remain");
                }
                list.add(new Attribute(type, b.slice(pos + ATTR_HEADER, len - ATTR_HEADER).order(ByteOrder.nativeOrder())));
                pos += align(len);
            }
            return new Attributes(List.copyOf(list));
        }

        /** The first attribute of {@code type}. */
        public Optional<Attribute> get(int type) {
            return list.stream().filter(a -> a.type() == type).findFirst();
        }
    }

    /** One attribute: its type (flags removed) and value. */
    public record Attribute(int type, ByteBuffer value) {
        public int u8() {
            need(1);
            return Byte.toUnsignedInt(value.get(0));
        }

        public int u32() {
            need(4);
            return value.getInt(0);
        }

        /** The bytes up to the first NUL. */
        public String string() {
            int n = 0;
            while (n < value.limit() && value.get(n) != 0) {
                n++;
            }
            byte[] b = new byte[n];
            value.get(0, b);
            return new String(b, StandardCharsets.UTF_8);
        }

        public byte[] bytes() {
            byte[] b = new byte[value.limit()];
            value.get(0, b);
            return b;
        }

        public Attributes nested() {
            return Attributes.parse(value);
        }

        private void need(int n) {
            if (value.limit() < n) {
                throw new BpfFormatException("netlink attribute " + type + " has " + value.limit() + " bytes, needs " + n);
            }
        }
    }
}
