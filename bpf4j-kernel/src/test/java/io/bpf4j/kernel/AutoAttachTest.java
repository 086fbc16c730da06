package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfException;
import io.bpf4j.LinkType;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.kernel.testing.Asm;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.object.SectionDefinition;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class AutoAttachTest {
    /** The plan for a section, with program type and attach type from libbpf's section table. */
    private static AutoAttach.Point plan(String section) {
        SectionDefinition d = SectionDefinition.find(section.startsWith("?") ? section.substring(1) : section)
                .orElseThrow(() -> new AssertionError("libbpf knows no section " + section));
        return AutoAttach.plan(d.type(), d.attachType(), section);
    }

    @Test
    void sectionNamesMapToLinkKinds() {
        assertEquals(new AutoAttach.Kprobe("do_unlinkat", 0, false), plan("kprobe/do_unlinkat"));
        assertEquals(new AutoAttach.Kprobe("do_unlinkat", 0x10, false), plan("kprobe/do_unlinkat+0x10"));
        assertEquals(new AutoAttach.Kprobe("do_unlinkat", 16, false), plan("kprobe/do_unlinkat+16"));
        assertEquals(new AutoAttach.Kprobe("do_exit", 0, true), plan("kretprobe/do_exit"));
        assertEquals(new AutoAttach.Ksyscall("openat", false), plan("ksyscall/openat"));
        assertEquals(new AutoAttach.Ksyscall("openat", true), plan("kretsyscall/openat"));
        assertEquals(new AutoAttach.Uprobe("/usr/bin/bash", "readline", 0, false), plan("uprobe//usr/bin/bash:readline"));
        assertEquals(new AutoAttach.Uprobe("libc.so.6", "malloc", 8, true), plan("uretprobe/libc.so.6:malloc+8"));
        assertEquals(new AutoAttach.Uprobe("/bin/true", null, 0x1040, false), plan("uprobe//bin/true:0x1040"));
        assertEquals(new AutoAttach.Uprobe("libc.so.6", "free", 0, false), plan("uprobe.s/libc.so.6:free"));
        assertEquals(new AutoAttach.Usdt("/usr/lib/libjvm.so", "hotspot", "thread__start"),
                plan("usdt//usr/lib/libjvm.so:hotspot:thread__start"));
        assertEquals(new AutoAttach.Tracepoint("sched", "sched_process_exec"), plan("tracepoint/sched/sched_process_exec"));
        assertEquals(new AutoAttach.Tracepoint("syscalls", "sys_enter_execve"), plan("tp/syscalls/sys_enter_execve"));
        assertEquals(new AutoAttach.RawTracepoint("sys_enter"), plan("raw_tp/sys_enter"));
        assertEquals(new AutoAttach.RawTracepoint("sched_switch"), plan("raw_tracepoint.w/sched_switch"));
        assertEquals(new AutoAttach.Tracing(), plan("tp_btf/sched_switch"));
        assertEquals(new AutoAttach.Tracing(), plan("fentry/do_unlinkat"));
        assertEquals(new AutoAttach.Tracing(), plan("fexit.s/do_unlinkat"));
        assertEquals(new AutoAttach.Tracing(), plan("fmod_ret/security_file_open"));
        assertEquals(new AutoAttach.Tracing(), plan("lsm/file_open"));
        assertEquals(new AutoAttach.Kprobe("do_exit", 0, false), plan("?kprobe/do_exit"));
    }

    @Test
    void sectionsWithoutATargetSayWhatToUse() {
        for (String section : new String[] {"xdp", "tc", "tcx/ingress", "classifier", "cgroup_skb/egress", "cgroup/dev",
            "sk_lookup", "netfilter", "perf_event", "socket", "sk_skb/stream_verdict", "sk_msg", "kprobe", "uprobe",
            "usdt", "tp/sched", "kretprobe/do_exit+4", "uprobe/libc.so.6", "usdt/a:b", "iter/task", "kprobe.multi/do_*"}) {
            AutoAttach.Manual m = assertInstanceOf(AutoAttach.Manual.class, plan(section), section);
            assertTrue(m.reason().startsWith("section '" + section + "' cannot be attached automatically: "), m.reason());
        }
        assertTrue(((AutoAttach.Manual) plan("xdp")).reason().contains("XdpLink.attach"));
        assertTrue(((AutoAttach.Manual) plan("cgroup/sock_create")).reason().contains("CgroupLink.attach"));
    }

    @Test
    @KernelTest
    void attachesWhereTheSectionSays() throws Exception {
        try (KernelMap ring = KernelMap.create(MapDefinition.of(MapType.RINGBUF, 0, 0, 4096));
                KernelProgram tp = ExecTracer.program(ring, null);
                KernelProgram raw = ExecTracer.program(ProgramType.RAW_TRACEPOINT, ring, null, d -> d);
                Link a = AutoAttach.attach(tp, plan("tracepoint/sched/sched_process_exec"));
                Link b = AutoAttach.attach(raw, plan("raw_tp/sched_process_exec"))) {
            assertInstanceOf(TracepointLink.class, a);
            assertEquals(LinkType.PERF_EVENT, a.kernelLink().orElseThrow().type());
            assertEquals(LinkType.RAW_TRACEPOINT, b.kernelLink().orElseThrow().type());
            var e = assertThrows(BpfException.class, () -> AutoAttach.attach(tp, plan("xdp")));
            assertTrue(e.getMessage().contains("XdpLink"), e.getMessage());
        }
        String libc = UprobeTest.mapped("libc.so.6");
        try (KernelProgram up = KernelProgram.load(ProgramDefinition.of(ProgramType.KPROBE, "up",
                new Asm().movImm(0, 0).exit().bytes(), "GPL"));
                // A raw offset (the function's own: a probe inside an instruction would corrupt a caller).
                Link u = AutoAttach.attach(up, plan("uprobe/" + libc + ":0x"
                        + Long.toHexString(UprobeLink.functionOffset(libc, "labs"))))) {
            LinkInfo.PerfEvent info = (LinkInfo.PerfEvent) u.info().target();
            assertEquals(Path.of(libc).toRealPath().toString(), Path.of(info.name()).toRealPath().toString());
            assertEquals(UprobeLink.functionOffset(libc, "labs"), info.offset());
        }
    }
}
