package io.bpf4j.examples;

import io.bpf4j.BpfException;
import io.bpf4j.bcc.Bpf;
import io.bpf4j.bcc.StopSignal;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfKind;
import io.bpf4j.codec.CArray;
import io.bpf4j.codec.Codec;
import io.bpf4j.codec.Codecs;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Every exec() with its process, parent, return value and arguments, as BCC's execsnoop
 * prints them, from the {@code sys_enter_execve}/{@code sys_exit_execve} tracepoints through a
 * ring buffer: the arguments are gathered on entry in a per-thread map slot, and one event
 * with the new command name and the return value goes out on exit.
 */
@Command(name = "execsnoop", mixinStandardHelpOptions = true, description = "Trace exec() syscalls.")
final class Execsnoop extends Tool {
    private static final String SOURCE = """
            #define ARGSIZE 128
            #define TOTAL_MAX_ARGS 60
            #define ARGS_BUFFER (TOTAL_MAX_ARGS * ARGSIZE)
            #define LAST_ARG (ARGS_BUFFER - ARGSIZE)

            const volatile u32 max_args = 20;
            const volatile u32 target_uid = (u32)-1;
            const volatile u32 target_ppid = 0;

            struct exec_event {
                u32 pid;
                u32 ppid;
                u32 uid;
                s32 retval;
                u32 args_count;
                u32 args_size;
                u32 truncated;
                char comm[16];
                char args[ARGS_BUFFER];
            };

            struct {
                __uint(type, BPF_MAP_TYPE_HASH);
                __uint(max_entries, 10240);
                __type(key, u32);
                __type(value, struct exec_event);
            } pending SEC(".maps");

            struct {
                __uint(type, BPF_MAP_TYPE_RINGBUF);
                __uint(max_entries, 1 << 20);
            } events SEC(".maps");

            static const struct exec_event empty;

            SEC("tracepoint/syscalls/sys_enter_execve")
            int execve_enter(struct trace_event_raw_sys_enter *ctx)
            {
                u64 id = bpf_get_current_pid_tgid();
                u32 tid = (u32)id, uid = (u32)bpf_get_current_uid_gid();
                struct task_struct *task = (struct task_struct *)bpf_get_current_task();
                u32 ppid = BPF_CORE_READ(task, real_parent, tgid);
                const char *const *argv = (const char *const *)ctx->args[1];
                const char *arg;
                struct exec_event *e;
                long n;

                if (target_uid != (u32)-1 && uid != target_uid)
                    return 0;
                if (target_ppid && ppid != target_ppid)
                    return 0;
                if (bpf_map_update_elem(&pending, &tid, &empty, BPF_NOEXIST))
                    return 0;
                e = bpf_map_lookup_elem(&pending, &tid);
                if (!e)
                    return 0;
                e->pid = id >> 32;
                e->ppid = ppid;
                e->uid = uid;
                /* the file run first, then argv[1...], as BCC's execsnoop shows them */
                n = bpf_probe_read_user_str(e->args, ARGSIZE, (const char *)ctx->args[0]);
                if (n <= 0)
                    return 0;
                e->args_count = 1;
                e->args_size = n;
                for (u32 i = 1; i < TOTAL_MAX_ARGS; i++) {
                    u32 off = e->args_size;
                    if (i >= max_args)
                        break;
                    if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
                        return 0;
                    if (off > LAST_ARG)
                        return 0;
                    n = bpf_probe_read_user_str(&e->args[off], ARGSIZE, arg);
                    if (n <= 0)
                        return 0;
                    e->args_count++;
                    e->args_size += n;
                }
                if (!bpf_probe_read_user(&arg, sizeof(arg), &argv[max_args]) && arg)
                    e->truncated = 1;
                return 0;
            }

            SEC("tracepoint/syscalls/sys_exit_execve")
            int execve_exit(struct trace_event_raw_sys_exit *ctx)
            {
                u32 tid = (u32)bpf_get_current_pid_tgid();
                struct exec_event *e = bpf_map_lookup_elem(&pending, &tid);
                u32 size;

                if (!e)
                    return 0;
                e->retval = ctx->ret;
                bpf_get_current_comm(e->comm, sizeof(e->comm));
                size = e->args_size;
                if (size > ARGS_BUFFER)
                    size = ARGS_BUFFER;
                bpf_ringbuf_output(&events, e, __builtin_offsetof(struct exec_event, args) + size, 0);
                bpf_map_delete_elem(&pending, &tid);
                return 0;
            }

            char LICENSE[] SEC("license") = "GPL";
            """;

    /** The fixed part of {@code struct exec_event}, before the argument strings. */
    record Header(int pid, int ppid, int uid, int retval, int argsCount, int argsSize, int truncated, @CArray(16) String comm) {}

    private static final Codec<Header> HEADER = Codecs.record(Header.class);

    @Option(names = {"-T", "--time"}, description = "Include a time column (HH:MM:SS).")
    boolean time;

    @Option(names = {"-t", "--timestamp"}, description = "Include a timestamp column (seconds since start).")
    boolean timestamp;

    @Option(names = {"-x", "--fails"}, description = "Include failed exec()s.")
    boolean fails;

    @Option(names = {"-U", "--print-uid"}, description = "Include a UID column.")
    boolean printUid;

    @Option(names = {"-u", "--uid"}, paramLabel = "UID", description = "Trace this UID only.")
    Integer uid;

    @Option(names = {"-P", "--ppid"}, paramLabel = "PPID", description = "Trace only new processes whose parent is PPID.")
    Integer ppid;

    @Option(names = {"-q", "--quote"}, description = "Add \"quotemarks\" around arguments.")
    boolean quote;

    @Option(names = {"-n", "--name"}, paramLabel = "NAME", description = "Only print commands whose name matches this regex.")
    Pattern name;

    @Option(names = {"-l", "--line"}, paramLabel = "LINE", description = "Only print commands whose arguments match this regex.")
    Pattern line;

    @Option(names = "--max-args", paramLabel = "N", defaultValue = "20",
            description = "Maximum number of arguments parsed and displayed (default ${DEFAULT-VALUE}, at most 60).")
    int maxArgs;

    @Override
    int run(PrintWriter out, StopSignal stop) {
        if (maxArgs < 1 || maxArgs > 60) {
            throw new BpfException("--max-args must be 1 to 60, not " + maxArgs);
        }
        try (Bpf bpf = Bpf.builder().source("execsnoop.bpf.c", SOURCE).variable("max_args", maxArgs)
                .variable("target_uid", uid == null ? -1 : uid).variable("target_ppid", ppid == null ? 0 : ppid).load()) {
            checkHeader(bpf.spec().btf().orElseThrow());
            long start = System.nanoTime();
            bpf.openRingBuffer("events", record -> print(out, record, start));
            bpf.autoAttach();
            StringBuilder header = new StringBuilder();
            if (time) {
                header.append(String.format("%-9s", "TIME"));
            }
            if (timestamp) {
                header.append(String.format("%-8s", "TIME(s)"));
            }
            if (printUid) {
                header.append(String.format("%-6s", "UID"));
            }
            out.println(header + String.format("%-16s %-7s %-7s %3s %s", "PCOMM", "PID", "PPID", "RET", "ARGS"));
            out.flush();
            while (!stop.stopped() && bpf.poll(Duration.ofMillis(100)) >= 0) {
                out.flush();
            }
        }
        return 0;
    }

    /** The Java header must end where the C struct's arguments begin. */
    private static void checkHeader(Btf btf) {
        int id = btf.findId("exec_event", BtfKind.STRUCT).orElseThrow();
        long argsOffset = btf.member(id, "args").orElseThrow().bitOffset() / 8;
        if (argsOffset != HEADER.size()) {
            throw new IllegalStateException("struct exec_event's args start at " + argsOffset + ", the header is " + HEADER.size());
        }
    }

    private void print(PrintWriter out, MemorySegment record, long start) {
        Header h = HEADER.decode(record, 0);
        if (h.retval() != 0 && !fails) {
            return;
        }
        int size = (int) Math.min(Integer.toUnsignedLong(h.argsSize()), record.byteSize() - HEADER.size());
        List<String> args = split(record.asSlice(HEADER.size(), size));
        if (h.truncated() != 0) {
            args.add("...");
        }
        if (quote) {
            args.replaceAll(a -> "\"" + a.replace("\"", "\\\"") + "\"");
        }
        String argv = String.join(" ", args).replace("\n", "\\n");
        if (name != null && !name.matcher(h.comm()).find() || line != null && !line.matcher(argv).find()) {
            return;
        }
        StringBuilder s = new StringBuilder();
        if (time) {
            s.append(String.format("%-9s", LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss"))));
        }
        if (timestamp) {
            s.append(String.format(Locale.ROOT, "%-8.3f", (System.nanoTime() - start) / 1e9));
        }
        if (printUid) {
            s.append(String.format("%-6d", Integer.toUnsignedLong(h.uid())));
        }
        String parent = h.ppid() > 0 ? Integer.toString(h.ppid()) : "?";
        out.println(s + String.format("%-16s %-7d %-7s %3d %s", h.comm(), h.pid(), parent, h.retval(), argv));
    }

    /** NUL-terminated strings, one after the other. */
    private static List<String> split(MemorySegment strings) {
        byte[] b = strings.toArray(ValueLayout.JAVA_BYTE);
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                out.add(new String(b, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < b.length) {
            out.add(new String(b, start, b.length - start, StandardCharsets.UTF_8));
        }
        return out;
    }
}
