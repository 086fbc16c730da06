package io.bpf4j.examples;

import io.bpf4j.bcc.Bpf;
import io.bpf4j.bcc.StopSignal;
import io.bpf4j.bcc.Table;
import io.bpf4j.codec.CArray;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Bytes each process sends over Unix stream sockets, counted in a hash map by PID and printed
 * every interval. With {@code --kprobe}, from a kretprobe on {@code unix_stream_sendmsg} (its
 * return value is the bytes sent), on kernels that have kprobes. Otherwise from the entry and
 * exit tracepoints of {@code write}, {@code writev}, {@code sendto} and {@code sendmsg}: the
 * entry keeps the file descriptor when it is a Unix stream socket (found through the task's
 * file table), the exit adds the bytes the call returned.
 */
@Command(name = "sendcount", mixinStandardHelpOptions = true,
        description = "Count bytes sent over Unix stream sockets per process, printed every interval.")
final class Sendcount extends Tool {
    static final String[] SYSCALLS = {"write", "writev", "sendto", "sendmsg"};

    private static final String SOURCE = """
            #define S_IFMT 0170000
            #define S_IFSOCK 0140000
            #define AF_UNIX 1

            const volatile u32 target_pid = 0;

            struct sent { u64 bytes; u64 calls; char comm[16]; };

            struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 10240); __type(key, u32); __type(value, struct sent); } sent SEC(".maps");
            struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 10240); __type(key, u32); __type(value, u32); } in_flight SEC(".maps");

            static __always_inline bool unix_stream(int fd)
            {
                struct task_struct *task = (struct task_struct *)bpf_get_current_task();
                struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
                unsigned int max = BPF_CORE_READ(task, files, fdt, max_fds);
                struct socket *sock;
                struct file *file;

                if (fd < 0 || fd >= max)
                    return false;
                if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
                    return false;
                if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
                    return false;
                sock = BPF_CORE_READ(file, private_data);
                return BPF_CORE_READ(sock, type) == SOCK_STREAM && BPF_CORE_READ(sock, sk, __sk_common.skc_family) == AF_UNIX;
            }

            static __always_inline void count(u32 pid, long bytes)
            {
                struct sent *s = bpf_map_lookup_elem(&sent, &pid);

                if (!s) {
                    struct sent fresh = {};

                    bpf_get_current_comm(fresh.comm, sizeof(fresh.comm));
                    bpf_map_update_elem(&sent, &pid, &fresh, BPF_NOEXIST);
                    s = bpf_map_lookup_elem(&sent, &pid);
                    if (!s)
                        return;
                }
                __sync_fetch_and_add(&s->bytes, bytes);
                __sync_fetch_and_add(&s->calls, 1);
            }

            SEC("tracepoint")
            int send_enter(struct trace_event_raw_sys_enter *ctx)
            {
                u64 id = bpf_get_current_pid_tgid();
                u32 tid = (u32)id, fd = ctx->args[0];

                if (target_pid && id >> 32 != target_pid)
                    return 0;
                if (unix_stream(fd))
                    bpf_map_update_elem(&in_flight, &tid, &fd, BPF_ANY);
                return 0;
            }

            SEC("tracepoint")
            int send_exit(struct trace_event_raw_sys_exit *ctx)
            {
                u64 id = bpf_get_current_pid_tgid();
                u32 tid = (u32)id;

                if (!bpf_map_lookup_elem(&in_flight, &tid))
                    return 0;
                bpf_map_delete_elem(&in_flight, &tid);
                if (ctx->ret > 0)
                    count(id >> 32, ctx->ret);
                return 0;
            }

            SEC("?kretprobe")
            int BPF_KRETPROBE(unix_sendmsg_return, int ret)
            {
                u32 pid = bpf_get_current_pid_tgid() >> 32;

                if (ret > 0 && (!target_pid || pid == target_pid))
                    count(pid, ret);
                return 0;
            }

            char LICENSE[] SEC("license") = "GPL";
            """;

    /** The bytes and calls of one process. */
    record Sent(long bytes, long calls, @CArray(16) String comm) {}

    @Option(names = "--kprobe", description = "Use a kretprobe on unix_stream_sendmsg instead of system call tracepoints.")
    boolean kprobe;

    @Option(names = {"-p", "--pid"}, paramLabel = "PID", description = "Count this process only.")
    Integer pid;

    @Parameters(index = "0", arity = "0..1", paramLabel = "interval", defaultValue = "1",
            description = "Output interval, in seconds (default ${DEFAULT-VALUE}).")
    int interval;

    @Parameters(index = "1", arity = "0..1", paramLabel = "count", description = "Number of outputs.")
    Integer count;

    @Override
    int run(PrintWriter out, StopSignal stop) {
        try (Bpf bpf = Bpf.builder().source("sendcount.bpf.c", SOURCE).variable("target_pid", pid == null ? 0 : pid)
                .autoload("unix_sendmsg_return", kprobe).autoload("send_enter", !kprobe).autoload("send_exit", !kprobe).load()) {
            if (kprobe) {
                bpf.attachKretprobe("unix_stream_sendmsg", "unix_sendmsg_return");
            } else {
                for (String call : SYSCALLS) {
                    bpf.attachTracepoint("syscalls:sys_enter_" + call, "send_enter");
                    bpf.attachTracepoint("syscalls:sys_exit_" + call, "send_exit");
                }
            }
            Table<Integer, Sent> sent = bpf.table("sent", Integer.class, Sent.class);
            out.println("Counting bytes sent over Unix stream sockets" + (pid == null ? "" : " by " + pid) + " ("
                    + (kprobe ? "kretprobe unix_stream_sendmsg" : "tracepoints of " + String.join(", ", SYSCALLS)) + ")."
                    + " Ctrl-C to end.");
            out.flush();
            Map<Integer, Sent> totals = new LinkedHashMap<>();
            int left = count == null ? Integer.MAX_VALUE : count;
            boolean stopped = false;
            while (!stopped && left-- > 0) {
                stopped = stop.sleep(Duration.ofSeconds(interval));
                Map<Integer, Sent> now = new LinkedHashMap<>(sent);
                sent.keySet().removeAll(now.keySet());
                now.forEach((p, s) -> totals.merge(p, s, (a, b) -> new Sent(a.bytes() + b.bytes(), a.calls() + b.calls(), b.comm())));
                out.println();
                out.println(LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")));
                print(out, now);
                out.flush();
            }
            out.println();
            out.println("Totals:");
            print(out, totals);
        }
        return 0;
    }

    private static void print(PrintWriter out, Map<Integer, Sent> sent) {
        out.println(String.format("%-8s %-16s %8s %12s", "PID", "COMM", "CALLS", "BYTES"));
        sent.entrySet().stream().sorted(Comparator.comparingLong((Map.Entry<Integer, Sent> e) -> e.getValue().bytes()).reversed())
                .forEach(e -> out.println(String.format("%-8d %-16s %8d %12d", e.getKey(), e.getValue().comm(), e.getValue().calls(),
                        e.getValue().bytes())));
    }
}
