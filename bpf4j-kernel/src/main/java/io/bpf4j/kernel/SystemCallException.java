package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.kernel.sys.Errno;

/**
 * A system call other than bpf() failed while attaching a program or reading its events
 * (perf_event_open, ioctl, mmap, a netlink request...). The message names what was
 * attempted, the call, the errno and, where the kernel or bpf4j can tell, why; e.g.
 * {@code attach XDP to veth0: RTM_SETLINK: EBUSY (Device or resource busy): XDP program already attached}.
 */
public class SystemCallException extends BpfException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    public SystemCallException(String what, String call, int errno) {
        this(what, call, errno, null);
    }

    /** With {@code detail}, the kernel's own explanation (a netlink extended ack) or a hint; null for none. */
    public SystemCallException(String what, String call, int errno, String detail) {
        super(what + ": " + call + ": " + Errno.name(errno) + " (" + Errno.message(errno) + ")"
                + (detail == null || detail.isEmpty() ? "" : ": " + detail));
        this.call = call;
        this.errno = errno;
    }

    /** The call that failed, e.g. {@code perf_event_open} or {@code RTM_NEWTFILTER}. */
    public String call() {
        return call;
    }

    /** The error number. */
    public int errno() {
        return errno;
    }

    /** The error's name, e.g. {@code EBUSY}. */
    public String errnoName() {
        return Errno.name(errno);
    }
}
