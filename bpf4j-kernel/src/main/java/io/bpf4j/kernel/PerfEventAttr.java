package io.bpf4j.kernel;

import io.bpf4j.kernel.sys.Layouts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * What bpf4j asks {@code perf_event_open(2)} for: the fields of {@code struct perf_event_attr}
 * it sets. Encoding is separate from opening, so the request can be inspected (and tested)
 * on kernels that cannot honour it.
 *
 * <pre>{@code
 * PerfEventAttr cpuClock = PerfEventAttr.software(PerfEventAttr.COUNT_SW_CPU_CLOCK, 99, true);  // 99 Hz
 * }</pre>
 *
 * @param probeTarget     for kprobes and uprobes: the function or file whose address goes into {@code config1}; else null
 * @param config1         {@code config1} when there is no probe target
 * @param samplePeriod    events per sample, or samples per second when {@code frequency}
 * @param wakeupEvents    samples per wake-up of a reader polling the event's ring
 */
public record PerfEventAttr(int type, long config, String probeTarget, long config1, long config2, long samplePeriod,
        boolean frequency, long sampleType, int wakeupEvents) {

    public static final int TYPE_HARDWARE = 0;
    public static final int TYPE_SOFTWARE = 1;
    public static final int TYPE_TRACEPOINT = 2;
    public static final int COUNT_HW_CPU_CYCLES = 0;
    public static final int COUNT_HW_INSTRUCTIONS = 1;
    public static final int COUNT_SW_CPU_CLOCK = 0;
    public static final int COUNT_SW_TASK_CLOCK = 1;
    public static final int COUNT_SW_BPF_OUTPUT = 10;
    /** {@code PERF_SAMPLE_RAW}: samples carry raw data (what BPF programs output). */
    public static final long SAMPLE_RAW = 1 << 10;

    /** A tracepoint, by its tracefs id: every hit runs the attached program. */
    public static PerfEventAttr tracepoint(int id) {
        return new PerfEventAttr(TYPE_TRACEPOINT, id, null, 0, 0, 1, false, 0, 1);
    }

    /** A software event ({@code COUNT_SW_*}) sampled every {@code period} events, or {@code period} times a second. */
    public static PerfEventAttr software(int config, long period, boolean frequency) {
        return new PerfEventAttr(TYPE_SOFTWARE, config, null, 0, 0, period, frequency, 0, 0);
    }

    /** A hardware event ({@code COUNT_HW_*}). */
    public static PerfEventAttr hardware(int config, long period, boolean frequency) {
        return new PerfEventAttr(TYPE_HARDWARE, config, null, 0, 0, period, frequency, 0, 0);
    }

    /** The per-CPU event that {@code bpf_perf_event_output} writes into, waking its reader at every sample. */
    public static PerfEventAttr bpfOutput() {
        return new PerfEventAttr(TYPE_SOFTWARE, COUNT_SW_BPF_OUTPUT, null, 0, 0, 1, false, SAMPLE_RAW, 1);
    }

    /** A kprobe or kretprobe through the {@code kprobe} PMU: {@code function+offset}. */
    static PerfEventAttr kprobe(PerfPmu pmu, boolean ret, String function, long offset) {
        return new PerfEventAttr(pmu.type(), ret ? 1L << pmu.retprobeBit() : 0, function, 0, offset, 1, false, 0, 1);
    }

    /** A uprobe or uretprobe through the {@code uprobe} PMU: {@code path} at file offset {@code offset}. */
    static PerfEventAttr uprobe(PerfPmu pmu, boolean ret, String path, long offset, long refCtrOffset) {
        long config = (ret ? 1L << pmu.retprobeBit() : 0) | (refCtrOffset != 0 ? refCtrOffset << pmu.refCtrShift() : 0);
        return new PerfEventAttr(pmu.type(), config, path, 0, offset, 1, false, 0, 1);
    }

    /** The attr as the kernel reads it, allocated in {@code arena} (with the probe target's string). */
    public MemorySegment encode(Arena arena) {
        MemorySegment a = arena.allocate(Layouts.PerfEventAttr.SIZE, 8);
        Layouts.PerfEventAttr.TYPE.set(a, type);
        Layouts.PerfEventAttr.SIZE_MEMBER.set(a, Layouts.PerfEventAttr.SIZE);
        Layouts.PerfEventAttr.CONFIG.set(a, config);
        Layouts.PerfEventAttr.SAMPLE_PERIOD.set(a, samplePeriod);
        Layouts.PerfEventAttr.FREQ.set(a, frequency ? 1 : 0);
        Layouts.PerfEventAttr.SAMPLE_TYPE.set(a, sampleType);
        Layouts.PerfEventAttr.WAKEUP_EVENTS.set(a, wakeupEvents);
        if (probeTarget != null) {
            Layouts.PerfEventAttr.CONFIG1.set(a, arena.allocateFrom(probeTarget, StandardCharsets.UTF_8));
        } else {
            Layouts.PerfEventAttr.CONFIG1.set(a, config1);
        }
        Layouts.PerfEventAttr.CONFIG2.set(a, config2);
        return a;
    }
}
