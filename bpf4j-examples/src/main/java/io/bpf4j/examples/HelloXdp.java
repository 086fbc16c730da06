package io.bpf4j.examples;

import io.bpf4j.bcc.Bpf;
import io.bpf4j.bcc.StopSignal;
import io.bpf4j.kernel.TracePipe;
import io.bpf4j.kernel.XdpLink;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Hello, XDP: a program that counts the packets arriving on a device in a global variable
 * and says hello for each with {@code bpf_printk}; every interval the tool prints the
 * counter and the trace lines. Without {@code -d} it makes a demo network (a veth pair with
 * its peer in a new network namespace) and sends a datagram across it each interval.
 */
@Command(name = "hello-xdp", mixinStandardHelpOptions = true,
        description = "Count packets with an XDP program (global counter, bpf_printk); by default on a demo veth pair.")
final class HelloXdp extends Tool {
    static final String PREFIX = "hello-xdp:";

    private static final String SOURCE = """
            u64 packets = 0;

            SEC("xdp")
            int hello(struct xdp_md *ctx)
            {
                u64 n = __sync_add_and_fetch(&packets, 1);

                bpf_printk("PREFIX packet %llu, %u bytes", n, ctx->data_end - ctx->data);
                return XDP_PASS;
            }

            char LICENSE[] SEC("license") = "GPL";
            """.replace("PREFIX", PREFIX);

    @Option(names = {"-d", "--device"}, paramLabel = "DEV", description = "Network device (default: a demo veth pair).")
    String device;

    @Option(names = {"-m", "--mode"}, paramLabel = "MODE", defaultValue = "GENERIC",
            description = "XDP mode: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
    XdpLink.Mode mode;

    @Option(names = {"-i", "--interval"}, paramLabel = "SECONDS", defaultValue = "1", description = "Output interval.")
    int interval;

    @Option(names = {"-c", "--count"}, paramLabel = "N", description = "Stop after N outputs.")
    Integer count;

    @Override
    int run(PrintWriter out, StopSignal stop) {
        try (DemoNetwork demo = device == null ? DemoNetwork.create("hx") : null;
                Bpf bpf = Bpf.builder().source("hello_xdp.bpf.c", SOURCE).load()) {
            String dev = demo != null ? demo.device() : device;
            bpf.tracePipe();
            bpf.attachXdp(dev, "hello", mode);
            out.println("Counting packets on " + dev + " (" + mode.bpftoolName() + ")"
                    + (demo != null ? ", a datagram from " + DemoNetwork.PEER_IP + " each interval" : "") + ". Ctrl-C to end.");
            out.flush();
            int left = count == null ? Integer.MAX_VALUE : count;
            boolean stopped = false;
            while (!stopped && left-- > 0) {
                if (demo != null) {
                    demo.sendUdp(1, 32);
                }
                stopped = stop.sleep(Duration.ofSeconds(interval));
                out.println(LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + " packets=" + bpf.global("packets", Long.class));
                // what the pipe holds now (bounded: the pipe is shared and may never run dry)
                long until = System.nanoTime() + Duration.ofMillis(300).toNanos();
                for (Optional<TracePipe.Event> e = bpf.traceFields(Duration.ofMillis(20)); e.isPresent()
                        && System.nanoTime() < until; e = bpf.traceFields(Duration.ofMillis(20))) {
                    if (e.get().message().startsWith(PREFIX)) {
                        out.println("    " + e.get().message() + " (cpu " + e.get().cpu() + ")");
                    }
                }
                out.flush();
            }
            out.println(bpf.global("packets", Long.class) + " packets in total");
        }
        return 0;
    }
}
