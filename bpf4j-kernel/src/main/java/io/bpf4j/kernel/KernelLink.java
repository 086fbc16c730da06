package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.kernel.sys.BpfCmd;
import io.bpf4j.kernel.sys.Fd;
import java.nio.file.Path;

/**
 * A link (a program attached to a hook) opened by id or from a pin, to read its information
 * or pin it again. Closing the handle does not detach a link that is pinned or held elsewhere.
 *
 * <pre>{@code
 * for (int id : Kernel.linkIds()) {
 *     try (KernelLink l = KernelLink.openById(id)) { System.out.println(l.info()); }
 * }
 * }</pre>
 */
public final class KernelLink implements AutoCloseable {
    private final Fd fd;
    private final int id;

    private KernelLink(Fd fd) {
        this.fd = fd;
        try {
            this.id = LinkInfo.of(fd.get(), "read link info").id();
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** Opens the link with kernel id {@code id}. */
    public static KernelLink openById(int id) {
        return new KernelLink(Sys.openById(BpfCmd.LINK_GET_FD_BY_ID, id, "open link id " + id));
    }

    /** Opens the link pinned at {@code path}. */
    public static KernelLink openPinned(Path path) {
        Fd fd = Sys.getPinned(path.toString(), 0, "open pinned link");
        String kind = FdInfo.kind(fd.get());
        if (!kind.equals("bpf-link")) {
            fd.close();
            throw new BpfException(path + " is not a link but a " + kind);
        }
        return new KernelLink(fd);
    }

    public int fd() {
        int f = fd.get();
        if (f < 0) {
            throw new IllegalStateException(this + " is closed");
        }
        return f;
    }

    public int id() {
        return id;
    }

    /** Fresh information from the kernel. */
    public LinkInfo info() {
        return LinkInfo.of(fd(), "read info of " + this);
    }

    /** Pins the link at {@code path} on a bpffs. */
    public void pin(Path path) {
        Sys.pin(fd(), path.toString(), "pin " + this);
    }

    @Override
    public String toString() {
        return "link id " + id;
    }

    @Override
    public void close() {
        fd.close();
    }
}
