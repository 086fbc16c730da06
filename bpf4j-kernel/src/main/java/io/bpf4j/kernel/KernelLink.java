package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.LinkType;
import io.bpf4j.kernel.sys.BpfCmd;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Layouts.LinkCreate;
import io.bpf4j.kernel.sys.Layouts.LinkDetach;
import io.bpf4j.kernel.sys.Layouts.LinkUpdate;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A bpf_link: a program attached to a hook, owned through a file descriptor. Closing the
 * last descriptor detaches the program unless the link is pinned.
 *
 * <pre>{@code
 * try (KernelLink link = KernelLink.openPinned(Path.of("/sys/fs/bpf/my_link"))) {
 *     System.out.println(link.info());
 *     link.detach();   // the program stops running; the pin stays until removed
 * }
 * }</pre>
 */
public final class KernelLink extends KernelObject implements Link {
    private final int typeId;

    private KernelLink(Fd fd, LinkInfo info) {
        super(fd, info.id());
        this.typeId = info.typeId();
    }

    /**
     * {@code BPF_LINK_CREATE} of {@code program} on {@code target} (an fd or ifindex, by attach
     * type); {@code extra} fills the type-specific part of the attr.
     */
    static KernelLink create(String what, KernelProgram program, int target, AttachType type, int flags,
            Consumer<MemorySegment> extra) {
        try (Arena arena = Arena.ofConfined()) {
            return adopt(Sys.callForFd(BpfCmd.LINK_CREATE, createAttr(arena, program.fd(), target, type, flags, extra),
                    what));
        }
    }

    /** The {@code BPF_LINK_CREATE} attributes {@link #create} sends. */
    static MemorySegment createAttr(Arena arena, int programFd, int target, AttachType type, int flags,
            Consumer<MemorySegment> extra) {
        MemorySegment attr = Sys.attr(arena, LinkCreate.SIZE);
        LinkCreate.PROG_FD.set(attr, programFd);
        LinkCreate.TARGET_FD.set(attr, target);
        LinkCreate.ATTACH_TYPE.set(attr, type.id());
        LinkCreate.FLAGS.set(attr, flags);
        extra.accept(attr);
        return attr;
    }

    /** Takes ownership of a link fd made by another command (BPF_RAW_TRACEPOINT_OPEN). */
    static KernelLink adopt(Fd fd) {
        return closingOnFailure(fd, f -> new KernelLink(f, LinkInfo.of(f.get(), "read link info")));
    }

    /** Opens the link with kernel id {@code id}. */
    public static KernelLink openById(int id) {
        return adopt(Sys.openById(BpfCmd.LINK_GET_FD_BY_ID, id, "open link id " + id));
    }

    /** Opens the link pinned at {@code path}. */
    public static KernelLink openPinned(Path path) {
        return adopt(openPinned(path, "bpf-link", "link"));
    }

    /** The link type; {@link LinkType#UNSPEC} for one newer than this build of bpf4j. */
    public LinkType type() {
        return LinkType.ofId(typeId).orElse(LinkType.UNSPEC);
    }

    @Override
    public Optional<KernelLink> kernelLink() {
        return Optional.of(this);
    }

    @Override
    public LinkInfo info() {
        return LinkInfo.of(fd(), "read info of " + this);
    }

    @Override
    public void pin(Path path) {
        pinAt(path);
    }

    @Override
    public void update(KernelProgram program) {
        update(program, null);
    }

    /** Replaces the program only if it is still {@code expected} ({@code BPF_F_REPLACE}). */
    public void update(KernelProgram program, KernelProgram expected) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Sys.attr(arena, LinkUpdate.SIZE);
            LinkUpdate.LINK_FD.set(attr, fd());
            LinkUpdate.NEW_PROG_FD.set(attr, program.fd());
            if (expected != null) {
                LinkUpdate.FLAGS.set(attr, Attachments.F_REPLACE);
                LinkUpdate.OLD_PROG_FD.set(attr, expected.fd());
            }
            Sys.call(BpfCmd.LINK_UPDATE, attr, "update " + this + " to " + program);
        }
    }

    /**
     * Detaches the program from its hook while the link (and its pins) stay: the link
     * then reports no target and the program stops running.
     */
    public void detach() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Sys.attr(arena, LinkDetach.SIZE);
            LinkDetach.LINK_FD.set(attr, fd());
            Sys.call(BpfCmd.LINK_DETACH, attr, "detach " + this);
        }
    }

    @Override
    public String toString() {
        String type = LinkType.ofId(typeId).map(LinkType::bpftoolName).orElse("type " + typeId);
        return "link " + id() + " (" + type + ")";
    }
}
