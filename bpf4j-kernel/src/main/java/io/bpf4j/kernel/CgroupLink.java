package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Posix;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A cgroup program (cgroup_skb, cgroup/sock, cgroup/dev, cgroup/sysctl, sockops, ...) on a
 * cgroup v2 directory: as a bpf_link, or with the legacy {@code BPF_PROG_ATTACH} and its
 * flags ({@link Attachments#F_ALLOW_OVERRIDE}, {@link Attachments#F_ALLOW_MULTI}), which
 * closing detaches again.
 *
 * <pre>{@code
 * try (CgroupLink link = CgroupLink.attach(program, Path.of("/sys/fs/cgroup/my.slice"), AttachType.CGROUP_INET_EGRESS)) { ... }
 * }</pre>
 */
public final class CgroupLink implements Link {
    private final Fd cgroup;
    private final Path path;
    private final AttachType type;
    private final KernelLink link;
    private final KernelProgram legacyProgram;

    private CgroupLink(Fd cgroup, Path path, AttachType type, KernelLink link, KernelProgram legacyProgram) {
        this.cgroup = cgroup;
        this.path = path;
        this.type = type;
        this.link = link;
        this.legacyProgram = legacyProgram;
    }

    public static CgroupLink attach(KernelProgram program, Path cgroup, AttachType type) {
        Fd fd = open(cgroup);
        try {
            return new CgroupLink(fd, cgroup, type, KernelLink.create("attach " + program + " to cgroup " + cgroup + " "
                    + type.bpftoolName(), program, fd.get(), type, 0, attr -> {}), null);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** Attaches with {@code BPF_PROG_ATTACH} and {@code flags}; closing detaches with {@code BPF_PROG_DETACH}. */
    public static CgroupLink attachLegacy(KernelProgram program, Path cgroup, AttachType type, int flags) {
        Fd fd = open(cgroup);
        try {
            Attachments.attach("attach " + program + " to cgroup " + cgroup + " " + type.bpftoolName(), fd.get(), program,
                    type, flags, null);
            return new CgroupLink(fd, cgroup, type, null, KernelProgram.openById(program.id()));
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** The programs attached to {@code cgroup} at {@code type}. */
    public static Attachments query(Path cgroup, AttachType type) {
        try (Fd fd = open(cgroup)) {
            return Attachments.query(fd.get(), type);
        }
    }

    private static Fd open(Path cgroup) {
        int fd = Posix.open(cgroup.toString(), Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_CLOEXEC);
        if (fd < 0) {
            throw new SystemCallException("open cgroup " + cgroup, "open", -fd);
        }
        return new Fd(fd);
    }

    public Path cgroup() {
        return path;
    }

    public AttachType attachType() {
        return type;
    }

    @Override
    public Optional<KernelLink> kernelLink() {
        return Optional.ofNullable(link);
    }

    @Override
    public synchronized void close() {
        if (cgroup.isClosed()) {
            return;
        }
        try {
            if (link != null) {
                link.close();
            } else {
                try (KernelProgram p = legacyProgram) {
                    Attachments.detach("detach " + p + " from cgroup " + path, cgroup.get(), p, type);
                }
            }
        } finally {
            cgroup.close();
        }
    }

    @Override
    public String toString() {
        return "cgroup " + path + " " + type.bpftoolName() + (link != null ? " " + link : " (legacy attach)");
    }
}
