package io.bpf4j.kernel.testing;

import io.bpf4j.kernel.NetNamespaces;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace made with {@code ip netns add} for one test and deleted (with its
 * devices) on close. Code runs inside it on a thread of its own that entered it with setns(2),
 * so the rest of the JVM stays where it was.
 *
 * <pre>{@code
 * try (NetNamespace ns = NetNamespace.create("xdp")) {
 *     ns.ip("link", "set", "lo", "up");
 *     int index = ns.run(() -> NetDevice.of("lo").index());
 * }
 * }</pre>
 */
public final class NetNamespace implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final String name;
    private boolean closed;

    private NetNamespace(String name) {
        this.name = name;
    }

    /** Creates {@code bpf4j-PURPOSE-PID-N} with IPv6 off, so no router or neighbour traffic appears unasked. */
    public static NetNamespace create(String purpose) {
        String name = "bpf4j-" + purpose + "-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        command("ip", "netns", "add", name);
        NetNamespace ns = new NetNamespace(name);
        try {
            ns.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
            ns.exec("sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1");
            ns.ip("link", "set", "lo", "up");
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    public String name() {
        return name;
    }

    /** The bind mount that names the namespace. */
    public String path() {
        return "/run/netns/" + name;
    }

    /** Runs {@code ip -n NAME args...}; a failure throws with ip's message. */
    public String ip(String... args) {
        return withNamespaceOption("ip", args);
    }

    /** Runs {@code tc -n NAME args...}. */
    public String tc(String... args) {
        return withNamespaceOption("tc", args);
    }

    private String withNamespaceOption(String tool, String... args) {
        List<String> cmd = new ArrayList<>(List.of(tool, "-n", name));
        cmd.addAll(List.of(args));
        return command(cmd.toArray(String[]::new));
    }

    /** Runs a command inside the namespace ({@code ip netns exec}). */
    public String exec(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
        cmd.addAll(List.of(args));
        return command(cmd.toArray(String[]::new));
    }

    /** Calls {@code task} on a new thread inside the namespace and returns its result; its exceptions are rethrown. */
    public <T> T run(Callable<T> task) {
        return NetNamespaces.call(Path.of(path()), task);
    }

    /** Runs {@code task} inside the namespace. */
    public void run(ThrowingRunnable task) {
        run(() -> {
            task.run();
            return null;
        });
    }

    /** A task that may throw. */
    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Runs a command and returns its output; a non-zero exit throws with the output. */
    public static String command(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.DISCARD.file())
                    .start();
            String out;
            try (var stdout = p.getInputStream()) {
                out = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out.strip());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            command("ip", "netns", "del", name);
        }
    }
}
