package io.bpf4j.kernel;

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
public final class KernelLink extends KernelObject {
    private final int id;

    private KernelLink(Fd fd, int id) {
        super(fd);
        this.id = id;
    }

    private static KernelLink adopt(Fd fd) {
        return closingOnFailure(fd, f -> new KernelLink(f, LinkInfo.of(f.get(), "read link info").id()));
    }

    /** Opens the link with kernel id {@code id}. */
    public static KernelLink openById(int id) {
        return adopt(Sys.openById(BpfCmd.LINK_GET_FD_BY_ID, id, "open link id " + id));
    }

    /** Opens the link pinned at {@code path}. */
    public static KernelLink openPinned(Path path) {
        return adopt(openPinned(path, "bpf-link", "link"));
    }

    @Override
    public int id() {
        return id;
    }

    /** Fresh information from the kernel. */
    public LinkInfo info() {
        return LinkInfo.of(fd(), "read info of " + this);
    }

    /** Pins the link at {@code path} on a bpffs. */
    public void pin(Path path) {
        pinAt(path);
    }

    @Override
    public String toString() {
        return "link id " + id;
    }
}
