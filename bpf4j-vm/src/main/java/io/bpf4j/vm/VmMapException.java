package io.bpf4j.vm;

import io.bpf4j.BpfException;

/**
 * A map operation of the VM failed the way the kernel's would, with the kernel's error
 * number: e.g. {@code update map 'counts': E2BIG: the map is full (max_entries 16)}.
 */
public final class VmMapException extends BpfException {
    private static final long serialVersionUID = 1L;

    private final int errno;

    VmMapException(String what, int errno, String why) {
        super(what + ": " + Errno.name(errno) + (why == null ? "" : ": " + why));
        this.errno = errno;
    }

    /** The kernel's error number for the same failure, e.g. 7 (E2BIG). */
    public int errno() {
        return errno;
    }

    /** The error's name, e.g. {@code E2BIG}. */
    public String errnoName() {
        return Errno.name(errno);
    }
}
