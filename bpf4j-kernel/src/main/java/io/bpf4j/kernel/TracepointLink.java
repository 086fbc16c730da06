package io.bpf4j.kernel;

import java.util.List;

/**
 * A tracepoint program on a kernel tracepoint ({@code category:name}, as tracefs lists them),
 * through a perf event.
 *
 * <pre>{@code
 * try (TracepointLink link = TracepointLink.attach(program, "sched", "sched_process_exec")) { ... }
 * }</pre>
 */
public final class TracepointLink extends PerfEventBacked {
    private TracepointLink(PerfEvent event, String category, String name) {
        super(List.of(event), List.of(), "tracepoint " + category + ":" + name);
    }

    public static TracepointLink attach(KernelProgram program, String category, String name) {
        return attach(program, category, name, 0);
    }

    /** Attaches with {@code cookie}, which the program reads with {@code bpf_get_attach_cookie}. */
    public static TracepointLink attach(KernelProgram program, String category, String name, long cookie) {
        int id = Tracefs.eventId(category, name);
        // One event (CPU 0, every process) suffices: the program runs on whichever CPU hits the tracepoint.
        PerfEvent event = PerfEvent.attach(program, PerfEventAttr.tracepoint(id), -1, 0, cookie,
                "attach " + program + " to tracepoint " + category + ":" + name);
        return new TracepointLink(event, category, name);
    }
}
