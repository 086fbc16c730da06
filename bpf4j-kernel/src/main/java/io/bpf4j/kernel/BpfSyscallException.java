package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.kernel.sys.BpfCmd;
import io.bpf4j.kernel.sys.Errno;

/**
 * A bpf() call failed. The message names what was attempted, the command, the errno and
 * what usually causes it, e.g. {@code create map 'counts': BPF_MAP_CREATE: EPERM
 * (Operation not permitted): needs root, or CAP_BPF ...}.
 */
public class BpfSyscallException extends BpfException {
    private static final long serialVersionUID = 1L;

    private final transient BpfCmd command;
    private final int errno;

    public BpfSyscallException(String what, BpfCmd command, int errno) {
        this(command, errno, what + ": " + command.kernelName() + ": " + Errno.name(errno) + " (" + Errno.message(errno)
                + ")" + hintSuffix(command, errno));
    }

    /** For subclasses that word the whole message themselves. */
    protected BpfSyscallException(BpfCmd command, int errno, String message) {
        super(message);
        this.command = command;
        this.errno = errno;
    }

    /** The bpf() command that failed. */
    public BpfCmd command() {
        return command;
    }

    /** The error number, e.g. 1 for EPERM. */
    public int errno() {
        return errno;
    }

    /** The error's name, e.g. {@code EPERM}. */
    public String errnoName() {
        return Errno.name(errno);
    }

    private static String hintSuffix(BpfCmd command, int errno) {
        String h = hint(command, errno);
        return h == null ? "" : ": " + h;
    }

    /** What usually causes {@code errno} for {@code command}, or null when nothing useful can be said. */
    static String hint(BpfCmd command, int errno) {
        return switch (errno) {
            case Errno.EPERM -> "needs root, or CAP_BPF (with CAP_PERFMON for tracing and CAP_NET_ADMIN for "
                    + "networking programs) or CAP_SYS_ADMIN; see also sysctl kernel.unprivileged_bpf_disabled";
            case Errno.E2BIG -> command == BpfCmd.MAP_UPDATE_ELEM || command == BpfCmd.MAP_UPDATE_BATCH
                    ? "the map is full (max_entries reached)"
                    : "the request uses attributes this kernel does not know: the kernel is older than the feature";
            case Errno.ENOENT -> switch (command) {
                case OBJ_GET -> "nothing is pinned at that path";
                case PROG_GET_FD_BY_ID, MAP_GET_FD_BY_ID, BTF_GET_FD_BY_ID, LINK_GET_FD_BY_ID -> "no object has that id";
                case MAP_LOOKUP_ELEM, MAP_DELETE_ELEM, MAP_LOOKUP_AND_DELETE_ELEM, MAP_UPDATE_ELEM -> "no such key";
                default -> null;
            };
            case Errno.EINVAL -> "the kernel rejected an argument: a type, flag or size this kernel does not "
                    + "support for this object, or a combination it does not allow";
            case Errno.EBADF -> "the file descriptor is not open or not a BPF object of the right kind";
            case Errno.EEXIST -> command == BpfCmd.OBJ_PIN ? "the path already exists" : "the key already exists";
            case Errno.ENOMEM -> "out of memory, or over the memlock limit (RLIMIT_MEMLOCK, before Linux 5.11)";
            case Errno.EACCES -> "permission denied: the object or pin was opened read-only or write-only, "
                    + "or a security policy forbids it";
            case Errno.ENOTSUPP, Errno.EOPNOTSUPP -> "not supported by this kernel for this object";
            case Errno.ENOSYS -> "this kernel has no bpf() system call (CONFIG_BPF_SYSCALL) or bpf4j does not "
                    + "know its number on " + System.getProperty("os.arch");
            case Errno.EBUSY -> "the object is in use";
            case Errno.EFAULT -> "the kernel could not read or write a buffer bpf4j passed (a bug in bpf4j)";
            default -> null;
        };
    }
}
