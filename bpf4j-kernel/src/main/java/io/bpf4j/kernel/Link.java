package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A program attached to a hook. Closing it detaches the program (unless the link was
 * pinned, which keeps a bpf_link alive). Each hook family has its own class: {@link XdpLink},
 * {@link TcxLink}, {@link TcFilter}, {@link TracepointLink}, {@link RawTracepointLink},
 * {@link TracingLink}, {@link UprobeLink}, {@link KprobeLink}, {@link PerfEventLink},
 * {@link CgroupLink}, {@link SocketFilter}, {@link SkLookupLink}, {@link NetfilterLink},
 * {@link SockMapLink}; {@link KernelLink} is any bpf_link, for example one opened by id.
 *
 * <pre>{@code
 * try (Link link = TracepointLink.attach(program, "sched", "sched_process_exec")) {
 *     link.pin(Path.of("/sys/fs/bpf/exec"));   // survives this process
 * }
 * }</pre>
 */
public sealed interface Link extends AutoCloseable
        permits KernelLink, SingleKernelLink, PerfEventBacked, XdpLink, TcFilter, CgroupLink, SocketFilter {

    /** The kernel's bpf_link behind this attachment, when the kernel made one (not for netlink or legacy attachments). */
    Optional<KernelLink> kernelLink();

    /** The link's id, or 0 for an attachment without a bpf_link. */
    default int id() {
        return kernelLink().map(KernelLink::id).orElse(0);
    }

    /** Pins the bpf_link at {@code path} on a bpffs, so it outlives this process. */
    default void pin(Path path) {
        requireKernelLink("pin").pin(path);
    }

    /** Atomically replaces the program of the bpf_link. */
    default void update(KernelProgram program) {
        requireKernelLink("update").update(program);
    }

    /** Reads the link's info from the kernel. */
    default LinkInfo info() {
        return requireKernelLink("read info of").info();
    }

    private KernelLink requireKernelLink(String action) {
        return kernelLink().orElseThrow(() -> new BpfException("cannot " + action + " " + this
                + ": it is attached without a bpf_link (netlink or legacy attach)"));
    }

    /** Detaches the program and releases every file descriptor. Closing twice is harmless. */
    @Override
    void close();
}
