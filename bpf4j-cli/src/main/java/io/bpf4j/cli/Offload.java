package io.bpf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** bpftool's {@code offloaded_to} part: the device an offloaded map or program lives on. */
final class Offload {
    private Offload() {}

    static void plain(StringBuilder out, int ifindex, long nsDev, long nsIno) {
        if (ifindex == 0) {
            return;
        }
        String name = deviceName(ifindex, nsDev, nsIno);
        out.append("  offloaded_to ").append(name != null ? name
                : "ifindex " + Integer.toUnsignedString(ifindex) + " ns_dev " + Long.toUnsignedString(nsDev)
                        + " ns_ino " + Long.toUnsignedString(nsIno));
    }

    static void json(JsonWriter w, int ifindex, long nsDev, long nsIno) {
        if (ifindex == 0) {
            return;
        }
        w.name("dev").startObject();
        w.name("ifindex").unsigned(Integer.toUnsignedLong(ifindex));
        w.name("ns_dev").unsigned(nsDev);
        w.name("ns_inode").unsigned(nsIno);
        String name = deviceName(ifindex, nsDev, nsIno);
        if (name != null) {
            w.field("ifname", name);
        }
        w.endObject();
    }

    /** The device's name if it is in this process's network namespace. */
    private static String deviceName(int ifindex, long nsDev, long nsIno) {
        try {
            Path ns = Path.of("/proc/self/ns/net");
            long dev = ((Number) Files.getAttribute(ns, "unix:dev")).longValue();
            long ino = ((Number) Files.getAttribute(ns, "unix:ino")).longValue();
            if (dev != nsDev || ino != nsIno) {
                return null;
            }
            try (var devices = Files.list(Path.of("/sys/class/net"))) {
                for (Path d : (Iterable<Path>) devices::iterator) {
                    if (Files.readString(d.resolve("ifindex")).trim().equals(Integer.toUnsignedString(ifindex))) {
                        return d.getFileName().toString();
                    }
                }
            }
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
        return null;
    }
}
