package io.bpf4j.kernel;

import java.util.Optional;

/**
 * A tracepoint program on a kernel tracepoint ({@code category:name}, as tracefs lists them),
 * through a perf event.
 *
 * <pre>{@code
 * try (TracepointLink link = TracepointLink.attach(program, "sched", "sched_process_exec")) { ... }
 * }</pre>
 */
public final class TracepointLink implements Link {
    private final PerfEvent event;
    private final String category;
    private final String name;

    private TracepointLink(PerfEvent event, String category, String name) {
        this.event = event;
        this.category = category;
        this.name = name;
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

    @Override
    public Optional<KernelLink> kernelLink() {
        return event.link();
    }

    @Override
    public void close() {
        event.close();
    }

    @Override
    public String toString() {
        return "tracepoint " + category + ":" + name;
    }
}
