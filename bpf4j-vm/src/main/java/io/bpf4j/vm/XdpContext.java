package io.bpf4j.vm;

import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;
import java.util.Arrays;

/**
 * The context of XDP programs: {@code struct xdp_md} over a packet laid out as the
 * kernel's test run lays it out. The packet sits in a 4096-byte frame after 256 bytes of
 * headroom ({@code XDP_PACKET_HEADROOM}), with the frame's last 320 bytes reserved for
 * {@code skb_shared_info}; metadata given through {@code xdp_md.data} comes out of the
 * headroom. {@code data}, {@code data_end} and {@code data_meta} are {@code __u32} fields
 * that yield 64-bit packet pointers, as the kernel rewrites their loads; the program
 * cannot store to the context. A packet longer than the frame holds goes, as in the
 * kernel, into page-sized fragments that the program reaches only through helpers
 * ({@code bpf_xdp_load_bytes}, {@code bpf_xdp_get_buff_len}, {@code bpf_xdp_adjust_tail}).
 */
final class XdpContext implements ProgramContext, ContextAccess {
    static final int FRAME_SIZE = 4096;
    static final int HEADROOM = 256;
    static final int TAILROOM = 320;
    static final int XDP_FRAME_SIZE = 40;
    static final int ETH_HLEN = 14;
    static final int MD_SIZE = 24;
    static final int LOOPBACK_IFINDEX = 1;
    /** BPF_F_TEST_XDP_LIVE_FRAMES. */
    static final int LIVE_FRAMES = 2;
    static final int PAGE_SIZE = 4096;
    static final int MAX_FRAGS = 17;

    private final VmProgram program;
    private final byte[] frame = new byte[FRAME_SIZE];
    private final Region packet;
    private final byte[] md;
    private final boolean ctxGiven;
    private final int ctxOutSize;
    private final int dataOutSize;
    private final int ingressIfindex;
    private final int rxQueueIndex;
    /** Fragments past the frame (each at most a page), and how many bytes of each are in use. */
    private final byte[][] frags;
    private final int[] fragSizes;
    private int fragCount;
    int meta;
    int data;
    int end;

    XdpContext(VmProgram program, Execution ex, TestRun run) {
        this.program = program;
        if ((run.flags() & ~LIVE_FRAMES) != 0) {
            throw ProgramContext.invalid(program, "EINVAL", "XDP test runs take no flags but BPF_F_TEST_XDP_LIVE_FRAMES, not 0x"
                    + Integer.toHexString(run.flags()));
        }
        if ((run.flags() & LIVE_FRAMES) != 0) {
            throw ProgramContext.invalid(program, "EOPNOTSUPP", "live frames (BPF_F_TEST_XDP_LIVE_FRAMES) need a network device");
        }
        byte[] in = run.dataIn();
        ctxGiven = run.ctxIn().length > 0 || run.ctxOutSize() > 0;
        md = ProgramContext.fit(program, run.ctxIn(), MD_SIZE);
        int metaLength = Memory.getInt(md, 0);
        int headroom = HEADROOM;
        if (ctxGiven) {
            if (Memory.getInt(md, 8) != 0 || Memory.getInt(md, 4) != in.length || Integer.compareUnsigned(metaLength, in.length) > 0
                    || (metaLength & 3) != 0 || metaLength > 255) {
                throw ProgramContext.invalid(program, "EINVAL", "xdp_md must have data_meta 0, data_end equal to the "
                        + "data size and data (the metadata length) a multiple of 4 no larger than data_end and 255");
            }
            if (Memory.getInt(md, 20) != 0) {
                throw ProgramContext.invalid(program, "EINVAL", "xdp_md.egress_ifindex must be 0");
            }
            if (Memory.getInt(md, 12) == 0 && Memory.getInt(md, 16) != 0) {
                throw ProgramContext.invalid(program, "EINVAL", "xdp_md.rx_queue_index needs an ingress_ifindex");
            }
            headroom -= metaLength;
        }
        int maxData = FRAME_SIZE - headroom - TAILROOM;
        if (in.length < ETH_HLEN) {
            throw ProgramContext.invalid(program, "EINVAL", "packet is " + in.length + " bytes; XDP test runs take at least "
                    + ETH_HLEN);
        }
        int linear = Math.min(in.length, maxData);
        int rest = in.length - linear;
        if (rest > MAX_FRAGS * PAGE_SIZE) {
            throw ProgramContext.invalid(program, "ENOMEM", "packet is " + in.length + " bytes; the frame and "
                    + MAX_FRAGS + " fragments hold " + (maxData + MAX_FRAGS * PAGE_SIZE));
        }
        System.arraycopy(in, 0, frame, headroom, linear);
        frags = new byte[(rest + PAGE_SIZE - 1) / PAGE_SIZE][];
        fragSizes = new int[frags.length];
        for (int i = 0; i < frags.length; i++) {
            frags[i] = new byte[PAGE_SIZE];
            fragSizes[i] = Math.min(PAGE_SIZE, rest - i * PAGE_SIZE);
            System.arraycopy(in, linear + i * PAGE_SIZE, frags[i], 0, fragSizes[i]);
        }
        fragCount = frags.length;
        meta = headroom;
        data = headroom + (ctxGiven ? metaLength : 0);
        end = headroom + linear;
        ingressIfindex = ctxGiven && Memory.getInt(md, 12) != 0 ? Memory.getInt(md, 12) : LOOPBACK_IFINDEX;
        rxQueueIndex = ctxGiven ? Memory.getInt(md, 16) : 0;
        ctxOutSize = run.ctxOutSize();
        dataOutSize = run.dataOutSize();
        packet = new Region(Region.Kind.PACKET, "packet", frame, meta, end, false, null, null);
        ex.mem.setLocal(Memory.PACKET, packet);
        ex.mem.setLocal(Memory.CONTEXT, new Region(Region.Kind.CONTEXT, "context (struct xdp_md)", md, 0, 0, true, null, this));
    }

    static boolean handles(ProgramType type) {
        return type == ProgramType.XDP;
    }

    /** Whether the 4-byte field at {@code offset} is one that yields a packet pointer. */
    static boolean yieldsPacketPointer(int offset) {
        return offset == 0 || offset == 4 || offset == 8;
    }

    @Override
    public long argument() {
        return Memory.address(Memory.CONTEXT, 0);
    }

    @Override
    public long load(Execution ex, int offset, int size) {
        if (size != 4 || offset < 0 || offset > 16 || (offset & 3) != 0) {
            throw fault(offset, size, "read");
        }
        return switch (offset) {
            case 0 -> Memory.address(Memory.PACKET, data);
            case 4 -> Memory.address(Memory.PACKET, end);
            case 8 -> Memory.address(Memory.PACKET, meta);
            case 12 -> ingressIfindex & 0xffff_ffffL;
            default -> rxQueueIndex & 0xffff_ffffL;
        };
    }

    @Override
    public void store(Execution ex, int offset, int size, long value) {
        throw fault(offset, size, "write");
    }

    private static VmException fault(int offset, int size, String what) {
        return VmException.memory(Memory.address(Memory.CONTEXT, offset), "invalid " + what + " of " + size
                + " bytes at offset " + offset + " of struct xdp_md (the program may read the 4-byte fields data, "
                + "data_end, data_meta, ingress_ifindex and rx_queue_index)");
    }

    private void bounds() {
        packet.start = meta;
        packet.end = end;
    }

    /** bpf_xdp_adjust_head. */
    int adjustHead(int delta) {
        int metaLength = data - meta;
        long newData = (long) data + delta;
        if (newData < XDP_FRAME_SIZE + metaLength || newData > end - ETH_HLEN) {
            return -Errno.EINVAL;
        }
        if (metaLength > 0) {
            System.arraycopy(frame, meta, frame, meta + delta, metaLength);
        }
        meta += delta;
        data = (int) newData;
        bounds();
        return 0;
    }

    /** bpf_xdp_adjust_tail: on the last fragment when there are fragments. */
    int adjustTail(int delta) {
        if (fragCount > 0) {
            return delta < 0 ? shrinkFragments(-(long) delta) : growLastFragment(delta);
        }
        long newEnd = (long) end + delta;
        if (newEnd > FRAME_SIZE - TAILROOM || newEnd < data + ETH_HLEN) {
            return -Errno.EINVAL;
        }
        if (delta > 0) {
            Arrays.fill(frame, end, (int) newEnd, (byte) 0);
        }
        end = (int) newEnd;
        bounds();
        return 0;
    }

    /** bpf_xdp_adjust_meta. */
    int adjustMeta(int delta) {
        long newMeta = (long) meta + delta;
        if (newMeta < XDP_FRAME_SIZE || newMeta > data) {
            return -Errno.EINVAL;
        }
        long metaLength = data - newMeta;
        if ((metaLength & 3) != 0 || metaLength > 255) {
            return -Errno.EACCES;
        }
        meta = (int) newMeta;
        bounds();
        return 0;
    }

    private int growLastFragment(int delta) {
        int last = fragCount - 1;
        if (delta > PAGE_SIZE - fragSizes[last]) {
            return -Errno.EINVAL;
        }
        Arrays.fill(frags[last], fragSizes[last], fragSizes[last] + delta, (byte) 0);
        fragSizes[last] += delta;
        return 0;
    }

    private int shrinkFragments(long shrink) {
        if (shrink > length() - ETH_HLEN) {
            return -Errno.EINVAL;
        }
        while (fragCount > 0 && shrink > 0) {
            int cut = (int) Math.min(shrink, fragSizes[fragCount - 1]);
            fragSizes[fragCount - 1] -= cut;
            shrink -= cut;
            if (fragSizes[fragCount - 1] == 0) {
                fragCount--;
            }
        }
        end -= (int) shrink;
        bounds();
        return 0;
    }

    /** bpf_xdp_get_buff_len: the linear part and the fragments. */
    int length() {
        int n = end - data;
        for (int i = 0; i < fragCount; i++) {
            n += fragSizes[i];
        }
        return n;
    }

    /** bpf_xdp_load_bytes / bpf_xdp_store_bytes: copies between the packet (from data) and {@code buf}. */
    int copy(long offset, byte[] buf, int bufOff, long len, boolean store) {
        if (offset > 0xffff || len > 0xffff || offset < 0 || len < 0) {
            return -Errno.EFAULT;
        }
        if (offset + len > length()) {
            return -Errno.EINVAL;
        }
        int at = (int) offset;
        int n = (int) len;
        int linear = end - data;
        if (at < linear) {
            int part = Math.min(n, linear - at);
            transfer(frame, data + at, buf, bufOff, part, store);
            bufOff += part;
            n -= part;
            at = linear;
        }
        at -= linear;
        for (int i = 0; i < fragCount && n > 0; i++) {
            if (at < fragSizes[i]) {
                int part = Math.min(n, fragSizes[i] - at);
                transfer(frags[i], at, buf, bufOff, part, store);
                bufOff += part;
                n -= part;
                at = 0;
            } else {
                at -= fragSizes[i];
            }
        }
        return 0;
    }

    private static void transfer(byte[] packet, int at, byte[] buf, int bufOff, int n, boolean store) {
        if (store) {
            System.arraycopy(buf, bufOff, packet, at, n);
        } else {
            System.arraycopy(packet, at, buf, bufOff, n);
        }
    }

    /** The first {@code n} packet bytes from data, for perf_event_output's BPF_F_CTXLEN_MASK; null when n is too big. */
    byte[] head(int n) {
        return n > end - data ? null : Arrays.copyOfRange(frame, data, data + n);
    }

    @Override
    public TestRunResult result(long returnValue, long averageNs) {
        byte[] all = Arrays.copyOfRange(frame, meta, meta + (end - meta) + length() - (end - data));
        int at = end - meta;
        for (int i = 0; i < fragCount; i++) {
            System.arraycopy(frags[i], 0, all, at, fragSizes[i]);
            at += fragSizes[i];
        }
        byte[] out = ProgramContext.output(program, "data", all, dataOutSize);
        byte[] ctxOut = new byte[0];
        if (ctxGiven) {
            byte[] md2 = md.clone();
            Memory.putInt(md2, 0, data - meta);
            Memory.putInt(md2, 4, end - meta);
            ctxOut = ProgramContext.output(program, "context", md2, ctxOutSize);
        }
        return new TestRunResult(returnValue, out, ctxOut, averageNs);
    }
}
