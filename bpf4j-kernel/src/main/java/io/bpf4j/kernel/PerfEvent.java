package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.kernel.sys.Errno;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Layouts.LinkCreate;
import io.bpf4j.kernel.sys.Posix;
import java.lang.foreign.Arena;
import java.util.Optional;

/**
 * An open perf event with a program attached: through a perf bpf_link when the kernel has
 * them (5.15+), else with {@code PERF_EVENT_IOC_SET_BPF}. Closing detaches the program and
 * closes the event. The shared mechanism of tracepoint, kprobe, uprobe and perf event links.
 */
final class PerfEvent implements AutoCloseable {
    static final long IOC_ENABLE = 0x2400;
    static final long IOC_DISABLE = 0x2401;
    static final long IOC_SET_BPF = 0x40042408;
    static final long FLAG_FD_CLOEXEC = 8;

    private final Fd event;
    private final KernelLink link;

    private PerfEvent(Fd event, KernelLink link) {
        this.event = event;
        this.link = link;
    }

    /** perf_event_open(2) of {@code attr} for {@code pid} (-1: every process) on {@code cpu} (-1: every CPU). */
    static Fd open(PerfEventAttr attr, int pid, int cpu, String what) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = Posix.perfEventOpen(attr.encode(arena), pid, cpu, -1, FLAG_FD_CLOEXEC);
            if (fd < 0) {
                throw new SystemCallException(what, "perf_event_open", -fd, hint(-fd));
            }
            return new Fd(fd);
        }
    }

    private static String hint(int errno) {
        return switch (errno) {
            case Errno.EACCES, Errno.EPERM -> "needs root or CAP_PERFMON; see also sysctl kernel.perf_event_paranoid";
            case Errno.ENOENT, Errno.EOPNOTSUPP -> "this kernel or CPU has no such event";
            case Errno.EINVAL -> "the kernel rejected the event's attributes (for a probe: no such function, file "
                    + "or offset)";
            default -> null;
        };
    }

    /** Opens {@code attr} and attaches {@code program} to it, with {@code cookie} for {@code bpf_get_attach_cookie}. */
    static PerfEvent attach(KernelProgram program, PerfEventAttr attr, int pid, int cpu, long cookie, String what) {
        Fd event = open(attr, pid, cpu, what);
        try {
            return new PerfEvent(event, attachTo(program, event, cookie, what));
        } catch (RuntimeException e) {
            event.close();
            throw e;
        }
    }

    /** Attaches to an event already open: a perf link, or the ioctls where the kernel has no perf links (then null). */
    private static KernelLink attachTo(KernelProgram program, Fd event, long cookie, String what) {
        try {
            return KernelLink.create(what, program, event.get(), AttachType.PERF_EVENT, 0,
                    attr -> LinkCreate.PERF_EVENT_BPF_COOKIE.set(attr, cookie));
        } catch (BpfSyscallException e) {
            if (e.errno() != Errno.EINVAL || cookie != 0) {
                throw e;
            }
        }
        attachWithIoctl(program, event, what);
        return null;
    }

    /** Opens {@code attr} and attaches with the ioctls, as kernels before perf links (5.15) need. */
    static PerfEvent attachWithIoctl(KernelProgram program, PerfEventAttr attr, int pid, int cpu, String what) {
        Fd event = open(attr, pid, cpu, what);
        try {
            attachWithIoctl(program, event, what);
            return new PerfEvent(event, null);
        } catch (RuntimeException e) {
            event.close();
            throw e;
        }
    }

    private static void attachWithIoctl(KernelProgram program, Fd event, String what) {
        int r = Posix.ioctl(event.get(), IOC_SET_BPF, program.fd());
        if (r < 0) {
            throw new SystemCallException(what, "ioctl(PERF_EVENT_IOC_SET_BPF)", -r);
        }
        r = Posix.ioctl(event.get(), IOC_ENABLE, 0);
        if (r < 0) {
            throw new SystemCallException(what, "ioctl(PERF_EVENT_IOC_ENABLE)", -r);
        }
    }

    Optional<KernelLink> link() {
        return Optional.ofNullable(link);
    }

    int eventFd() {
        return event.get();
    }

    @Override
    public void close() {
        if (link != null) {
            link.close();
        } else if (event.get() >= 0) {
            Posix.ioctl(event.get(), IOC_DISABLE, 0);
        }
        event.close();
    }
}
