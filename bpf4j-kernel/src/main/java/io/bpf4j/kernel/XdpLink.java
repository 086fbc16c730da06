package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.kernel.sys.Errno;
import io.bpf4j.kernel.sys.Layouts.Ifinfomsg;
import io.bpf4j.kernel.sys.NetlinkMessage;
import io.bpf4j.kernel.sys.NetlinkMessage.Attributes;
import io.bpf4j.kernel.sys.NetlinkMessage.Message;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An XDP program on a network device. {@link #attach} makes a bpf_link, which detaches
 * when closed and falls back to netlink on kernels without XDP links; {@link #attachNetlink}
 * makes the classic netlink attachment that stays until detached (as {@code bpftool net
 * attach} and {@code ip link set dev D xdp} do).
 *
 * <pre>{@code
 * try (XdpLink link = XdpLink.attach(program, NetDevice.of("veth0"), XdpLink.Mode.GENERIC)) {
 *     XdpLink.Status s = XdpLink.status(NetDevice.of("veth0"));   // s.progId() == program.id()
 * }
 * }</pre>
 */
public final class XdpLink implements Link {
    private static final int IFLA_XDP = 43;
    private static final int IFLA_XDP_FD = 1;
    private static final int IFLA_XDP_ATTACHED = 2;
    private static final int IFLA_XDP_FLAGS = 3;
    private static final int IFLA_XDP_PROG_ID = 4;
    private static final int IFLA_XDP_DRV_PROG_ID = 5;
    private static final int IFLA_XDP_SKB_PROG_ID = 6;
    private static final int IFLA_XDP_HW_PROG_ID = 7;
    private static final int IFLA_XDP_EXPECTED_FD = 8;
    /** Fail rather than replace a program already attached. */
    static final int XDP_FLAGS_UPDATE_IF_NOEXIST = 1;
    static final int XDP_FLAGS_REPLACE = 1 << 4;

    /** Where the program runs: chosen by the kernel, generic (skb), in the driver, or offloaded to the NIC. */
    public enum Mode {
        DEFAULT(0, "xdp"),
        GENERIC(1 << 1, "xdpgeneric"),
        DRIVER(1 << 2, "xdpdrv"),
        OFFLOAD(1 << 3, "xdpoffload");

        private final int flag;
        private final String bpftoolName;

        Mode(int flag, String bpftoolName) {
            this.flag = flag;
            this.bpftoolName = bpftoolName;
        }

        /** The {@code XDP_FLAGS_*_MODE} bit. */
        public int flag() {
            return flag;
        }

        /** The attach type name of {@code bpftool net attach}. */
        public String bpftoolName() {
            return bpftoolName;
        }
    }

    /**
     * What is attached to a device ({@code IFLA_XDP}): {@code attached} is the kernel's
     * {@code XDP_ATTACHED_*} (0 none, 1 driver, 2 generic, 3 offload, 4 several), the ids are
     * 0 where nothing is attached.
     */
    public record Status(NetDevice device, int attached, int progId, int genericProgId, int driverProgId,
            int offloadProgId) {
        public static final int NONE = 0;
        public static final int DRIVER = 1;
        public static final int GENERIC = 2;
        public static final int OFFLOAD = 3;
        public static final int MULTI = 4;
    }

    private final NetDevice device;
    private final Mode mode;
    private final KernelLink link;
    /** For a netlink attachment: our own handle on the attached program, to detach only if it is still ours. */
    private KernelProgram netlinkProgram;
    private boolean closed;

    private XdpLink(NetDevice device, Mode mode, KernelLink link, KernelProgram netlinkProgram) {
        this.device = device;
        this.mode = mode;
        this.link = link;
        this.netlinkProgram = netlinkProgram;
    }

    /**
     * Attaches {@code program} to {@code device} with a bpf_link; where the kernel has no XDP
     * links, through netlink, failing if another program is attached.
     */
    public static XdpLink attach(KernelProgram program, NetDevice device, Mode mode) {
        String what = "attach XDP " + program + " to " + device;
        try {
            return new XdpLink(device, mode, KernelLink.create(what, program, device.index(), AttachType.XDP, mode.flag(),
                    attr -> {}), null);
        } catch (BpfSyscallException e) {
            if (e.errno() != Errno.EINVAL && e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.ENOTSUPP) {
                throw e;
            }
            try {
                return attachNetlink(program, device, mode, false);
            } catch (RuntimeException n) {
                n.addSuppressed(e);
                throw n;
            }
        }
    }

    /**
     * Attaches through netlink ({@code RTM_SETLINK}); the program stays attached after this
     * process exits, until {@link #detachNetlink} or {@link #close()}. Without {@code replace}
     * it fails when a program is attached already.
     */
    public static XdpLink attachNetlink(KernelProgram program, NetDevice device, Mode mode, boolean replace) {
        setNetlink(device, program.fd(), mode.flag() | (replace ? 0 : XDP_FLAGS_UPDATE_IF_NOEXIST), -1,
                "attach XDP " + program + " to " + device);
        return new XdpLink(device, mode, null, KernelProgram.openById(program.id()));
    }

    /** Detaches whatever program is attached to {@code device} in {@code mode} through netlink. */
    public static void detachNetlink(NetDevice device, Mode mode) {
        setNetlink(device, -1, mode.flag(), -1, "detach XDP from " + device);
    }

    private static void setNetlink(NetDevice device, int progFd, int flags, int expectedFd, String what) {
        byte[] ifinfo = new byte[Ifinfomsg.SIZE];
        ByteBuffer.wrap(ifinfo).order(ByteOrder.nativeOrder()).putInt(Ifinfomsg.IFI_INDEX.offset(), device.index());
        NetlinkMessage.Builder req = NetlinkMessage.request(NetlinkMessage.RTM_SETLINK, 0).body(ifinfo)
                .begin(IFLA_XDP).attrU32(IFLA_XDP_FD, progFd);
        if (flags != 0) {
            req.attrU32(IFLA_XDP_FLAGS, flags);
        }
        if (expectedFd >= 0) {
            req.attrU32(IFLA_XDP_EXPECTED_FD, expectedFd);
        }
        try (Rtnetlink nl = Rtnetlink.open()) {
            nl.execute(req.end(), what, "RTM_SETLINK");
        }
    }

    /** What is attached to {@code device}. */
    public static Status status(NetDevice device) {
        return statusOfAll().stream().filter(s -> s.device().index() == device.index()).findFirst()
                .orElse(new Status(device, Status.NONE, 0, 0, 0, 0));
    }

    /** What is attached to every device of this network namespace, devices without XDP included. */
    public static List<Status> statusOfAll() {
        List<Status> all = new ArrayList<>();
        for (Message m : NetDevice.dumpLinks()) {
            Attributes a = m.attributes(Ifinfomsg.SIZE);
            NetDevice d = new NetDevice(m.payload().getInt(Ifinfomsg.IFI_INDEX.offset()),
                    a.get(NetDevice.IFLA_IFNAME).map(NetlinkMessage.Attribute::string).orElse(""));
            Optional<Attributes> xdp = a.get(IFLA_XDP).map(NetlinkMessage.Attribute::nested);
            all.add(new Status(d, xdp.flatMap(x -> x.get(IFLA_XDP_ATTACHED)).map(NetlinkMessage.Attribute::u8).orElse(0),
                    u32(xdp, IFLA_XDP_PROG_ID), u32(xdp, IFLA_XDP_SKB_PROG_ID), u32(xdp, IFLA_XDP_DRV_PROG_ID),
                    u32(xdp, IFLA_XDP_HW_PROG_ID)));
        }
        return all;
    }

    private static int u32(Optional<Attributes> xdp, int type) {
        return xdp.flatMap(x -> x.get(type)).map(NetlinkMessage.Attribute::u32).orElse(0);
    }

    /**
     * Atomically replaces the program: through the link, or through netlink only if the
     * program this object attached is still the one on the device.
     */
    @Override
    public synchronized void update(KernelProgram program) {
        if (link != null) {
            link.update(program);
            return;
        }
        setNetlink(device, program.fd(), mode.flag() | XDP_FLAGS_REPLACE, netlinkProgram.fd(),
                "replace XDP " + netlinkProgram + " on " + device + " by " + program);
        KernelProgram previous = netlinkProgram;
        netlinkProgram = KernelProgram.openById(program.id());
        previous.close();
    }

    public NetDevice device() {
        return device;
    }

    public Mode mode() {
        return mode;
    }

    @Override
    public Optional<KernelLink> kernelLink() {
        return Optional.ofNullable(link);
    }

    /** Detaches: closes the link, or removes the netlink attachment if it is still this object's program. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (link != null) {
            link.close();
            return;
        }
        try (KernelProgram ours = netlinkProgram) {
            setNetlink(device, -1, mode.flag() | XDP_FLAGS_REPLACE, ours.fd(), "detach XDP from " + device);
        } catch (SystemCallException e) {
            if (e.errno() != Errno.EEXIST && e.errno() != Errno.ENODEV) {
                throw e; // EEXIST: another program replaced ours; ENODEV: the device is gone
            }
        }
    }

    @Override
    public String toString() {
        return "XDP " + (link != null ? link + " " : "") + "on " + device + " (" + mode.bpftoolName() + ")";
    }
}
