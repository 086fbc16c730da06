package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.kernel.sys.Layouts.Ifinfomsg;
import io.bpf4j.kernel.sys.NetlinkMessage;
import io.bpf4j.kernel.sys.NetlinkMessage.Message;
import io.bpf4j.kernel.sys.Posix;
import java.util.ArrayList;
import java.util.List;

/**
 * A network device of the calling thread's network namespace, by index and name.
 *
 * <pre>{@code
 * NetDevice eth0 = NetDevice.of("eth0");
 * for (NetDevice d : NetDevice.all()) System.out.println(d.index() + ": " + d.name());
 * }</pre>
 */
public record NetDevice(int index, String name) {
    static final int IFLA_IFNAME = 3;

    /** The device named {@code name}; a clear error when there is none. */
    public static NetDevice of(String name) {
        int index = Posix.ifNameToIndex(name);
        if (index == 0) {
            throw new BpfException("no network device '" + name + "' in this network namespace");
        }
        return new NetDevice(index, name);
    }

    /** The device with index {@code index}; a clear error when there is none. */
    public static NetDevice of(int index) {
        String name = index > 0 ? Posix.ifIndexToName(index) : null;
        if (name == null) {
            throw new BpfException("no network device with index " + index + " in this network namespace");
        }
        return new NetDevice(index, name);
    }

    /** Every device, in the kernel's order (by index). */
    public static List<NetDevice> all() {
        List<NetDevice> devices = new ArrayList<>();
        for (Message m : dumpLinks()) {
            devices.add(new NetDevice(m.payload().getInt(Ifinfomsg.IFI_INDEX.offset()),
                    m.attributes(Ifinfomsg.SIZE).get(IFLA_IFNAME).map(NetlinkMessage.Attribute::string).orElse("")));
        }
        return devices;
    }

    /** The {@code RTM_NEWLINK} messages of every device ({@code RTM_GETLINK} dump), for callers that read more attributes. */
    static List<Message> dumpLinks() {
        byte[] ifinfo = new byte[Ifinfomsg.SIZE];
        ifinfo[Ifinfomsg.IFI_FAMILY.offset()] = (byte) Posix.AF_PACKET;
        try (Rtnetlink nl = Rtnetlink.open()) {
            return nl.dump(NetlinkMessage.request(NetlinkMessage.RTM_GETLINK, NetlinkMessage.NLM_F_DUMP).body(ifinfo),
                    "list network devices", "RTM_GETLINK");
        }
    }

    @Override
    public String toString() {
        return name + "(" + index + ")";
    }
}
