package io.bpf4j.bcc;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * How a tool learns it should stop: Ctrl-C (SIGINT) or SIGTERM when made by {@link
 * #onInterrupt()}, or a call to {@link #stop()}. After Ctrl-C the JVM waits, up to 10
 * seconds, until the tool has closed this signal, so that the tool can print its final
 * summary and detach its programs first, as BCC tools do on {@code KeyboardInterrupt}.
 *
 * <pre>{@code
 * try (StopSignal stop = StopSignal.onInterrupt(); Bpf bpf = ...) {
 *     while (!stop.sleep(Duration.ofSeconds(1))) { print interval }
 *     print summary
 * }
 * }</pre>
 */
public final class StopSignal implements AutoCloseable {
    private static final Duration GRACE = Duration.ofSeconds(10);

    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread hook;

    private StopSignal(boolean onInterrupt) {
        this.hook = onInterrupt ? new Thread(this::interrupted, "bpf4j-stop") : null;
        if (hook != null) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
    }

    /** Stops on Ctrl-C or SIGTERM (or {@link #stop()}). */
    public static StopSignal onInterrupt() {
        return new StopSignal(true);
    }

    /** Stops only when {@link #stop()} is called: for tools run by tests or by other code. */
    public static StopSignal manual() {
        return new StopSignal(false);
    }

    private void interrupted() {
        stop();
        try {
            closed.await(GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Asks the tool to stop. */
    public void stop() {
        stopped.countDown();
    }

    public boolean stopped() {
        return stopped.getCount() == 0;
    }

    /** Waits up to {@code d}, less if a stop comes; true when stopped. */
    public boolean sleep(Duration d) {
        try {
            return stopped.await(d.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
            return true;
        }
    }

    /** The tool is done: a pending Ctrl-C may now let the JVM exit. */
    @Override
    public void close() {
        closed.countDown();
        if (hook != null && !stopped()) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down: the hook runs and returns at once
            }
        }
    }
}
