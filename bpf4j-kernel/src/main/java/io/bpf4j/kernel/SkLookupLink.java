package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Posix;
import java.nio.file.Path;

/**
 * An sk_lookup program on a network namespace: it runs when the kernel looks for the socket
 * of an incoming connection or datagram, and may pick the socket or drop the packet.
 *
 * <pre>{@code
 * try (SkLookupLink link = SkLookupLink.attach(program, Path.of("/proc/self/ns/net"))) { ... }
 * }</pre>
 */
public final class SkLookupLink extends SingleKernelLink {

    private SkLookupLink(KernelLink link) {
        super(link, "sk_lookup");
    }

    /** Attaches to the network namespace {@code netns} refers to ({@code /proc/PID/ns/net}, {@code /run/netns/NAME}). */
    public static SkLookupLink attach(KernelProgram program, Path netns) {
        return new SkLookupLink(attachToNetns(program, netns, AttachType.SK_LOOKUP));
    }

    /** Attaches to the calling thread's network namespace. */
    public static SkLookupLink attach(KernelProgram program) {
        return attach(program, Path.of("/proc/thread-self/ns/net"));
    }

    /** A netns link (sk_lookup, flow dissector) on the namespace file {@code netns}. */
    static KernelLink attachToNetns(KernelProgram program, Path netns, AttachType type) {
        int fd = Posix.open(netns.toString(), Posix.O_RDONLY | Posix.O_CLOEXEC);
        if (fd < 0) {
            throw new SystemCallException("open network namespace " + netns, "open", -fd);
        }
        try (Fd ns = new Fd(fd)) {
            return KernelLink.create("attach " + program + " to network namespace " + netns, program, ns.get(), type, 0,
                    attr -> {});
        }
    }
}
