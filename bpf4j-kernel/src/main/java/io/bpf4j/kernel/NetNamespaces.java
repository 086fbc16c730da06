package io.bpf4j.kernel;

import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Posix;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;

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
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("netns-" + namespace.getFileName()).start(() -> {
            int fd = Posix.open(namespace.toString(), Posix.O_RDONLY | Posix.O_CLOEXEC);
            if (fd < 0) {
                failure.set(new SystemCallException("open network namespace " + namespace, "open", -fd));
                return;
            }
            try (Fd ns = new Fd(fd)) {
                int r = Posix.setns(ns.get(), Posix.CLONE_NEWNET);
                if (r < 0) {
                    failure.set(new SystemCallException("enter network namespace " + namespace, "setns", -r));
                    return;
                }
                result.set(task.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running in " + namespace, e);
        }
        Throwable f = failure.get();
        if (f instanceof RuntimeException r) {
            throw r;
        }
        if (f instanceof Error err) {
            throw err;
        }
        if (f != null) {
            throw new IllegalStateException(new ExecutionException(f));
        }
        return result.get();
    }
}
