package io.bpf4j.cli;

import io.bpf4j.kernel.TracePipe;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code bpf4j prog tracelog}: prints the kernel's trace pipe (what {@code bpf_trace_printk}
 * writes) until interrupted, as bpftool does; with -j each line is a JSON string of an array
 * that is closed when the command is stopped.
 */
@Command(name = "tracelog", description = "Print the trace pipe (bpf_trace_printk output) until interrupted.")
final class ProgTracelogCommand implements Callable<Integer> {
    /** The pipe being read, so that a signal (or a test) can stop the command. */
    private static volatile TracePipe running;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    JsonOptions json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch done = new CountDownLatch(1);
        Thread onSignal = new Thread(() -> {
            stop();
            try {
                done.await(2, TimeUnit.SECONDS); // let the loop print the end of the JSON array
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(onSignal);
        StringBuilder sb = new StringBuilder();
        JsonWriter w = json.enabled() ? json.writer(sb) : null;
        try (TracePipe pipe = TracePipe.open()) {
            running = pipe;
            if (w != null) {
                w.startArray();
                out.append(take(sb)).flush();
            }
            pipe.lines().forEach(line -> {
                if (w != null) {
                    w.value(line + "\n");
                    out.append(take(sb));
                } else {
                    out.append(line).append('\n');
                }
                out.flush();
            });
            if (w != null) {
                w.endArray();
                w.finish();
                out.append(take(sb)).flush();
            }
        } finally {
            running = null;
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onSignal);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down: the hook is running
            }
        }
        return 0;
    }

    private static String take(StringBuilder sb) {
        String s = sb.toString();
        sb.setLength(0);
        return s;
    }

    /** Stops a running tracelog: it prints what it has, ends its output and returns. */
    static void stop() {
        TracePipe p = running;
        if (p != null) {
            p.close();
        }
    }
}
