package io.bpf4j.examples;

import io.bpf4j.BpfException;
import io.bpf4j.bcc.Bpf;
import io.bpf4j.bcc.StopSignal;
import io.bpf4j.bcc.Table;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Block device I/O latency as a log2 histogram, printed as BCC's biolatency prints it. A
 * request is timed from {@code block_rq_issue} (or {@code block_rq_insert} with {@code -Q})
 * to {@code block_rq_complete}, matched by device and sector.
 */
@Command(name = "biolatency", mixinStandardHelpOptions = true,
        description = "Summarize block device I/O latency as a histogram.")
final class Biolatency extends Tool {
    private static final String SOURCE = """
            const volatile bool queued = false;
            const volatile bool millis = false;
            const volatile bool per_disk = false;
            const volatile u32 only_dev = 0;

            struct request_key { u32 dev; u32 pad; u64 sector; };
            struct hist_key { u32 dev; u32 slot; };
            struct extension { u64 total; u64 count; };

            struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 10240); __type(key, struct request_key); __type(value, u64); } start SEC(".maps");
            struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4096); __type(key, struct hist_key); __type(value, u64); } dist SEC(".maps");
            struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, struct extension); } ext SEC(".maps");

            static __always_inline int started(u32 dev, u64 sector, u64 flags)
            {
                struct request_key key = { .dev = dev, .sector = sector };
                u64 now = bpf_ktime_get_ns();

                if (only_dev && dev != only_dev)
                    return 0;
                bpf_map_update_elem(&start, &key, &now, flags);
                return 0;
            }

            SEC("tracepoint/block/block_rq_insert")
            int rq_insert(struct trace_event_raw_block_rq *ctx)
            {
                return queued ? started(ctx->dev, ctx->sector, BPF_ANY) : 0;
            }

            SEC("tracepoint/block/block_rq_issue")
            int rq_issue(struct trace_event_raw_block_rq *ctx)
            {
                /* with -Q, requests issued without being queued are timed from here */
                return started(ctx->dev, ctx->sector, queued ? BPF_NOEXIST : BPF_ANY);
            }

            SEC("tracepoint/block/block_rq_complete")
            int rq_complete(struct trace_event_raw_block_rq_completion *ctx)
            {
                struct request_key key = { .dev = ctx->dev, .sector = ctx->sector };
                struct hist_key hist = {};
                struct extension *e;
                u64 *ts, delta;
                u32 zero = 0;

                ts = bpf_map_lookup_elem(&start, &key);
                if (!ts)
                    return 0;
                delta = bpf_ktime_get_ns() - *ts;
                bpf_map_delete_elem(&start, &key);
                delta /= millis ? 1000000 : 1000;
                hist.dev = per_disk ? ctx->dev : 0;
                hist.slot = bpf4j_log2l(delta);
                bpf4j_add(&dist, &hist, 1);
                e = bpf_map_lookup_elem(&ext, &zero);
                if (e) {
                    __sync_fetch_and_add(&e->total, delta);
                    __sync_fetch_and_add(&e->count, 1);
                }
                return 0;
            }

            char LICENSE[] SEC("license") = "GPL";
            """;

    /** A histogram slot of one disk (dev 0 when not per disk). */
    record HistKey(int dev, int slot) {}

    record Extension(long total, long count) {}

    @Option(names = {"-T", "--timestamp"}, description = "Include a timestamp on output.")
    boolean timestamp;

    @Option(names = {"-Q", "--queued"}, description = "Include OS queued time in I/O time.")
    boolean queued;

    @Option(names = {"-m", "--milliseconds"}, description = "Millisecond histogram.")
    boolean millis;

    @Option(names = {"-D", "--disks"}, description = "Print a histogram per disk device.")
    boolean perDisk;

    @Option(names = {"-e", "--extension"}, description = "Summarize average, total and count too.")
    boolean extension;

    @Option(names = {"-d", "--disk"}, paramLabel = "DISK", description = "Trace this disk only (e.g. vda, loop0).")
    String disk;

    @Parameters(index = "0", arity = "0..1", paramLabel = "interval", description = "Output interval, in seconds.")
    Integer interval;

    @Parameters(index = "1", arity = "0..1", paramLabel = "count", description = "Number of outputs.")
    Integer count;

    @Override
    int run(PrintWriter out, StopSignal stop) {
        int dev = disk == null ? 0 : kernelDev(disk);
        try (Bpf bpf = Bpf.builder().source("biolatency.bpf.c", SOURCE).variable("queued", queued ? 1 : 0)
                .variable("millis", millis ? 1 : 0).variable("per_disk", perDisk ? 1 : 0).variable("only_dev", dev).load()) {
            bpf.autoAttach();
            Table<HistKey, Long> dist = bpf.table("dist", HistKey.class, Long.class);
            Table<Integer, Extension> ext = bpf.table("ext", Integer.class, Extension.class);
            String label = millis ? "msecs" : "usecs";
            out.println("Tracing block device I/O... Hit Ctrl-C to end.");
            out.flush();
            Duration every = Duration.ofSeconds(interval == null ? 99_999_999 : interval);
            int left = count == null ? Integer.MAX_VALUE : count;
            boolean exiting = false;
            while (!exiting) {
                exiting = stop.sleep(every);
                out.println();
                if (timestamp) {
                    out.print(String.format("%-8s%n", LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss"))));
                }
                if (perDisk) {
                    dist.log2Histograms(k -> diskName(k.dev()), HistKey::slot)
                            .forEach((d, h) -> out.print("\ndisk = " + d + "\n" + h.format(label)));
                } else {
                    out.print(dist.log2Histogram(HistKey::slot).format(label));
                }
                if (extension) {
                    Extension e = ext.get(0);
                    if (e.count() > 0) {
                        out.print(String.format("%navg = %d %s, total: %d %s, count: %d%n%n", e.total() / e.count(), label,
                                e.total(), label, e.count()));
                    }
                    ext.clear();
                }
                out.flush();
                dist.clear();
                exiting |= --left == 0;
            }
        }
        return 0;
    }

    /** The kernel's number of block device {@code name} ({@code MAJOR << 20 | MINOR}). */
    static int kernelDev(String name) {
        try {
            String[] mm = Files.readString(Path.of("/sys/class/block", name, "dev")).strip().split(":");
            return Integer.parseInt(mm[0]) << 20 | Integer.parseInt(mm[1]);
        } catch (IOException | RuntimeException e) {
            throw new BpfException("no such disk '" + name + "' (see /sys/class/block)");
        }
    }

    /** The name of the block device with kernel number {@code dev}, as BCC prints it ({@code <unknown>} when gone). */
    static String diskName(int dev) {
        Path uevent = Path.of("/sys/dev/block", (dev >>> 20) + ":" + (dev & 0xfffff), "uevent");
        try {
            for (String line : Files.readAllLines(uevent)) {
                if (line.startsWith("DEVNAME=")) {
                    return line.substring("DEVNAME=".length());
                }
            }
        } catch (IOException e) {
            // the device went away
        }
        return "<unknown>";
    }
}
