package io.bpf4j.kernel.sys;

import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/**
 * The {@code bpf(2)} system call. Results are returned, not thrown: a value {@code >= 0}
 * on success, minus the errno on failure, so that callers decide what a failure means.
 *
 * <p>With {@link #trace(Consumer)} set, every call is also printed the way
 * {@code strace -e trace=bpf} prints it.
 */
public final class Bpf {
    private Bpf() {}

    private static volatile Consumer<String> tracer;

    /** Prints every following bpf() call to {@code sink}, or stops printing when null. */
    public static void trace(Consumer<String> sink) {
        tracer = sink;
    }

    /** Whether calls are being traced. */
    public static boolean tracing() {
        return tracer != null;
    }

    /** Whether this machine's system call number for bpf is known. */
    public static boolean supported() {
        return Libc.SYS_BPF >= 0;
    }

    /**
     * Calls {@code bpf(cmd, attr, attr.byteSize())}.
     *
     * @return the kernel's result ({@code >= 0}), or minus errno
     */
    public static long call(BpfCmd cmd, MemorySegment attr) {
        int size = (int) attr.byteSize();
        if (Libc.SYS_BPF < 0) {
            return -Errno.ENOSYS;
        }
        Consumer<String> sink = tracer;
        MemorySegment capture = Scratch.get().capture();
        if (sink == null) {
            return Libc.bpf(capture, cmd.id(), attr, size);
        }
        StraceFormat.Call call = StraceFormat.enter(cmd, attr);
        long r = Libc.bpf(capture, cmd.id(), attr, size);
        sink.accept(StraceFormat.exit(call, attr, r));
        return r;
    }
}
