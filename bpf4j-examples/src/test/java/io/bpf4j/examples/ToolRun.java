package io.bpf4j.examples;

import static org.junit.jupiter.api.Assertions.fail;

import io.bpf4j.bcc.StopSignal;
import java.io.PrintWriter;
import java.io.Writer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import picocli.CommandLine;

/**
 * A tool running on a thread of the test, as {@code bpf4j example NAME ARGS} would run it:
 * its output is collected, {@link #await} waits for a line, {@link #stop} is its Ctrl-C.
 *
 * <pre>{@code
 * try (ToolRun run = ToolRun.start(new Execsnoop(), "-x")) {
 *     run.await(l -> l.startsWith("PCOMM"), Duration.ofSeconds(20));
 *     ...
 *     String all = run.stop();
 * }
 * }</pre>
 */
final class ToolRun implements AutoCloseable {
    private final StringBuilder output = new StringBuilder();
    private final StopSignal stop = StopSignal.manual();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicReference<Integer> exit = new AtomicReference<>();
    private final Thread thread;

    private ToolRun(Tool tool, String... args) {
        new CommandLine(tool).parseArgs(args);
        PrintWriter out = new PrintWriter(new Writer() {
            @Override
            public void write(char[] buf, int off, int len) {
                synchronized (output) {
                    output.append(buf, off, len);
                    output.notifyAll();
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        }, true);
        thread = Thread.ofPlatform().name("tool-" + tool.getClass().getSimpleName()).start(() -> {
            try {
                exit.set(tool.run(out, stop));
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                out.flush();
                synchronized (output) {
                    output.notifyAll();
                }
            }
        });
    }

    static ToolRun start(Tool tool, String... args) {
        return new ToolRun(tool, args);
    }

    /** The output so far. */
    String output() {
        synchronized (output) {
            return output.toString();
        }
    }

    /** Waits until a line of the output matches; fails with the output so far when none does in time or the tool ended. */
    String await(Predicate<String> line, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (output) {
            while (true) {
                List<String> lines = output.toString().lines().toList();
                for (String l : lines) {
                    if (line.test(l)) {
                        return l;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || !thread.isAlive()) {
                    Throwable f = failure.get();
                    fail((thread.isAlive() ? "no such line in " + timeout : "the tool ended") + "; output:\n" + output
                            + (f == null ? "" : "\nfailure: " + f), f);
                }
                try {
                    output.wait(Math.max(1, Math.min(left / 1_000_000, 200)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    fail("interrupted");
                }
            }
        }
    }

    /** Ctrl-C: stops the tool, waits for it to end and returns its whole output. A failure of the tool fails the test. */
    String stop() {
        stop.stop();
        return join();
    }

    /** Waits for the tool to end by itself and returns its whole output. */
    String join() {
        try {
            thread.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            fail("the tool did not stop within 30 s; output:\n" + output());
        }
        if (failure.get() != null) {
            fail("the tool failed; output:\n" + output(), failure.get());
        }
        return output();
    }

    int exitCode() {
        return exit.get();
    }

    @Override
    public void close() {
        stop.stop();
        try {
            thread.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
