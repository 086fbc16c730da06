package io.bpf4j.examples;

import io.bpf4j.bcc.Bpf;
import io.bpf4j.bcc.StopSignal;
import io.bpf4j.codec.CArray;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Inodes as the kernel writes them back, from the {@code writeback_single_inode} tracepoint,
 * sent to user space through a perf buffer ({@code BPF_PERF_OUTPUT} in BCC's words): the
 * inode number, the backing device, how many pages were written and who wrote them. Lost
 * events are reported as BCC reports them.
 */
@Command(name = "writeback", mixinStandardHelpOptions = true,
        description = "Trace inodes written back (writeback_single_inode), through a perf buffer.")
final class Writeback extends Tool {
    private static final String SOURCE = """
            struct writeback_event {
                u64 ino;
                u64 pages;
                u32 pid;
                char comm[16];
                char device[32];
            };
            struct writeback_event *unused_writeback_event __attribute__((unused));

            struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4); __uint(value_size, 4); } events SEC(".maps");

            SEC("tracepoint/writeback/writeback_single_inode")
            int written_back(struct trace_event_raw_writeback_single_inode_template *ctx)
            {
                struct writeback_event e = {};

                e.ino = ctx->ino;
                e.pages = ctx->wrote;
                e.pid = bpf_get_current_pid_tgid() >> 32;
                bpf_get_current_comm(e.comm, sizeof(e.comm));
                bpf_probe_read_kernel_str(e.device, sizeof(e.device), ctx->name);
                bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
                return 0;
            }

            char LICENSE[] SEC("license") = "GPL";
            """;

    /** One inode written back. */
    record Event(long ino, long pages, int pid, @CArray(16) String comm, @CArray(32) String device) {}

    @Option(names = {"-i", "--inode"}, paramLabel = "INO", description = "Show this inode only.")
    Long inode;

    @Override
    int run(PrintWriter out, StopSignal stop) {
        try (Bpf bpf = Bpf.builder().source("writeback.bpf.c", SOURCE).load()) {
            AtomicLong seen = new AtomicLong();
            DateTimeFormatter hms = DateTimeFormatter.ofPattern("HH:mm:ss");
            bpf.openPerfBuffer("events", bpf.struct("writeback_event", Event.class), e -> {
                if (inode == null || inode == e.ino()) {
                    seen.incrementAndGet();
                    out.println(String.format("%-8s %-7d %-16s %-10s %-12d %d", LocalTime.now().format(hms), e.pid(), e.comm(),
                            e.device(), e.ino(), e.pages()));
                }
            }, lost -> out.println("Possibly lost " + lost + " samples"));
            bpf.autoAttach();
            out.println(String.format("%-8s %-7s %-16s %-10s %-12s %s", "TIME", "PID", "COMM", "DEVICE", "INODE", "PAGES"));
            out.flush();
            while (!stop.stopped() && bpf.poll(Duration.ofMillis(100)) >= 0) {
                out.flush();
            }
            out.println(seen.get() + " inodes written back");
        }
        return 0;
    }
}
