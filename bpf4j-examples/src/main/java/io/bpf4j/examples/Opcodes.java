package io.bpf4j.examples;

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
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * System calls counted by their number (the "opcode" the {@code sys_enter} raw tracepoint
 * passes as its second argument), read by a {@code __noinline} subprogram: a BPF-to-BPF call
 * that the kernel verifies and JITs as a function of its own. Each interval prints the busiest
 * system calls; Ctrl-C prints the totals.
 */
@Command(name = "opcodes", mixinStandardHelpOptions = true,
        description = "Count system calls by number on the sys_enter raw tracepoint, through a BPF-to-BPF call.")
final class Opcodes extends Tool {
    private static final String SOURCE = """
            const volatile u32 target_pid = 0;

            struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024); __type(key, u32); __type(value, u64); } counts SEC(".maps");

            /* out of line: the program calls it with a BPF-to-BPF call */
            static __noinline u32 opcode_of(struct bpf_raw_tracepoint_args *ctx)
            {
                return ctx->args[1];
            }

            SEC("raw_tp/sys_enter")
            int count_opcodes(struct bpf_raw_tracepoint_args *ctx)
            {
                u32 opcode;

                if (target_pid && (bpf_get_current_pid_tgid() >> 32) != target_pid)
                    return 0;
                opcode = opcode_of(ctx);
                bpf4j_add(&counts, &opcode, 1);
                return 0;
            }

            char LICENSE[] SEC("license") = "GPL";
            """;

    @Option(names = {"-p", "--pid"}, paramLabel = "PID", description = "Count the system calls of this process only.")
    Integer pid;

    @Option(names = {"-i", "--interval"}, paramLabel = "SECONDS", defaultValue = "1", description = "Output interval.")
    int interval;

    @Option(names = {"-n", "--top"}, paramLabel = "N", defaultValue = "10", description = "System calls shown per interval.")
    int top;

    @Override
    int run(PrintWriter out, StopSignal stop) {
        try (Bpf bpf = Bpf.builder().source("opcodes.bpf.c", SOURCE).variable("target_pid", pid == null ? 0 : pid).load()) {
            bpf.autoAttach();
            Table<Integer, Long> counts = bpf.table("counts", Integer.class, Long.class);
            Map<Integer, String> names = syscallNames();
            out.println("Counting system calls" + (pid == null ? "" : " of " + pid) + " on raw tracepoint sys_enter (subprograms: "
                    + String.join(", ", bpf.spec().subprograms()) + "). Ctrl-C to end.");
            out.flush();
            Map<Integer, Long> totals = new HashMap<>();
            boolean stopped = false;
            while (!stopped) {
                stopped = stop.sleep(Duration.ofSeconds(interval));
                Map<Integer, Long> now = new HashMap<>(counts);
                counts.keySet().removeAll(now.keySet());
                now.forEach((op, n) -> totals.merge(op, n, Long::sum));
                out.println();
                out.println(LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")));
                print(out, now, names, top);
                out.flush();
            }
            out.println();
            out.println("Totals:");
            print(out, totals, names, Integer.MAX_VALUE);
        }
        return 0;
    }

    private static void print(PrintWriter out, Map<Integer, Long> counts, Map<Integer, String> names, int limit) {
        out.println(String.format("%-8s %-20s %s", "OPCODE", "SYSCALL", "COUNT"));
        List<Map.Entry<Integer, Long>> rows = counts.entrySet().stream()
                .sorted(Map.Entry.<Integer, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()))
                .limit(limit).toList();
        for (Map.Entry<Integer, Long> e : rows) {
            out.println(String.format("%-8d %-20s %d", e.getKey(), names.getOrDefault(e.getKey(), "?"), e.getValue()));
        }
    }

    /** System call names by number, from the C library's {@code asm/unistd_64.h} when it is installed. */
    static Map<Integer, String> syscallNames() {
        String triplet = switch (System.getProperty("os.arch").toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "x86_64-linux-gnu";
            case "aarch64" -> "aarch64-linux-gnu";
            default -> "";
        };
        Pattern define = Pattern.compile("#define __NR_(\\w+) (\\d+)");
        Map<Integer, String> names = new HashMap<>();
        for (Path p : List.of(Path.of("/usr/include", triplet, "asm/unistd_64.h"), Path.of("/usr/include/asm/unistd_64.h"),
                Path.of("/usr/include/asm-generic/unistd.h"))) {
            try {
                for (String line : Files.readAllLines(p)) {
                    Matcher m = define.matcher(line.strip());
                    if (m.matches()) {
                        names.putIfAbsent(Integer.parseInt(m.group(2)), m.group(1));
                    }
                }
                if (!names.isEmpty()) {
                    return names;
                }
            } catch (IOException e) {
                // not this one
            }
        }
        return names;
    }
}
