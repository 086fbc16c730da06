package io.bpf4j.kernel.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * The few C library functions bpf4j calls: {@code syscall} (for bpf(2)), {@code close},
 * {@code mount}, {@code clock_gettime} and {@code strerror}. Each call that can fail
 * captures {@code errno} into the calling thread's {@link Scratch}.
 */
public final class Libc {
    private Libc() {}

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET =
            CAPTURE_LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");

    /** {@code __NR_bpf} of this machine, or -1 where bpf4j does not know it. */
    static final long SYS_BPF = switch (System.getProperty("os.arch").toLowerCase(Locale.ROOT)) {
        case "amd64", "x86_64" -> 321;
        case "aarch64", "riscv64", "loongarch64" -> 280;
        case "s390x" -> 351;
        case "ppc64le", "ppc64" -> 361;
        default -> -1;
    };

    private static final MethodHandle SYSCALL = downcall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT),
            Linker.Option.firstVariadicArg(1), ERRNO);
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO);
    // Each handle in a holder class, made when first called: making a downcall handle costs
    // milliseconds in a cold JVM, and a tool calls few of these.
    private static final class Mount {
        static final MethodHandle HANDLE = downcall("mount",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), ERRNO);
    }

    private static final class ClockGettime {
        static final MethodHandle HANDLE = downcall("clock_gettime",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), ERRNO);
    }

    private static final class Strerror {
        static final MethodHandle HANDLE = downcall("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    private static final class Getpagesize {
        static final MethodHandle HANDLE = downcall("getpagesize", FunctionDescriptor.of(JAVA_INT));
    }

    /** {@code CLOCK_REALTIME}. */
    public static final int CLOCK_REALTIME = 0;
    /** {@code CLOCK_BOOTTIME}: the clock of {@code bpf_prog_info.load_time}. */
    public static final int CLOCK_BOOTTIME = 7;

    static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment symbol = LIBC.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("the C library has no " + name + "()"));
        return LINKER.downcallHandle(symbol, fd, options);
    }

    static int errno(MemorySegment capture) {
        return capture.get(JAVA_INT, ERRNO_OFFSET);
    }

    /** bpf(2): the result, or minus errno. */
    static long bpf(MemorySegment capture, int cmd, MemorySegment attr, int size) {
        try {
            long r = (long) SYSCALL.invokeExact(capture, SYS_BPF, cmd, attr, size);
            return r < 0 ? -errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** close(2): 0, or minus errno. */
    public static int close(int fd) {
        MemorySegment capture = Scratch.get().capture();
        try {
            int r = (int) CLOSE.invokeExact(capture, fd);
            return r < 0 ? -errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** mount(2) of a filesystem without data: 0, or minus errno. */
    public static int mount(String source, String target, String fsType, long flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            int r = (int) Mount.HANDLE.invokeExact(capture, arena.allocateFrom(source), arena.allocateFrom(target),
                    arena.allocateFrom(fsType), flags, MemorySegment.NULL);
            return r < 0 ? -errno(capture) : r;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** clock_gettime(2) of {@code clock} in nanoseconds. */
    public static long clockNanos(int clock) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            MemorySegment ts = arena.allocate(16, 8);
            int r = (int) ClockGettime.HANDLE.invokeExact(capture, clock, ts);
            if (r != 0) {
                throw new IllegalStateException("clock_gettime(" + clock + ") failed: " + Errno.name(errno(capture)));
            }
            return ts.get(JAVA_LONG, 0) * 1_000_000_000L + ts.get(JAVA_LONG, 8);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** getpagesize(2). */
    public static int pageSize() {
        try {
            return (int) Getpagesize.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** strerror(3): the C library's text for {@code errno}, as strace prints it. */
    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) Strerror.HANDLE.invokeExact(errno);
            return s.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
