package io.bpf4j.kernel;

import java.util.List;
import java.util.Optional;

/**
 * A hook family attached through perf events (tracepoints, kprobes, uprobes, perf events): one
 * or more events with the program on them, and the tracefs probes some of them were made
 * from. Closing detaches the programs, closes the events and removes the probes.
 */
abstract sealed class PerfEventBacked implements Link permits TracepointLink, KprobeLink, UprobeLink, PerfEventLink {
    private final List<PerfEvent> events;
    private final List<TracefsProbe> probes;
    private final String what;

    PerfEventBacked(List<PerfEvent> events, List<TracefsProbe> probes, String what) {
        this.events = List.copyOf(events);
        this.probes = List.copyOf(probes);
        this.what = what;
    }

    /** The link of the single event; empty when there are several (see {@link #kernelLinks()}). */
    @Override
    public final Optional<KernelLink> kernelLink() {
        return events.size() == 1 ? events.getFirst().link() : Optional.empty();
    }

    /** The links of every event (none on kernels that attach with the SET_BPF ioctl). */
    public final List<KernelLink> kernelLinks() {
        return events.stream().flatMap(e -> e.link().stream()).toList();
    }

    @Override
    public final void close() {
        events.forEach(PerfEvent::close);
        probes.forEach(TracefsProbe::close);
    }

    @Override
    public final String toString() {
        return what;
    }
}
