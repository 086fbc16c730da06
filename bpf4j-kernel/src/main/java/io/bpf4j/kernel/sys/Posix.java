package io.bpf4j.kernel.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The C library calls that attaching programs and reading their events need: files,
 * sockets, ioctl, mmap, epoll, eventfd, namespaces and {@code perf_event_open(2)}. Like
 * {@link Libc}, every call returns its result or minus errno, never throws for a failed call.
 */
public final class Posix {
    private Posix() {}

    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");

    /** {@code __NR_perf_event_open} of this machine, or -1 where bpf4j does not know it. */
    static final long SYS_PERF_EVENT_OPEN = switch (System.getProperty("os.arch").toLowerCase(Locale.ROOT)) {
        case "amd64", "x86_64" -> 298;
        case "aarch64", "riscv64", "loongarch64" -> 241;
        case "s390x" -> 331;
        case "ppc64le", "ppc64" -> 319;
        default -> -1;
    };

    // Each handle in a holder class, made when first called: making a downcall handle costs
    // milliseconds in a cold JVM, and a tool calls few of these.
    private static final class Open {
        static final MethodHandle HANDLE = Libc.downcall("open",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2), ERRNO);
    }

    private static final class Read {
        static final MethodHandle HANDLE = Libc.downcall("read",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), ERRNO);
    }

    private static final class Write {
        static final MethodHandle HANDLE = Libc.downcall("write",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), ERRNO);
    }

    private static final class Fcntl {
        static final MethodHandle HANDLE = Libc.downcall("fcntl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2), ERRNO);
    }

    private static final class Ioctl {
        static final MethodHandle HANDLE = Libc.downcall("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2), ERRNO);
    }

    private static final class Mmap {
        static final MethodHandle HANDLE = Libc.downcall("mmap",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO);
    }

    private static final class Munmap {
        static final MethodHandle HANDLE = Libc.downcall("munmap",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), ERRNO);
    }

    private static final class EpollCreate1 {
        static final MethodHandle HANDLE = Libc.downcall("epoll_create1",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO);
    }

    private static final class EpollCtl {
        static final MethodHandle HANDLE = Libc.downcall("epoll_ctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), ERRNO);
    }

    private static final class EpollWait {
        static final MethodHandle HANDLE = Libc.downcall("epoll_wait",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), ERRNO);
    }

    private static final class Eventfd {
        static final MethodHandle HANDLE = Libc.downcall("eventfd",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO);
    }

    private static final class Socket {
        static final MethodHandle HANDLE = Libc.downcall("socket",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), ERRNO);
    }

    private static final class Bind {
        static final MethodHandle HANDLE = Libc.downcall("bind",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), ERRNO);
    }

    private static final class Getsockname {
        static final MethodHandle HANDLE = Libc.downcall("getsockname",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), ERRNO);
    }

    private static final class Setsockopt {
        static final MethodHandle HANDLE = Libc.downcall("setsockopt",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), ERRNO);
    }

    private static final class Send {
        static final MethodHandle HANDLE = Libc.downcall("send",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), ERRNO);
    }

    private static final class Recv {
        static final MethodHandle HANDLE = Libc.downcall("recv",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), ERRNO);
    }

    private static final class IfNametoindex {
        static final MethodHandle HANDLE = Libc.downcall("if_nametoindex",
                FunctionDescriptor.of(JAVA_INT, ADDRESS), ERRNO);
    }

    private static final class IfIndextoname {
        static final MethodHandle HANDLE = Libc.downcall("if_indextoname",
                FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS), ERRNO);
    }

    private static final class Setns {
        static final MethodHandle HANDLE = Libc.downcall("setns",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO);
    }

    private static final class Gettid {
        static final MethodHandle HANDLE = Libc.downcall("gettid", FunctionDescriptor.of(JAVA_INT));
    }

    private static final class PerfEventOpen {
        static final MethodHandle HANDLE = Libc.downcall("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG),
                Linker.Option.firstVariadicArg(1), ERRNO);
    }

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_DIRECTORY = 0x10000;
    public static final int O_CLOEXEC = 0x80000;

    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 1;

    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLLIN = 1;
    public static final int EPOLL_CLOEXEC = O_CLOEXEC;
    public static final int EFD_CLOEXEC = O_CLOEXEC;
    public static final int EFD_NONBLOCK = O_NONBLOCK;

    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int AF_NETLINK = 16;
    public static final int AF_PACKET = 17;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_CLOEXEC = O_CLOEXEC;
    public static final int SOL_SOCKET = 1;
    public static final int SO_RCVTIMEO = 20;
    public static final int SO_ATTACH_BPF = 50;
    public static final int SO_DETACH_BPF = 27;
    public static final int MSG_DONTWAIT = 0x40;

    public static final int CLONE_NEWNET = 0x40000000;

    /** open(2) with mode 0: a new fd, or minus errno. */
    public static int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Scratch.get().capture();
            int r = (int) Open.HANDLE.invokeExact(capture, arena.allocateFrom(path, StandardCharsets.UTF_8), flags, 0);
            return r < 0 ? -Libc.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** read(2) into {@code buf}: bytes read, or minus errno. */
    public static long read(int fd, MemorySegment buf, long count) {
        MemorySegment capture = Scratch.get().capture();
        try {
            long r = (long) Read.HANDLE.invokeExact(capture, fd, buf, count);
            return r < 0 ? -Libc.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** write(2) from {@code buf}: bytes written, or minus errno. */
    public static long write(int fd, MemorySegment buf, long count) {
        MemorySegment capture = Scratch.get().capture();
        try {
            long r = (long) Write.HANDLE.invokeExact(capture, fd, buf, count);
            return r < 0 ? -Libc.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** A new close-on-exec descriptor for the file {@code fd} refers to ({@code F_DUPFD_CLOEXEC}), or minus errno. */
    public static int dup(int fd) {
        MemorySegment capture = Scratch.get().capture();
        try {
            int r = (int) Fcntl.HANDLE.invokeExact(capture, fd, 1030, 0);
            return r < 0 ? -Libc.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** ioctl(2) with an integer or address argument: its result, or minus errno. */
    public static int ioctl(int fd, long request, long arg) {
        MemorySegment capture = Scratch.get().capture();
        try {
            int r = (int) Ioctl.HANDLE.invokeExact(capture, fd, request, arg);
            return r < 0 ? -Libc.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * mmap(2) of {@code length} bytes of {@code fd} at {@code offset}, shared. The segment is
     * as long as the mapping and lives until {@link #munmap}; on failure its address is minus
     * errno ({@link #mmapFailed}).
     */
    public static MemorySegment mmap(long length, int prot, int fd, long offset) {
        MemorySegment capture = Scratch.get().capture();
        try {
            MemorySegment r = (MemorySegment) Mmap.HANDLE.invokeExact(capture, MemorySegment.NULL, length, prot, MAP_SHARED, fd,
                    offset);
            if (r.address() == -1L) {
                return MemorySegment.ofAddress(-Libc.errno(capture));
            }
            return r.reinterpret(length);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** The errno of a failed {@link #mmap}, or 0 if it succeeded. */
    public static int mmapFailed(MemorySegment mapping) {
        long a = mapping.address();
        return a < 0 ? (int) -a : 0;
    }

    /** munmap(2): 0, or minus errno. */
    public static int munmap(MemorySegment mapping) {
        MemorySegment capture = Scratch.get().capture();
        try {
            int r = (int) Munmap.HANDLE.invokeExact(capture, mapping, mapping.byteSize());
            return r < 0 ? -Libc.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** epoll_create1(2) with {@link #EPOLL_CLOEXEC}. */
    public static int epollCreate() {
        MemorySegment capture = Scratch.get().capture();
        try {
            int r = (int) EpollCreate1.HANDLE.invokeExact(capture, EPOLL_CLOEXEC);
            return r < 0 ? -Libc.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** epoll_ctl(2) adding or removing {@code fd}, reported with {@code data} and {@code events}. */
    public static int epollCtl(int epfd, int op, int fd, int events, long data) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ev = arena.allocate(Layouts.EpollEvent.SIZE, 8);
            Layouts.EpollEvent.EVENTS.set(ev, events);
            Layouts.EpollEvent.DATA.set(ev, data);
            MemorySegment capture = Scratch.get().capture();
            int r = (int) EpollCtl.HANDLE.invokeExact(capture, epfd, op, fd, ev);
            return r < 0 ? -Libc.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * epoll_wait(2) into {@code events} ({@link Layouts.EpollEvent} records): how many are
     * ready, or minus errno (EINTR when a signal came first).
     */
    public static int epollWait(int epfd, MemorySegment events, int timeoutMillis) {
        MemorySegment capture = Scratch.get().capture();
        try {
            int r = (int) EpollWait.HANDLE.invokeExact(capture, epfd, events, (int) (events.byteSize() / Layouts.EpollEvent.SIZE),
                    timeoutMillis);
            return r < 0 ? -Libc.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** eventfd(2). */
    public static int eventfd(int flags) {
        MemorySegment capture = Scratch.get().capture();
        try {
            int r = (int) Eventfd.HANDLE.invokeExact(capture, 0, flags);
            return r < 0 ? -Libc.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** socket(2). */
    public static int socket(int domain, int type, int protocol) {
        MemorySegment capture = Scratch.get().capture();
        try {
            int r = (int) Socket.HANDLE.invokeExact(capture, domain, type, protocol);
            return r < 0 ? -Libc.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** bind(2) to the socket address in {@code addr}. */
    public static int bind(int fd, MemorySegment addr) {
        MemorySegment capture = Scratch.get().capture();
        try {
            int r = (int) Bind.HANDLE.invokeExact(capture, fd, addr, (int) addr.byteSize());
            return r < 0 ? -Libc.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** getsockname(2) into {@code addr}: the address length, or minus errno. */
    public static int getsockname(int fd, MemorySegment addr) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment len = arena.allocateFrom(JAVA_INT, (int) addr.byteSize());
            MemorySegment capture = Scratch.get().capture();
            int r = (int) Getsockname.HANDLE.invokeExact(capture, fd, addr, len);
            return r < 0 ? -Libc.errno(capture) : len.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** setsockopt(2) with the option value in {@code value}. */
    public static int setsockopt(int fd, int level, int name, MemorySegment value) {
        MemorySegment capture = Scratch.get().capture();
        try {
            int r = (int) Setsockopt.HANDLE.invokeExact(capture, fd, level, name, value, (int) value.byteSize());
            return r < 0 ? -Libc.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** send(2) of all of {@code buf}: bytes sent, or minus errno. */
    public static long send(int fd, MemorySegment buf, int flags) {
        MemorySegment capture = Scratch.get().capture();
        try {
            long r = (long) Send.HANDLE.invokeExact(capture, fd, buf, buf.byteSize(), flags);
            return r < 0 ? -Libc.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** recv(2) into {@code buf}: bytes received, or minus errno. */
    public static long recv(int fd, MemorySegment buf, int flags) {
        MemorySegment capture = Scratch.get().capture();
        try {
            long r = (long) Recv.HANDLE.invokeExact(capture, fd, buf, buf.byteSize(), flags);
            return r < 0 ? -Libc.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** if_nametoindex(3): the interface index in this thread's network namespace, or 0 if there is none. */
    public static int ifNameToIndex(String name) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) IfNametoindex.HANDLE.invokeExact(Scratch.get().capture(), arena.allocateFrom(name, StandardCharsets.UTF_8));
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** if_indextoname(3): the interface name, or null if there is none. */
    public static String ifIndexToName(int index) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(16); // IF_NAMESIZE
            MemorySegment r = (MemorySegment) IfIndextoname.HANDLE.invokeExact(Scratch.get().capture(), index, buf);
            return r.address() == 0 ? null : buf.getString(0, StandardCharsets.UTF_8);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** setns(2): moves the calling thread into the namespace {@code fd} refers to. */
    public static int setns(int fd, int nstype) {
        MemorySegment capture = Scratch.get().capture();
        try {
            int r = (int) Setns.HANDLE.invokeExact(capture, fd, nstype);
            return r < 0 ? -Libc.errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** gettid(2): the kernel's id of the calling thread. */
    public static int gettid() {
        try {
            return (int) Gettid.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** perf_event_open(2) of the {@code perf_event_attr} in {@code attr}: a new fd, or minus errno. */
    public static int perfEventOpen(MemorySegment attr, int pid, int cpu, int groupFd, long flags) {
        if (SYS_PERF_EVENT_OPEN < 0) {
            return -Errno.ENOSYS;
        }
        MemorySegment capture = Scratch.get().capture();
        try {
            long r = (long) PerfEventOpen.HANDLE.invokeExact(capture, SYS_PERF_EVENT_OPEN, attr, pid, cpu, groupFd, flags);
            return r < 0 ? -Libc.errno(capture) : (int) r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
