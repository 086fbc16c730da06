package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.AttachType;
import io.bpf4j.BpfException;
import io.bpf4j.LinkType;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.isa.AluOp;
import io.bpf4j.isa.JumpOp;
import io.bpf4j.kernel.sys.Layouts;
import io.bpf4j.kernel.testing.Asm;
import io.bpf4j.kernel.testing.NoFdLeaks;
import io.bpf4j.kernel.testing.KernelTest;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Raw tracepoints, tp_btf, fentry, perf events, and kprobes (which this kernel lacks). */
@KernelTest
@NoFdLeaks
class TracingHooksTest {
    @TempDir
    Path dir;

    /** Attaches the exec tracer with {@code attach}, runs the unique binary a few times, checks the events. */
    private void traceExecs(KernelProgram program, KernelMap ring, Link link) throws Exception {
        Path binary = ExecTracer.uniqueTrue(dir);
        List<ExecTracer.Exec> events = new ArrayList<>();
        try (RingBufferReader reader = new RingBufferReader(); link) {
            reader.add(ring, r -> events.add(ExecTracer.Exec.of(r)));
            List<Integer> pids = ExecTracer.spawn(binary, 10);
            String comm = binary.getFileName().toString();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (events.stream().filter(e -> e.comm().equals(comm)).count() < pids.size() && System.nanoTime() < deadline) {
                reader.poll(Duration.ofMillis(100));
            }
            assertEquals(pids, events.stream().filter(e -> e.comm().equals(comm)).map(ExecTracer.Exec::pid).toList());
        }
    }

    @Test
    void rawTracepointSeesEveryExec() throws Exception {
        try (KernelMap ring = KernelMap.create(MapDefinition.of(MapType.RINGBUF, 0, 0, 1 << 16));
                KernelProgram p = ExecTracer.program(ProgramType.RAW_TRACEPOINT, ring, null, d -> d)) {
            RawTracepointLink link = RawTracepointLink.attach(p, "sched_process_exec");
            assertEquals(LinkType.RAW_TRACEPOINT, link.kernelLink().orElseThrow().type());
            assertEquals("sched_process_exec", ((LinkInfo.RawTracepoint) link.info().target()).name());
            traceExecs(p, ring, link);
        }
    }

    @Test
    void btfTracepointSeesEveryExec() throws Exception {
        int target = TracingLink.targetBtfId(AttachType.TRACE_RAW_TP, "sched_process_exec");
        try (KernelMap ring = KernelMap.create(MapDefinition.of(MapType.RINGBUF, 0, 0, 1 << 16));
                KernelProgram p = ExecTracer.program(ProgramType.TRACING, ring, null,
                        d -> d.withExpectedAttachType(AttachType.TRACE_RAW_TP).withAttachTarget(target, 0))) {
            TracingLink link = TracingLink.attach(p);
            // The kernel makes a raw tracepoint link for tp_btf, naming the tracepoint.
            assertEquals(new LinkInfo.RawTracepoint("sched_process_exec", 0), link.info().target());
            traceExecs(p, ring, link);
        }
    }

    @Test
    void fentryCountsTheCallsOfThisProcess() throws Throwable {
        assumeTrue(TracingLink.canAttach(AttachType.TRACE_FENTRY, "__x64_sys_getpgid"),
                "this kernel refuses fentry programs (BPF trampolines), e.g. under lockdown");
        int target = TracingLink.targetBtfId(AttachType.TRACE_FENTRY, "__x64_sys_getpgid");
        MethodHandle getpgid = Linker.nativeLinker().downcallHandle(Linker.nativeLinker().defaultLookup()
                .find("getpgid").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        try (KernelMap counts = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 8, 1))) {
            byte[] code = new Asm()
                    .call("get_current_pid_tgid").alu(AluOp.RSH, 0, 32)
                    .jmpImm(JumpOp.JNE, 0, (int) ProcessHandle.current().pid(), "out")
                    .movImm(6, 0).incrementArray(counts.fd(), 6, "counted")
                    .label("out").movImm(0, 0).exit().bytes();
            try (KernelProgram p = KernelProgram.load(ProgramDefinition.of(ProgramType.TRACING, "count_getpgid", code, "GPL")
                    .withExpectedAttachType(AttachType.TRACE_FENTRY).withAttachTarget(target, 0));
                    TracingLink link = TracingLink.attach(p, AttachType.TRACE_FENTRY, 42)) {
                for (int i = 0; i < 77; i++) {
                    int r = (int) getpgid.invokeExact(0);
                    assertTrue(r > 0);
                }
                assertEquals(77, ByteBuffer.wrap(counts.lookup(new byte[4]).orElseThrow()).order(ByteOrder.nativeOrder())
                        .getLong());
                LinkInfo.Tracing t = (LinkInfo.Tracing) link.info().target();
                assertEquals(AttachType.TRACE_FENTRY.id(), t.attachType());
                assertEquals(42, t.cookie());
            }
        }
    }

    @Test
    void perfEventProgramSamplesEachCpu() throws Exception {
        try (KernelMap counts = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 8, 1))) {
            byte[] code = new Asm().movImm(6, 0).incrementArray(counts.fd(), 6, "counted").movImm(0, 0).exit().bytes();
            try (KernelProgram p = KernelProgram.load(ProgramDefinition.of(ProgramType.PERF_EVENT, "sample", code, "GPL"))) {
                PerfEventAttr clock = PerfEventAttr.software(PerfEventAttr.COUNT_SW_CPU_CLOCK, 1000, true);
                try (PerfEventLink link = PerfEventLink.attachEachCpu(p, clock)) {
                    assertEquals(Kernel.onlineCpus().length, link.kernelLinks().size());
                    LinkInfo.PerfEvent e = (LinkInfo.PerfEvent) link.kernelLinks().getFirst().info().target();
                    assertEquals(LinkInfo.PerfEvent.EVENT, e.kind());
                    assertEquals(PerfEventAttr.COUNT_SW_CPU_CLOCK, e.offset());
                    long end = System.nanoTime() + Duration.ofMillis(300).toNanos();
                    while (System.nanoTime() < end) {
                        Thread.onSpinWait(); // keep a CPU busy so the clock samples
                    }
                }
                long samples = ByteBuffer.wrap(counts.lookup(new byte[4]).orElseThrow()).order(ByteOrder.nativeOrder())
                        .getLong();
                assertTrue(samples > 50, samples + " samples in 300 ms at 1000 Hz");
                Thread.sleep(100);
                assertEquals(samples, ByteBuffer.wrap(counts.lookup(new byte[4]).orElseThrow())
                        .order(ByteOrder.nativeOrder()).getLong(), "samples after the link was closed");
            }
        }
    }

    @Test
    void kprobeOnThisKernelFailsClearly() {
        boolean kprobesHere = Files.exists(Path.of("/sys/bus/event_source/devices/kprobe"))
                || Files.exists(Path.of("/sys/kernel/tracing/kprobe_events"));
        try (KernelProgram p = KernelProgram.load(ProgramDefinition.of(ProgramType.KPROBE, "kp",
                new Asm().movImm(0, 0).exit().bytes(), "GPL"))) {
            if (kprobesHere) {
                try (KprobeLink link = KprobeLink.attach(p, "do_unlinkat", 0, false)) {
                    assertTrue(link.toString().contains("do_unlinkat"));
                }
                return;
            }
            var e = assertThrows(UnsupportedFeatureException.class, () -> KprobeLink.attach(p, "do_unlinkat", 0, false));
            assertTrue(e.getMessage().contains("CONFIG_KPROBE_EVENTS"), e.getMessage());
            assertEquals(TracingLink.canAttach(AttachType.TRACE_FENTRY, "do_unlinkat"),
                    e.getMessage().contains("fentry/do_unlinkat"), e.getMessage());
            assertTrue(e.getMessage().contains("tracepoint syscalls:sys_enter_unlinkat"), e.getMessage());
            var s = assertThrows(UnsupportedFeatureException.class, () -> KprobeLink.attachSyscall(p, "openat", true));
            assertTrue(s.getMessage().startsWith("kretprobe on __x64_sys_openat needs a kernel with kprobes"), s.getMessage());
            assertTrue(s.getMessage().contains("tracepoint syscalls:sys_exit_openat"), s.getMessage());
            assertTrue(s.getMessage().contains("raw tracepoint sys_exit"), s.getMessage());
            assertEquals(TracingLink.canAttach(AttachType.TRACE_FEXIT, "__x64_sys_openat"),
                    s.getMessage().contains("fexit/__x64_sys_openat"), s.getMessage());
        }
    }

    @Test
    void whatAKprobeWouldSend() {
        // The perf_event_attr for the kprobe PMU (type and retprobe bit as a kernel with kprobes reports them).
        PerfPmu pmu = new PerfPmu("kprobe", 6, PerfPmu.parseFirstBit("config:0"), -1);
        PerfEventAttr ret = PerfEventAttr.kprobe(pmu, true, "do_sys_openat2", 0x10);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = ret.encode(arena);
            assertEquals(136, a.byteSize());
            assertEquals(6, a.get(ValueLayout.JAVA_INT, 0), "type");
            assertEquals(136, a.get(ValueLayout.JAVA_INT, 4), "size");
            assertEquals(1, a.get(ValueLayout.JAVA_LONG, 8), "config: the retprobe bit");
            assertEquals(1, a.get(ValueLayout.JAVA_LONG, 16), "sample_period");
            assertEquals(1, a.get(ValueLayout.JAVA_INT, 48), "wakeup_events");
            long function = a.get(ValueLayout.JAVA_LONG, 56);
            assertEquals("do_sys_openat2", MemorySegment.ofAddress(function).reinterpret(64).getString(0), "config1");
            assertEquals(0x10, a.get(ValueLayout.JAVA_LONG, 64), "config2: the offset");
            assertEquals(Layouts.PerfEventAttr.CONFIG1.offset(), 56);
            PerfEventAttr entry = PerfEventAttr.kprobe(pmu, false, "do_sys_openat2", 0);
            assertEquals(0, entry.encode(arena).get(ValueLayout.JAVA_LONG, 8));
        }
        assertNull(PerfEventAttr.kprobe(pmu, false, "f", 0).frequency() ? "" : null);
        // The kprobe_events lines, as tracefs documents them.
        assertEquals("p:bpf4j/ev do_sys_openat2+0x0", KprobeLink.tracefsDefinition(false, "ev", "do_sys_openat2", 0));
        assertEquals("r:bpf4j/ev do_sys_openat2+0x10", KprobeLink.tracefsDefinition(true, "ev", "do_sys_openat2", 0x10));
        String name = TracefsProbe.eventName("do_sys.openat2", 0x10);
        assertTrue(name.matches("bpf4j_" + ProcessHandle.current().pid() + "_do_sys_openat2_0x10_\\d+"), name);
        assertEquals("__x64_sys_openat", KprobeLink.syscallFunction("openat"));
        assertEquals("p:bpf4j/u /bin/true:0x1234(0x40)", UprobeLink.tracefsDefinition(false, "u", "/bin/true", 0x1234, 0x40));
        assertThrows(BpfException.class, () -> KprobeLink.syscallFunction("open at"));
    }
}
