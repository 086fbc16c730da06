package io.bpf4j.examples;

import io.bpf4j.bcc.Bpf;
import io.bpf4j.bcc.StopSignal;
import io.bpf4j.kernel.TracePipe;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Hello, World! for every new process: {@code bpf_printk} from the {@code clone}, {@code
 * clone3} and {@code execve} system call tracepoints, read back with {@code trace_fields} and
 * printed as BCC's {@code hello_fields.py} prints them. With {@code --kprobe}, the same from a
 * kprobe on {@code clone}, on kernels that have kprobes.
 */
@Command(name = "hello-trace", mixinStandardHelpOptions = true,
        description = "Print a line for each new process (clone/execve), from tracepoints (or a kprobe).")
final class HelloTrace extends Tool {
    static final String GREETING = "Hello, World!";

    private static final String SOURCE = """
            SEC("tracepoint")
            int hello_clone(void *ctx)
            {
                bpf_printk("GREETING (clone)");
                return 0;
            }

            SEC("tracepoint")
            int hello_exec(void *ctx)
            {
                bpf_printk("GREETING (execve)");
                return 0;
            }

            SEC("?kprobe")
            int hello_kprobe(void *ctx)
            {
                bpf_printk("GREETING (kprobe clone)");
                return 0;
            }

            char LICENSE[] SEC("license") = "GPL";
            """.replace("GREETING", GREETING);

    @Option(names = "--kprobe", description = "Use a kprobe on the clone system call instead of tracepoints.")
    boolean kprobe;

    @Override
    int run(PrintWriter out, StopSignal stop) {
        try (Bpf bpf = Bpf.builder().source("hello_trace.bpf.c", SOURCE).autoload("hello_kprobe", kprobe).load()) {
            bpf.tracePipe();
            if (kprobe) {
                bpf.attachSyscallKprobe("clone", "hello_kprobe", false);
            } else {
                bpf.attachTracepoint("syscalls:sys_enter_clone", "hello_clone");
                bpf.attachTracepoint("syscalls:sys_enter_clone3", "hello_clone");
                bpf.attachTracepoint("syscalls:sys_enter_execve", "hello_exec");
            }
            out.println(String.format("%-18s %-16s %-6s %s", "TIME(s)", "COMM", "PID", "MESSAGE"));
            out.flush();
            while (!stop.stopped()) {
                Optional<TracePipe.Event> e = bpf.traceFields(Duration.ofMillis(100));
                // the pipe is shared: show only the lines of this tool's programs
                if (e.isPresent() && e.get().message().startsWith(GREETING)) {
                    out.println(String.format(Locale.ROOT, "%-18.9f %-16s %-6d %s", e.get().timestamp(), e.get().task(),
                            e.get().pid(), e.get().message()));
                    out.flush();
                }
            }
        }
        return 0;
    }
}
