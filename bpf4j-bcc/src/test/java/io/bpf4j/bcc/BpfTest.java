package io.bpf4j.bcc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfException;
import io.bpf4j.TestRun;
import io.bpf4j.codec.CArray;
import io.bpf4j.kernel.testing.FdSnapshot;
import io.bpf4j.kernel.testing.KernelTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The BCC-style API on the kernel: compile, load, attach, tables, events, histograms, close. */
@KernelTest
class BpfTest {
    record ExecEvent(int pid, int ppid, @CArray(16) String comm) {}

    private static final String EXEC_EVENTS = """
            struct exec_event { u32 pid; u32 ppid; char comm[16]; };
            struct exec_event *unused_exec_event __attribute__((unused)); /* keeps the struct in BTF */
            struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024); __type(key, u32); __type(value, u64); } execs SEC(".maps");
            struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 1 << 16); } ring SEC(".maps");
            struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4); __uint(value_size, 4); } perf SEC(".maps");

            SEC("tracepoint/sched/sched_process_exec")
            int on_exec(struct trace_event_raw_sched_process_exec *ctx)
            {
                struct exec_event e = {};
                struct task_struct *task = (struct task_struct *)bpf_get_current_task();
                u64 one = 1, *n;

                e.pid = bpf_get_current_pid_tgid() >> 32;
                e.ppid = BPF_CORE_READ(task, real_parent, tgid);
                bpf_get_current_comm(e.comm, sizeof(e.comm));
                n = bpf_map_lookup_elem(&execs, &e.pid);
                if (n)
                    __sync_fetch_and_add(n, 1);
                else
                    bpf_map_update_elem(&execs, &e.pid, &one, BPF_ANY);
                bpf_ringbuf_output(&ring, &e, sizeof(e), 0);
                bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &e, sizeof(e));
                return 0;
            }

            char LICENSE[] SEC("license") = "GPL";
            """;

    @Test
    void tracepointFeedsTableRingAndPerfBuffer() throws Exception {
        FdSnapshot before = FdSnapshot.take();
        try (Bpf bpf = Bpf.builder().source("exec_events.bpf.c", EXEC_EVENTS).load()) {
            bpf.attachTracepoint("sched:sched_process_exec", "on_exec");
            List<ExecEvent> ring = new ArrayList<>();
            List<ExecEvent> perf = new ArrayList<>();
            bpf.openRingBuffer("ring", bpf.struct("exec_event", ExecEvent.class), ring::add);
            bpf.openPerfBuffer("perf", bpf.struct("exec_event", ExecEvent.class), perf::add, lost -> {});
            Process child = new ProcessBuilder("/bin/true").start();
            int pid = (int) child.pid();
            child.waitFor();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            // The JDK may exec a helper (jspawnhelper) before /bin/true in the child: both are seen.
            while (System.nanoTime() < deadline && (!seen(ring, pid) || !seen(perf, pid))) {
                bpf.poll(Duration.ofMillis(100));
            }
            ExecEvent e = ring.stream().filter(x -> x.pid() == pid && x.comm().equals("true")).findFirst()
                    .orElseThrow(() -> new AssertionError("ring buffer never saw /bin/true as pid " + pid + ": " + ring));
            assertEquals(ProcessHandle.current().pid(), e.ppid(), "the test is the child's parent");
            assertTrue(seen(perf, pid), "perf buffer never saw /bin/true as pid " + pid + ": " + perf);
            long execsOfChild = ring.stream().filter(x -> x.pid() == pid).count();
            Table<Integer, Long> execs = bpf.table("execs", Integer.class, Long.class);
            assertEquals(execsOfChild, execs.get(pid));
            assertTrue(execs.containsKey(pid));
            assertTrue(execs.size() >= 1);
            assertEquals(execsOfChild, execs.remove(pid));
            assertEquals(null, execs.get(pid));
            execs.put(7, 70L);
            assertEquals(70L, execs.put(7, 71L));
            execs.clear();
            assertTrue(execs.isEmpty());
        }
        before.assertNoneLeaked();
    }

    private static boolean seen(List<ExecEvent> events, int pid) {
        return events.stream().anyMatch(e -> e.pid() == pid && e.comm().equals("true"));
    }

    @Test
    void log2HistogramFromTheKernelPrintsAsBcc() {
        String source = """
                struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 65); __type(key, u32); __type(value, u64); } dist SEC(".maps");
                struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, u64); } total SEC(".maps");

                SEC("xdp")
                int size_hist(struct xdp_md *ctx)
                {
                    u64 len = ctx->data_end - ctx->data;
                    u32 slot = bpf4j_log2l(len), zero = 0;
                    u64 *n;

                    bpf4j_add(&dist, &slot, 1);
                    n = bpf_map_lookup_elem(&total, &zero);
                    if (n)
                        *n += len;
                    return XDP_PASS;
                }

                char LICENSE[] SEC("license") = "GPL";
                """;
        try (Bpf bpf = Bpf.builder().source("size_hist.bpf.c", source).load()) {
            Log2Histogram expected = new Log2Histogram();
            long bytes = 0;
            for (int size : new int[] {14, 60, 60, 64, 100, 1000, 1500, 129, 255, 256}) {
                bpf.program("size_hist").testRun(TestRun.ofData(new byte[size]));
                expected.add(size);
                bytes += size;
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            bpf.table("dist", Integer.class, Long.class).printLog2Hist(new PrintStream(out, true, StandardCharsets.UTF_8), "bytes");
            assertEquals(expected.format("bytes"), out.toString(StandardCharsets.UTF_8));
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("        64 -> 127        : 2        |"), out.toString());
            PerCpuTable<Integer, Long> total = bpf.perCpuTable("total", Integer.class, Long.class);
            assertEquals(bytes, total.sum(0));
            assertEquals(Map.of(0, bytes), new HashMap<>(total.sums()));
            total.clear();
            assertEquals(0, total.sum(0));
        }
    }

    @Test
    void preludeLog2lIsLog2HistogramSlot() {
        String source = """
                u32 slot = 0;
                SEC("xdp")
                int log2l_of(struct xdp_md *ctx)
                {
                    void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
                    if (data + 8 > end)
                        return XDP_ABORTED;
                    slot = bpf4j_log2l(*(u64 *)data);
                    return XDP_PASS;
                }
                char LICENSE[] SEC("license") = "GPL";
                """;
        try (Bpf bpf = Bpf.builder().source("log2l.bpf.c", source).load()) {
            java.util.List<Long> values = new ArrayList<>(java.util.List.of(0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE));
            for (int k = 1; k < 64; k++) {
                values.add((1L << k) - 1);
                values.add(1L << k);
                values.add((1L << k) + 1);
            }
            java.util.Random r = new java.util.Random(7);
            for (int i = 0; i < 100; i++) {
                values.add(r.nextLong() >>> r.nextInt(64));
            }
            for (long v : values) {
                byte[] packet = new byte[64];
                java.nio.ByteBuffer.wrap(packet).order(java.nio.ByteOrder.nativeOrder()).putLong(v);
                bpf.program("log2l_of").testRun(TestRun.ofData(packet));
                assertEquals(Log2Histogram.slot(v), bpf.global("slot", Integer.class), "slot of " + Long.toUnsignedString(v));
            }
        }
    }

    @Test
    void globalsAndConstants() {
        String source = """
                const volatile u32 step = 1;
                u64 counter = 0;
                SEC("xdp") int count(struct xdp_md *ctx) { counter += step; return XDP_PASS; }
                char LICENSE[] SEC("license") = "GPL";
                """;
        try (Bpf bpf = Bpf.builder().source("globals.bpf.c", source).variable("step", 5).load()) {
            for (int i = 0; i < 3; i++) {
                bpf.program("count").testRun(TestRun.ofData(new byte[64]));
            }
            assertEquals(15L, bpf.global("counter", Long.class));
            assertEquals(5, bpf.global("step", Integer.class));
            bpf.setGlobal("counter", Long.class, 100L);
            bpf.program("count").testRun(TestRun.ofData(new byte[64]));
            assertEquals(105L, bpf.global("counter", Long.class));
        }
    }

    @Test
    void autoAttachAndTraceFields() throws Exception {
        String marker = "bcc-test-" + ProcessHandle.current().pid();
        String source = """
                SEC("tracepoint/sched/sched_process_exec")
                int hello(void *ctx)
                {
                    bpf_printk("MARKER exec of %d", (u32)(bpf_get_current_pid_tgid() >> 32));
                    return 0;
                }
                SEC("xdp") int not_by_section(struct xdp_md *ctx) { return XDP_PASS; }
                char LICENSE[] SEC("license") = "GPL";
                """.replace("MARKER", marker);
        try (Bpf bpf = Bpf.builder().source("hello.bpf.c", source).load()) {
            assertEquals(1, bpf.autoAttach().size(), "the XDP program needs a device and is left alone");
            BpfException manual = assertThrows(BpfException.class, () -> bpf.attach("not_by_section"));
            assertTrue(manual.getMessage().contains("XdpLink"), manual.getMessage());
            bpf.tracePipe();
            // The pipe is shared with every reader on the machine: run children until one line of ours is read.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            io.bpf4j.kernel.TracePipe.Event seen = null;
            while (seen == null && System.nanoTime() < deadline) {
                Process child = new ProcessBuilder("/bin/true").start();
                child.waitFor();
                long until = System.nanoTime() + Duration.ofMillis(500).toNanos();
                while (seen == null && System.nanoTime() < until) {
                    seen = bpf.traceFields(Duration.ofMillis(100)).filter(e -> e.message().equals(marker + " exec of " + child.pid()))
                            .orElse(null);
                }
            }
            assertTrue(seen != null, "no trace line of ours within 10 s");
            assertEquals("bpf_trace_printk", seen.function());

            // trace_print: raw lines until stopped
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            StopSignal stop = StopSignal.manual();
            Thread printer = Thread.ofPlatform().start(() -> bpf.tracePrint(new PrintStream(printed, true, StandardCharsets.UTF_8), stop));
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!printed.toString(StandardCharsets.UTF_8).contains(marker + " exec of ") && System.nanoTime() < until) {
                new ProcessBuilder("/bin/true").start().waitFor();
                Thread.sleep(100);
            }
            stop.stop();
            printer.join();
            assertTrue(printed.toString(StandardCharsets.UTF_8).contains(": bpf_trace_printk: " + marker + " exec of "),
                    "trace_print's raw lines: " + printed);
        }
    }

    @Test
    void uprobeAndUretprobeOnLibc() throws Exception {
        String source = """
                struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024); __type(key, u32); __type(value, u64); } calls SEC(".maps");
                struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024); __type(key, u32); __type(value, u64); } returns SEC(".maps");

                SEC("uprobe")
                int entered(struct pt_regs *ctx)
                {
                    u32 pid = bpf_get_current_pid_tgid() >> 32;
                    bpf4j_add(&calls, &pid, 1);
                    return 0;
                }

                SEC("uretprobe")
                int returned(struct pt_regs *ctx)
                {
                    u32 pid = bpf_get_current_pid_tgid() >> 32;
                    bpf4j_add(&returns, &pid, 1);
                    return 0;
                }

                char LICENSE[] SEC("license") = "GPL";
                """;
        try (Bpf bpf = Bpf.builder().source("uprobe.bpf.c", source).load()) {
            bpf.attachUprobe("libc.so.6", "geteuid", "entered", -1);
            bpf.attachUretprobe("libc.so.6", "geteuid", "returned", -1);
            Process id = new ProcessBuilder("id", "-u").start(); // coreutils' id -u calls geteuid
            id.getInputStream().readAllBytes();
            id.waitFor();
            int pid = (int) id.pid();
            assertTrue(bpf.table("calls", Integer.class, Long.class).getOrDefault(pid, 0L) >= 1, "geteuid entered by " + pid);
            assertEquals(bpf.table("calls", Integer.class, Long.class).get(pid), bpf.table("returns", Integer.class, Long.class).get(pid));
        }
    }

    @Test
    void perfEventOnEveryCpu() throws Exception {
        String source = """
                u64 samples = 0;
                SEC("perf_event") int sample(struct bpf_perf_event_data *ctx) { __sync_fetch_and_add(&samples, 1); return 0; }
                char LICENSE[] SEC("license") = "GPL";
                """;
        try (Bpf bpf = Bpf.builder().source("perf.bpf.c", source).load()) {
            bpf.attachPerfEvent(io.bpf4j.kernel.PerfEventAttr.software(io.bpf4j.kernel.PerfEventAttr.COUNT_SW_CPU_CLOCK, 1000, true),
                    "sample");
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (bpf.global("samples", Long.class) == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(bpf.global("samples", Long.class) > 0, "a 1000 Hz CPU clock sampled within 5 s");
        }
    }

    @Test
    void tcOnAVethInANetns() throws Exception {
        String source = """
                u64 udp = 0;
                SEC("tc")
                int count_udp(struct __sk_buff *skb)
                {
                    if (skb->protocol == bpf_htons(0x0800)) {
                        u8 proto;
                        if (!bpf_skb_load_bytes(skb, 14 + 9, &proto, 1) && proto == IPPROTO_UDP)
                            __sync_fetch_and_add(&udp, 1);
                    }
                    return TC_ACT_OK;
                }
                char LICENSE[] SEC("license") = "GPL";
                """;
        try (io.bpf4j.kernel.testing.VethPair pair = io.bpf4j.kernel.testing.VethPair.create("bcctc");
                Bpf bpf = Bpf.builder().source("tc.bpf.c", "#include <bpf/bpf_endian.h>\n#define TC_ACT_OK 0\n" + source).load()) {
            pair.receiver().run(() -> bpf.attachTc(io.bpf4j.kernel.testing.VethPair.RECEIVER_DEV,
                    io.bpf4j.kernel.TcxLink.Direction.INGRESS, "count_udp"));
            byte[] frame = io.bpf4j.kernel.testing.Frames.udp(io.bpf4j.kernel.testing.VethPair.SENDER_MAC,
                    io.bpf4j.kernel.testing.VethPair.RECEIVER_MAC, io.bpf4j.kernel.testing.VethPair.SENDER_IP,
                    io.bpf4j.kernel.testing.VethPair.RECEIVER_IP, 1234, 9, new byte[20]);
            pair.sender().run(() -> {
                try (io.bpf4j.kernel.PacketSocket s = io.bpf4j.kernel.PacketSocket.open(
                        io.bpf4j.kernel.NetDevice.of(io.bpf4j.kernel.testing.VethPair.SENDER_DEV))) {
                    for (int i = 0; i < 3; i++) {
                        s.send(frame);
                    }
                }
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (bpf.global("udp", Long.class) < 3 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(3L, bpf.global("udp", Long.class));
        }
    }

    /** A record whose components do not match the C struct. */
    record WrongEvent(int pid, int parent, @CArray(16) String comm) {}

    @Test
    void clearErrors() {
        try (Bpf bpf = Bpf.builder().source("exec_events.bpf.c", EXEC_EVENTS).load()) {
            BpfException wrongType = assertThrows(BpfException.class, () -> bpf.attachXdp("lo", "on_exec", io.bpf4j.kernel.XdpLink.Mode.GENERIC));
            assertEquals("program 'on_exec' is a tracepoint program (section 'tracepoint/sched/sched_process_exec'), not an XDP "
                    + "program: its SEC() decides its type", wrongType.getMessage());
            BpfException noMap = assertThrows(BpfException.class, () -> bpf.table("nope", Integer.class, Long.class));
            assertTrue(noMap.getMessage().contains("has no map 'nope'"), noMap.getMessage());
            IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                    () -> bpf.table("execs", Long.class, Long.class));
            assertTrue(size.getMessage().contains("the key of map 'execs' has 4 bytes, but Long has 8"), size.getMessage());
            assertThrows(IllegalArgumentException.class, () -> bpf.attachTracepoint("sched_process_exec", "on_exec"));
            RuntimeException wrong = assertThrows(RuntimeException.class, () -> bpf.struct("exec_event", WrongEvent.class));
            assertTrue(wrong.getMessage().contains("parent"), "names the component that matches no member: " + wrong.getMessage());
        }
        CompileException e = assertThrows(CompileException.class, () -> Bpf.compile("SEC(\"xdp\") int f(struct xdp_md *c) { return c->x; }"));
        assertEquals(1, e.errors().getFirst().line());
    }
}
