package io.bpf4j.bcc.bench;

import io.bpf4j.bcc.Bpf;
import io.bpf4j.bcc.BpfCompiler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How long a tool waits at start for its BPF C: compiled (vmlinux.h generated first when the
 * cache has none), then loaded (with CO-RE relocation against the kernel) and attached. Run by {@code scripts/bcc-compile-timing} in fresh JVMs: with an
 * empty cache, again with the cache filled, and with a program the cache has not seen.
 * Prints wall time and the CPU time of this process and its children (clang).
 */
public final class CompileTimingMain {
    private static final String SOURCE = """
            struct event { u32 pid; u32 ppid; char comm[16]; };
            struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 1 << 16); } events SEC(".maps");
            struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024); __type(key, u32); __type(value, u64); } counts SEC(".maps");

            SEC("tracepoint/sched/sched_process_exec")
            int on_exec(struct trace_event_raw_sched_process_exec *ctx)
            {
                struct task_struct *task = (struct task_struct *)bpf_get_current_task();
                struct event e = { .pid = bpf_get_current_pid_tgid() >> 32 };

                e.ppid = BPF_CORE_READ(task, real_parent, tgid);
                bpf_get_current_comm(e.comm, sizeof(e.comm));
                bpf4j_add(&counts, &e.pid, 1);
                bpf_ringbuf_output(&events, &e, sizeof(e), 0);
                return 0;
            }

            char LICENSE[] SEC("license") = "GPL";
            """;

    private CompileTimingMain() {}

    public static void main(String[] args) throws IOException {
        Path cache = Path.of(args[0]);
        String label = args[1];
        String source = args.length > 2 ? SOURCE + "\n// " + args[2] + "\n" : SOURCE;
        long cpu0 = cpuMillis();
        long t0 = System.nanoTime();
        BpfCompiler.Result r = BpfCompiler.find().withCacheRoot(cache).compile("timing.bpf.c", source);
        long t1 = System.nanoTime();
        long cpu1 = cpuMillis();
        Path object = Files.createTempFile("timing", ".bpf.o");
        try {
            Files.write(object, r.object());
            long t2 = System.nanoTime();
            try (Bpf bpf = Bpf.load(object)) {
                bpf.attachTracepoint("sched:sched_process_exec", "on_exec");
            }
            long t3 = System.nanoTime();
            System.out.printf(Locale.ROOT, "%-32s vmlinux.h %-9s object %-8s | compile %5.0f ms (cpu %5d ms) | load+attach %5.0f ms"
                    + " (cpu %5d ms)%n", label, r.header().generated() ? "generated" : "cached", r.cached() ? "cached" : "compiled",
                    (t1 - t0) / 1e6, cpu1 - cpu0, (t3 - t2) / 1e6, cpuMillis() - cpu1);
        } finally {
            Files.delete(object);
        }
    }

    /** User and system time of this process and its waited-for children (clang), from /proc/self/stat. */
    private static long cpuMillis() throws IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        return ticks * 10; // USER_HZ is 100 on Linux
    }
}
