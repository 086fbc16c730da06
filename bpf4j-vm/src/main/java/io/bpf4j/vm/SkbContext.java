package io.bpf4j.vm;

import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;
import java.util.Arrays;

/**
 * The context of socket-buffer programs (tc, socket filters, cgroup skb, lwt):
 * {@code struct __sk_buff} (192 bytes) over a packet built as the kernel's
 * {@code bpf_prog_test_run_skb} builds it: 64 bytes of headroom, the protocol and packet
 * type worked out from the Ethernet header as {@code eth_type_trans} does on the loopback
 * device, the socket's family and addresses taken from an IPv4 or IPv6 header (which
 * must be whole: the kernel refuses shorter IP packets). tc
 * programs see the packet from its Ethernet header; the others from the network header,
 * and get the Ethernet header back zeroed in data out. Only the fields the kernel lets
 * userspace set are accepted in the context in, and only the fields the kernel writes
 * back change in the context out.
 */
final class SkbContext implements ProgramContext, ContextAccess {
    static final int SIZE = 192;
    static final int HEADROOM = 64;
    static final int TAILROOM = 320;
    static final int ETH_HLEN = 14;
    private static final int LEN = 0, PKT_TYPE = 4, MARK = 8, QUEUE_MAPPING = 12, PROTOCOL = 16, PRIORITY = 32;
    private static final int INGRESS_IFINDEX = 36, IFINDEX = 40, TC_INDEX = 44, CB = 48, CB_END = 68, TC_CLASSID = 72;
    private static final int DATA = 76, DATA_END = 80, FAMILY = 88, REMOTE_IP4 = 92, LOCAL_IP4 = 96, REMOTE_IP6 = 100;
    private static final int LOCAL_IP6 = 116, DATA_META = 140, FLOW_KEYS = 144, TSTAMP = 152, WIRE_LEN = 160;
    private static final int GSO_SEGS = 164, SK = 168, GSO_SIZE = 176, TSTAMP_TYPE = 180, HWTSTAMP = 184;
    private static final int AF_INET = 2, AF_INET6 = 10;

    private final VmProgram program;
    private final boolean l2;
    private final byte[] buffer;
    private final byte[] skb = new byte[SIZE];
    private final byte[] ctxIn;
    private final boolean ctxGiven;
    private final int ctxOutSize;
    private final int dataOutSize;
    private final Region packet;
    private final int mac;
    int data;
    int end;

    SkbContext(VmProgram program, Execution ex, TestRun run) {
        this.program = program;
        ProgramType type = program.type();
        l2 = type == ProgramType.SCHED_CLS || type == ProgramType.SCHED_ACT;
        if (run.flags() != 0 || run.cpu() != 0) {
            throw ProgramContext.invalid(program, "EINVAL", "socket buffer test runs take no flags and no CPU");
        }
        byte[] in = run.dataIn();
        int max = 4096 - HEADROOM - TAILROOM;
        if (in.length < ETH_HLEN || in.length > max) {
            throw ProgramContext.invalid(program, "EINVAL", "packet is " + in.length + " bytes; socket buffer test runs take "
                    + ETH_HLEN + " to " + max + " bytes");
        }
        ctxGiven = run.ctxIn().length > 0 || run.ctxOutSize() > 0;
        ctxIn = ProgramContext.fit(program, run.ctxIn(), SIZE);
        checkSettable(ctxIn);
        buffer = new byte[4096];
        System.arraycopy(in, 0, buffer, HEADROOM, in.length);
        mac = HEADROOM;
        int network = mac + ETH_HLEN;
        data = l2 ? mac : network;
        end = mac + in.length;
        int proto = (in[12] & 0xff) << 8 | (in[13] & 0xff);
        int ipHeader = proto == 0x0800 ? 20 : proto == 0x86dd ? 40 : 0;
        if (in.length - ETH_HLEN < ipHeader) {
            throw ProgramContext.invalid(program, "EINVAL", "an IPv" + (ipHeader == 20 ? "4" : "6") + " packet needs "
                    + ipHeader + " bytes of IP header after the Ethernet header");
        }
        int wireLen = Memory.getInt(ctxIn, WIRE_LEN);
        int len = end - data;
        if (wireLen != 0 && (wireLen < len || wireLen > 65536) || Memory.getInt(ctxIn, GSO_SEGS) > 65535) {
            throw ProgramContext.invalid(program, "EINVAL", "wire_len must be 0 or between the packet length and 65536, "
                    + "gso_segs at most 65535");
        }
        Memory.putShort(skb, PROTOCOL, protocol(in));
        Memory.putInt(skb, PKT_TYPE, packetType(in));
        Memory.putInt(skb, MARK, Memory.getInt(ctxIn, MARK));
        Memory.putInt(skb, PRIORITY, Memory.getInt(ctxIn, PRIORITY));
        Memory.putInt(skb, INGRESS_IFINDEX, Memory.getInt(ctxIn, INGRESS_IFINDEX));
        int ifindex = Memory.getInt(ctxIn, IFINDEX);
        Memory.putInt(skb, IFINDEX, ifindex > 1 ? ifindex : XdpContext.LOOPBACK_IFINDEX);
        System.arraycopy(ctxIn, CB, skb, CB, CB_END - CB);
        Memory.putLong(skb, TSTAMP, Memory.getLong(ctxIn, TSTAMP));
        Memory.putInt(skb, WIRE_LEN, wireLen == 0 ? len : wireLen);
        Memory.putInt(skb, GSO_SEGS, Memory.getInt(ctxIn, GSO_SEGS));
        Memory.putInt(skb, GSO_SIZE, Memory.getInt(ctxIn, GSO_SIZE));
        Memory.putLong(skb, HWTSTAMP, Memory.getLong(ctxIn, HWTSTAMP));
        socketAddresses(in);
        ctxOutSize = run.ctxOutSize();
        dataOutSize = run.dataOutSize();
        packet = new Region(Region.Kind.PACKET, "packet", buffer, data, end, false, null, null);
        ex.mem.setLocal(Memory.PACKET, packet);
        ex.mem.setLocal(Memory.CONTEXT, new Region(Region.Kind.CONTEXT, "context (struct __sk_buff)", skb, 0, 0, true,
                null, this));
    }

    static boolean handles(ProgramType type) {
        return switch (type) {
            case SCHED_CLS, SCHED_ACT, SOCKET_FILTER, CGROUP_SKB, LWT_IN, LWT_OUT, LWT_XMIT -> true;
            default -> false;
        };
    }

    /** Whether the 4-byte field at {@code offset} is one that yields a packet pointer. */
    static boolean yieldsPacketPointer(int offset) {
        return offset == DATA || offset == DATA_END || offset == DATA_META;
    }

    /** convert___skb_to_skb: only these fields of a context in may be set. */
    private void checkSettable(byte[] c) {
        int[][] zero = {{0, MARK}, {MARK + 4, PRIORITY}, {IFINDEX + 4, CB}, {CB_END, TSTAMP}, {GSO_SEGS + 4, GSO_SIZE},
            {GSO_SIZE + 4, HWTSTAMP}};
        for (int[] range : zero) {
            for (int i = range[0]; i < range[1]; i++) {
                if (c[i] != 0) {
                    throw ProgramContext.invalid(program, "EINVAL", "__sk_buff byte " + i + " is set; a test run accepts "
                            + "only mark, priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs, gso_size "
                            + "and hwtstamp");
                }
            }
        }
    }

    /** eth_type_trans: the EtherType as stored (network order), or 802.3/802.2 for length fields. */
    private static short protocol(byte[] p) {
        int type = (p[12] & 0xff) << 8 | (p[13] & 0xff);
        if (type >= 0x600) {
            return Memory.getShort(p, 12);
        }
        boolean raw8023 = p.length >= 16 && p[14] == (byte) 0xff && p[15] == (byte) 0xff;
        return Short.reverseBytes((short) (raw8023 ? 0x0001 : 0x0004));
    }

    /** eth_type_trans on the loopback device (address 00:00:00:00:00:00). */
    private static int packetType(byte[] p) {
        boolean zero = true;
        for (int i = 0; i < 6; i++) {
            zero &= p[i] == 0;
        }
        if (zero) {
            return 0; // PACKET_HOST
        }
        // The loopback device's broadcast address is all zeros, so ff:ff:ff:ff:ff:ff is just multicast.
        return (p[0] & 1) != 0 ? 2 : 3; // PACKET_MULTICAST, PACKET_OTHERHOST
    }

    /** The test run's socket: family and addresses from the IP header (remote = destination, local = source). */
    private void socketAddresses(byte[] p) {
        int proto = (p[12] & 0xff) << 8 | (p[13] & 0xff);
        if (proto == 0x0800) {
            Memory.putInt(skb, FAMILY, AF_INET);
            System.arraycopy(p, ETH_HLEN + 16, skb, REMOTE_IP4, 4);
            System.arraycopy(p, ETH_HLEN + 12, skb, LOCAL_IP4, 4);
        } else if (proto == 0x86dd) {
            Memory.putInt(skb, FAMILY, AF_INET6);
            System.arraycopy(p, ETH_HLEN + 24, skb, REMOTE_IP6, 16);
            System.arraycopy(p, ETH_HLEN + 8, skb, LOCAL_IP6, 16);
        }
    }

    @Override
    public long argument() {
        return Memory.address(Memory.CONTEXT, 0);
    }

    @Override
    public long load(Execution ex, int offset, int size) {
        switch (offset) {
            case DATA, DATA_END, DATA_META -> {
                if (size != 4) {
                    throw fault(offset, size, "read");
                }
                return Memory.address(Memory.PACKET, offset == DATA_END ? end : data);
            }
            case FLOW_KEYS, SK -> {
                if (size != 8) {
                    throw fault(offset, size, "read");
                }
                return 0; // no flow dissector keys; the test run's socket is not modelled
            }
            default -> {
                if (offset < 0 || size > 8 || offset + size > SIZE || Integer.bitCount(size) != 1 || offset % size != 0
                        || pointerField(offset, size) || offset + size > TSTAMP_TYPE + 1 && offset < HWTSTAMP) {
                    throw fault(offset, size, "read");
                }
                if (offset < LEN + 4) {
                    Memory.putInt(skb, LEN, end - data);
                }
                return switch (size) {
                    case 1 -> skb[offset] & 0xffL;
                    case 2 -> Memory.getShort(skb, offset) & 0xffffL;
                    case 4 -> Memory.getInt(skb, offset) & 0xffff_ffffL;
                    default -> Memory.getLong(skb, offset);
                };
            }
        }
    }

    private static boolean pointerField(int offset, int size) {
        int last = offset + size - 1;
        return last >= DATA && offset < DATA_END + 4 || last >= DATA_META && offset < DATA_META + 4
                || last >= FLOW_KEYS && offset < FLOW_KEYS + 8 || last >= SK && offset < SK + 8;
    }

    @Override
    public void store(Execution ex, int offset, int size, long value) {
        boolean tc = l2;
        boolean writable = offset >= CB && offset + size <= CB_END
                || within(offset, size, MARK, 4) && program.type() != ProgramType.SOCKET_FILTER
                || within(offset, size, PRIORITY, 4) && program.type() != ProgramType.SOCKET_FILTER
                || tc && (within(offset, size, TC_INDEX, 4) || within(offset, size, TC_CLASSID, 4)
                        || within(offset, size, QUEUE_MAPPING, 4) || within(offset, size, TSTAMP, 8));
        if (!writable || offset % size != 0) {
            throw fault(offset, size, "write");
        }
        switch (size) {
            case 1 -> skb[offset] = (byte) value;
            case 2 -> Memory.putShort(skb, offset, (short) value);
            case 4 -> Memory.putInt(skb, offset, (int) value);
            default -> Memory.putLong(skb, offset, value);
        }
    }

    private static boolean within(int offset, int size, int field, int fieldSize) {
        return offset >= field && offset + size <= field + fieldSize;
    }

    private VmException fault(int offset, int size, String what) {
        return VmException.memory(Memory.address(Memory.CONTEXT, offset), "invalid " + what + " of " + size
                + " bytes at offset " + offset + " of struct __sk_buff for a " + program.type().bpftoolName() + " program");
    }

    int length() {
        return end - data;
    }

    /** BPF_ABS/BPF_IND and bpf_skb_load_helper: big-endian bytes at {@code offset} from data, or -1. */
    long loadBigEndian(long offset, int size) {
        long at;
        if (offset >= 0) {
            at = data + offset;
        } else if (offset >= -0x100000 && offset < -0x100000 + 0x10000) { // SKF_NET_OFF
            at = mac + ETH_HLEN + offset + 0x100000;
        } else if (offset >= -0x200000 && offset < -0x200000 + 0x10000) { // SKF_LL_OFF
            at = mac + offset + 0x200000;
        } else {
            return -1;
        }
        if (at < mac || at + size > end) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < size; i++) {
            v = v << 8 | (buffer[(int) at + i] & 0xff);
        }
        return v;
    }

    /** bpf_skb_load_bytes / bpf_skb_store_bytes from data: 0, or -EFAULT when outside the packet. */
    int copy(long offset, byte[] buf, int bufOff, long len, boolean store) {
        if (offset < 0 || offset > Integer.MAX_VALUE || len < 0 || offset + len > length()) {
            if (!store) {
                Arrays.fill(buf, bufOff, bufOff + (int) Math.max(0, len), (byte) 0);
            }
            return -Errno.EFAULT;
        }
        int at = data + (int) offset;
        if (store) {
            System.arraycopy(buf, bufOff, buffer, at, (int) len);
        } else {
            System.arraycopy(buffer, at, buf, bufOff, (int) len);
        }
        return 0;
    }

    /** The 16-bit word at {@code offset} from data, for the checksum helpers; -1 when outside. */
    int word(long offset) {
        return offset < 0 || offset + 2 > length() ? -1 : Memory.getShort(buffer, data + (int) offset) & 0xffff;
    }

    void putWord(long offset, int value) {
        Memory.putShort(buffer, data + (int) offset, (short) value);
    }

    /** The first {@code n} packet bytes from data, for perf_event_output's BPF_F_CTXLEN_MASK; null when n is too big. */
    byte[] head(int n) {
        return n > length() ? null : Arrays.copyOfRange(buffer, data, data + n);
    }

    @Override
    public TestRunResult result(long returnValue, long averageNs) {
        byte[] out;
        if (l2) {
            out = Arrays.copyOfRange(buffer, data, end);
        } else {
            out = new byte[end - data + ETH_HLEN];
            System.arraycopy(buffer, data, out, ETH_HLEN, end - data);
        }
        out = ProgramContext.output(program, "data", out, dataOutSize);
        byte[] ctxOut = new byte[0];
        if (ctxGiven) {
            byte[] c = ctxIn.clone();
            for (int field : new int[] {MARK, PRIORITY, INGRESS_IFINDEX, IFINDEX, WIRE_LEN, GSO_SEGS}) {
                Memory.putInt(c, field, Memory.getInt(skb, field));
            }
            System.arraycopy(skb, CB, c, CB, CB_END - CB);
            Memory.putLong(c, TSTAMP, Memory.getLong(skb, TSTAMP));
            Memory.putLong(c, HWTSTAMP, Memory.getLong(skb, HWTSTAMP));
            ctxOut = ProgramContext.output(program, "context", c, ctxOutSize);
        }
        return new TestRunResult(returnValue, out, ctxOut, averageNs);
    }
}
