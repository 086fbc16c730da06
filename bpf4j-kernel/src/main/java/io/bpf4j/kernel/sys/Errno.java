package io.bpf4j.kernel.sys;

/** Names and texts of Linux error numbers. */
public final class Errno {
    private Errno() {}

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int E2BIG = 7;
    public static final int ENOSYS = 38;
    public static final int ELOOP = 40;
    public static final int ENOTSUPP = 524;
    public static final int EOPNOTSUPP = 95;

    /** {@code ENOENT} for 2, or {@code errno N} for a number without a name. */
    public static String name(int errno) {
        if (errno >= 0 && errno < ErrnoNames.NAMES.length && ErrnoNames.NAMES[errno] != null) {
            return ErrnoNames.NAMES[errno];
        }
        // The kernel-internal codes that can leak out of bpf(2) (include/linux/errno.h).
        return switch (errno) {
            case ENOTSUPP -> "ENOTSUPP";
            case 512 -> "ERESTARTSYS";
            case 515 -> "ENOIOCTLCMD";
            case 523 -> "EBADCOOKIE";
            default -> "errno " + errno;
        };
    }

    /** The C library's description, e.g. {@code No such file or directory}. */
    public static String message(int errno) {
        return Libc.strerror(errno);
    }
}
