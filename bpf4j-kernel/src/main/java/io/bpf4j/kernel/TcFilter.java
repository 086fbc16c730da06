package io.bpf4j.kernel;

import io.bpf4j.kernel.sys.Errno;
import io.bpf4j.kernel.sys.Layouts.Tcmsg;
import io.bpf4j.kernel.sys.NetlinkMessage;
import io.bpf4j.kernel.sys.NetlinkMessage.Attribute;
import io.bpf4j.kernel.sys.NetlinkMessage.Attributes;
import io.bpf4j.kernel.sys.NetlinkMessage.Message;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A classic tc program: a {@code cls_bpf} filter in direct-action mode on the {@code clsact}
 * qdisc of a device, made over rtnetlink as {@code tc filter add dev D ingress bpf da} does;
 * {@code tc filter show} lists it. The qdisc is created when missing and left in place.
 *
 * <pre>{@code
 * try (TcFilter f = TcFilter.attach(program, NetDevice.of("eth0"), TcFilter.Hook.INGRESS)) {
 *     System.out.println(f.handle() + " prio " + f.priority());
 * }
 * }</pre>
 */
public final class TcFilter implements Link {
    private static final int TCA_KIND = 1;
    private static final int TCA_OPTIONS = 2;
    private static final int TCA_BPF_FD = 6;
    private static final int TCA_BPF_NAME = 7;
    private static final int TCA_BPF_FLAGS = 8;
    private static final int TCA_BPF_TAG = 10;
    private static final int TCA_BPF_ID = 11;
    private static final int TCA_BPF_FLAG_ACT_DIRECT = 1;
    private static final int TC_H_CLSACT = 0xFFFFFFF1;
    private static final int ETH_P_ALL = 0x0003;
    private static final int NLM_F_ECHO = 0x08;

    /** The clsact hook: its minor number under the qdisc. */
    public enum Hook {
        INGRESS(0xFFF2, "clsact/ingress"),
        EGRESS(0xFFF3, "clsact/egress");

        private final int minor;
        private final String bpftoolName;

        Hook(int minor, String bpftoolName) {
            this.minor = minor;
            this.bpftoolName = bpftoolName;
        }

        /** The {@code tcm_parent} of filters on this hook. */
        public int parent() {
            return (TC_H_CLSACT & 0xFFFF0000) | minor;
        }

        /** How {@code bpftool net show} names the hook. */
        public String bpftoolName() {
            return bpftoolName;
        }
    }

    /**
     * A cls_bpf filter as the kernel lists it.
     *
     * @param name what the loader named it ({@code TCA_BPF_NAME}), e.g. {@code prog:[12]}
     * @param tag  the program tag as 16 hex digits
     */
    public record Filter(int handle, int priority, int protocol, String name, int progId, String tag,
            boolean directAction) {}

    private final NetDevice device;
    private final Hook hook;
    private final int handle;
    private final int priority;
    private boolean closed;

    private TcFilter(NetDevice device, Hook hook, int handle, int priority) {
        this.device = device;
        this.hook = hook;
        this.handle = handle;
        this.priority = priority;
    }

    /** Attaches with a handle and priority the kernel chooses. */
    public static TcFilter attach(KernelProgram program, NetDevice device, Hook hook) {
        return attach(program, device, hook, 0, 0);
    }

    /**
     * Attaches as filter {@code handle} at {@code priority} (0 for each lets the kernel choose);
     * fails if that filter exists.
     */
    public static TcFilter attach(KernelProgram program, NetDevice device, Hook hook, int handle, int priority) {
        String what = "attach tc " + hook.name().toLowerCase(Locale.ROOT) + " " + program + " to " + device;
        try (Rtnetlink nl = Rtnetlink.open()) {
            ensureClsact(nl, device);
            NetlinkMessage.Builder req = NetlinkMessage.request(NetlinkMessage.RTM_NEWTFILTER,
                    NetlinkMessage.NLM_F_CREATE | NetlinkMessage.NLM_F_EXCL | NLM_F_ECHO)
                    .body(tcmsg(device, hook.parent(), handle, priority << 16 | Short.toUnsignedInt(htons(ETH_P_ALL))))
                    .attrString(TCA_KIND, "bpf")
                    .begin(TCA_OPTIONS)
                    .attrU32(TCA_BPF_FD, program.fd())
                    .attrString(TCA_BPF_NAME, program.name() + ":[" + program.id() + "]")
                    .attrU32(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT)
                    .end();
            for (Message m : nl.execute(req, what, "RTM_NEWTFILTER")) {
                if (m.type() == NetlinkMessage.RTM_NEWTFILTER) {
                    int info = m.payload().getInt(Tcmsg.TCM_INFO.offset());
                    return new TcFilter(device, hook, m.payload().getInt(Tcmsg.TCM_HANDLE.offset()), info >>> 16);
                }
            }
            return new TcFilter(device, hook, handle, priority);
        }
    }

    private static void ensureClsact(Rtnetlink nl, NetDevice device) {
        try {
            nl.execute(NetlinkMessage.request(NetlinkMessage.RTM_NEWQDISC, NetlinkMessage.NLM_F_CREATE
                    | NetlinkMessage.NLM_F_EXCL).body(tcmsg(device, TC_H_CLSACT, TC_H_CLSACT & 0xFFFF0000, 0))
                    .attrString(TCA_KIND, "clsact"), "add clsact qdisc to " + device, "RTM_NEWQDISC");
        } catch (SystemCallException e) {
            if (e.errno() != Errno.EEXIST) {
                throw e;
            }
        }
    }

    /** Removes the clsact qdisc of {@code device}, and with it every classic tc filter on it. */
    public static void removeClsact(NetDevice device) {
        try (Rtnetlink nl = Rtnetlink.open()) {
            nl.execute(NetlinkMessage.request(NetlinkMessage.RTM_DELQDISC, 0)
                    .body(tcmsg(device, TC_H_CLSACT, TC_H_CLSACT & 0xFFFF0000, 0)), "remove clsact qdisc of " + device,
                    "RTM_DELQDISC");
        }
    }

    /** The cls_bpf filters on {@code hook} of {@code device}; none when it has no clsact qdisc. */
    public static List<Filter> list(NetDevice device, Hook hook) {
        try {
            return list(device, hook.parent());
        } catch (SystemCallException e) {
            if (e.errno() == Errno.EINVAL || e.errno() == Errno.ENOENT) {
                return List.of(); // no clsact qdisc: no filters
            }
            throw e;
        }
    }

    /**
     * The cls_bpf filters under {@code parent} (a qdisc or class handle, or a clsact hook); a
     * parent the device does not have is an error (EINVAL).
     */
    public static List<Filter> list(NetDevice device, int parent) {
        List<Filter> filters = new ArrayList<>();
        List<Message> replies;
        try (Rtnetlink nl = Rtnetlink.open()) {
            replies = nl.dump(NetlinkMessage.request(NetlinkMessage.RTM_GETTFILTER, NetlinkMessage.NLM_F_DUMP)
                    .body(tcmsg(device, parent, 0, 0)), "list tc filters of " + device, "RTM_GETTFILTER");
        }
        for (Message m : replies) {
            Attributes a = m.attributes(Tcmsg.SIZE);
            if (!a.get(TCA_KIND).map(Attribute::string).orElse("").equals("bpf")) {
                continue;
            }
            Optional<Attributes> o = a.get(TCA_OPTIONS).map(Attribute::nested);
            if (o.isEmpty()) {
                continue; // the chain header of a priority, not a filter
            }
            Attributes opt = o.get();
            int info = m.payload().getInt(Tcmsg.TCM_INFO.offset());
            filters.add(new Filter(m.payload().getInt(Tcmsg.TCM_HANDLE.offset()), info >>> 16,
                    Short.toUnsignedInt(htons(info & 0xFFFF)), opt.get(TCA_BPF_NAME).map(Attribute::string).orElse(""),
                    opt.get(TCA_BPF_ID).map(Attribute::u32).orElse(0),
                    opt.get(TCA_BPF_TAG).map(t -> HexFormat.of().formatHex(t.bytes())).orElse(""),
                    (opt.get(TCA_BPF_FLAGS).map(Attribute::u32).orElse(0) & TCA_BPF_FLAG_ACT_DIRECT) != 0));
        }
        return filters;
    }

    /** A qdisc or class that may hold filters: its kind ({@code htb}, ...) and handle. */
    public record Parent(String kind, int handle) {}

    /**
     * The classes, then the qdiscs (but clsact and those without a handle), that the kernel
     * lists for {@code device}: where {@code bpftool net show} looks for filters besides the
     * root and clsact hooks.
     */
    public static List<Parent> parents(NetDevice device) {
        List<Parent> parents = new ArrayList<>();
        try (Rtnetlink nl = Rtnetlink.open()) {
            for (int type : new int[] {NetlinkMessage.RTM_GETTCLASS, NetlinkMessage.RTM_GETQDISC}) {
                boolean qdisc = type == NetlinkMessage.RTM_GETQDISC;
                for (Message m : nl.dump(NetlinkMessage.request(type, NetlinkMessage.NLM_F_DUMP)
                        .body(tcmsg(device, 0, 0, 0)), "list tc " + (qdisc ? "qdiscs" : "classes") + " of " + device,
                        qdisc ? "RTM_GETQDISC" : "RTM_GETTCLASS")) {
                    String kind = m.attributes(Tcmsg.SIZE).get(TCA_KIND).map(Attribute::string).orElse("unknown");
                    int handle = m.payload().getInt(Tcmsg.TCM_HANDLE.offset());
                    if (!qdisc || (!kind.equals("clsact") && handle != 0)) {
                        parents.add(new Parent(kind, handle));
                    }
                }
            }
        }
        return parents;
    }

    private static byte[] tcmsg(NetDevice device, int parent, int handle, int info) {
        ByteBuffer b = ByteBuffer.allocate(Tcmsg.SIZE).order(ByteOrder.nativeOrder());
        b.putInt(Tcmsg.TCM_IFINDEX.offset(), device.index());
        b.putInt(Tcmsg.TCM_HANDLE.offset(), handle);
        b.putInt(Tcmsg.TCM_PARENT.offset(), parent);
        b.putInt(Tcmsg.TCM_INFO.offset(), info);
        return b.array();
    }

    /** A 16-bit value in network byte order, as tc wants the protocol. */
    private static short htons(int v) {
        return ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? (short) v : Short.reverseBytes((short) v);
    }

    public NetDevice device() {
        return device;
    }

    public Hook hook() {
        return hook;
    }

    public int handle() {
        return handle;
    }

    public int priority() {
        return priority;
    }

    @Override
    public Optional<KernelLink> kernelLink() {
        return Optional.empty();
    }

    /** Deletes the filter (the qdisc stays). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Rtnetlink nl = Rtnetlink.open()) {
            nl.execute(NetlinkMessage.request(NetlinkMessage.RTM_DELTFILTER, 0)
                    .body(tcmsg(device, hook.parent(), handle, priority << 16 | Short.toUnsignedInt(htons(ETH_P_ALL))))
                    .attrString(TCA_KIND, "bpf"), "remove " + this, "RTM_DELTFILTER");
        } catch (SystemCallException e) {
            if (e.errno() != Errno.ENOENT && e.errno() != Errno.EINVAL && e.errno() != Errno.ENODEV) {
                throw e; // already gone with its qdisc or device
            }
        }
    }

    @Override
    public String toString() {
        return "tc filter " + Integer.toHexString(handle) + " prio " + priority + " on " + device + " "
                + hook.bpftoolName();
    }
}
