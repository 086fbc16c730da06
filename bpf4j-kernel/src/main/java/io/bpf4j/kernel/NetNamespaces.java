package io.bpf4j.kernel;

import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Posix;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * Code run inside another network namespace, on a thread of its own that entered it with
 * setns(2), so that the rest of the JVM stays where it was. What the code opens there
 * (sockets, device lookups by name, links by ifindex) belongs to that namespace.
 *
 * <pre>{@code
 * int index = NetNamespaces.call(Path.of("/run/netns/demo"), () -> NetDevice.of("veth1").index());
 * }</pre>
 */
public final class NetNamespaces {
    private NetNamespaces() {}

    /**
     * Calls {@code task} on a new thread inside the namespace {@code namespace} names (a bind
     * mount such as {@code /run/netns/NAME}, or {@code /proc/PID/ns/net}) and returns its result.
     * Runtime exceptions and errors of the task are rethrown as they are; checked ones wrapped
     * in an {@link IllegalStateException}.
     */
    public static <T> T call(Path namespace, Callable<T> task) {
        return OwnThread.call("netns-" + namespace.getFileName(), () -> {
            int fd = Posix.open(namespace.toString(), Posix.O_RDONLY | Posix.O_CLOEXEC);
            if (fd < 0) {
                throw new SystemCallException("open network namespace " + namespace, "open", -fd);
            }
            try (Fd ns = new Fd(fd)) {
                int r = Posix.setns(ns.get(), Posix.CLONE_NEWNET);
                if (r < 0) {
                    throw new SystemCallException("enter network namespace " + namespace, "setns", -r);
                }
            }
            return task.call();
        });
    }
}
