package io.bpf4j.kernel;

import java.util.ArrayList;
import java.util.List;

/**
 * A perf_event program on perf events: a software or hardware counter sampled every N events
 * or N times a second, for one process or all, on one CPU or each online CPU.
 *
 * <pre>{@code
 * PerfEventAttr clock = PerfEventAttr.software(PerfEventAttr.COUNT_SW_CPU_CLOCK, 99, true);
 * try (PerfEventLink link = PerfEventLink.attachEachCpu(program, clock)) { ... }
 * }</pre>
 */
public final class PerfEventLink extends PerfEventBacked {
    private PerfEventLink(List<PerfEvent> events) {
        super(events, List.of(), "perf event link on " + events.size() + " event(s)");
    }

    /** Attaches to one event of {@code pid} (-1: every process) on {@code cpu} (-1: every CPU, with a pid). */
    public static PerfEventLink attach(KernelProgram program, PerfEventAttr attr, int pid, int cpu) {
        return new PerfEventLink(List.of(PerfEvent.attach(program, attr, pid, cpu, 0,
                "attach " + program + " to perf event type " + attr.type() + " config " + attr.config())));
    }

    /** Attaches to one event per online CPU, for every process. */
    public static PerfEventLink attachEachCpu(KernelProgram program, PerfEventAttr attr) {
        List<PerfEvent> events = new ArrayList<>();
        try {
            for (int cpu : Kernel.onlineCpus()) {
                events.add(PerfEvent.attach(program, attr, -1, cpu, 0, "attach " + program + " to perf event type "
                        + attr.type() + " config " + attr.config() + " on CPU " + cpu));
            }
            return new PerfEventLink(events);
        } catch (RuntimeException e) {
            events.forEach(PerfEvent::close);
            throw e;
        }
    }
}
