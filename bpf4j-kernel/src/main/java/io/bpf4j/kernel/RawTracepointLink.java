package io.bpf4j.kernel;

import io.bpf4j.kernel.sys.BpfCmd;
import io.bpf4j.kernel.sys.Layouts.RawTracepoint;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * A raw tracepoint program ({@code raw_tp}) on a kernel tracepoint by name, without a perf
 * event: the program gets the tracepoint's raw arguments.
 *
 * <pre>{@code
 * try (RawTracepointLink link = RawTracepointLink.attach(program, "sched_switch")) { ... }
 * }</pre>
 */
public final class RawTracepointLink extends SingleKernelLink {
    private RawTracepointLink(KernelLink link, String name) {
        super(link, "raw tracepoint " + name);
    }

    public static RawTracepointLink attach(KernelProgram program, String tracepoint) {
        return attach(program, tracepoint, 0);
    }

    /** Attaches with {@code cookie}, which the program reads with {@code bpf_get_attach_cookie}. */
    public static RawTracepointLink attach(KernelProgram program, String tracepoint, long cookie) {
        Tracefs.checkName("raw tracepoint", tracepoint);
        return new RawTracepointLink(open(program, tracepoint, cookie, "attach " + program + " to raw tracepoint "
                + tracepoint), tracepoint);
    }

    /** {@code BPF_RAW_TRACEPOINT_OPEN}: a raw tracepoint by name, or with null the BTF target the program was loaded for. */
    static KernelLink open(KernelProgram program, String tracepoint, long cookie, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Sys.attr(arena, RawTracepoint.SIZE);
            RawTracepoint.NAME.set(attr, tracepoint == null ? MemorySegment.NULL
                    : arena.allocateFrom(tracepoint, StandardCharsets.UTF_8));
            RawTracepoint.PROG_FD.set(attr, program.fd());
            RawTracepoint.COOKIE.set(attr, cookie);
            return KernelLink.adopt(Sys.callForFd(BpfCmd.RAW_TRACEPOINT_OPEN, attr, what));
        }
    }
}
