package io.bpf4j.btf;

import io.bpf4j.BpfException;

/**
 * A CO-RE relocation that cannot be applied (a malformed access string, candidates that
 * disagree, an instruction of the wrong form): libbpf refuses to load the object in these
 * cases, and so does bpf4j. The message is libbpf's, naming the program and relocation.
 */
public final class CoreRelocationException extends BpfException {
    private static final long serialVersionUID = 1L;

    private final int errno;

    public CoreRelocationException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    /** The (negative) error number libbpf reports for this failure, e.g. -22 for EINVAL. */
    public int errno() {
        return errno;
    }
}
