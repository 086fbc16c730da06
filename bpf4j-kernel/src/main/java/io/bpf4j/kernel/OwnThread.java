package io.bpf4j.kernel;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a task on a platform thread of its own and waits for it: for work that changes the
 * thread it runs on (its network namespace, the CPUs it may use), so that the caller's thread
 * stays as it was.
 *
 * <pre>{@code
 * int index = OwnThread.call("netns-demo", () -> { enter(namespace); return NetDevice.of("veth1").index(); });
 * }</pre>
 */
final class OwnThread {
    private OwnThread() {}

    /**
     * {@code task}'s result. Runtime exceptions and errors of the task are rethrown as they
     * are; checked ones wrapped in an {@link IllegalStateException}.
     */
    static <T> T call(String name, Callable<T> task) {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name(name).start(() -> {
            try {
                result.set(task.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for thread " + name, e);
        }
        switch (failure.get()) {
            case null -> {
                return result.get();
            }
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            case Throwable e -> throw new IllegalStateException(new ExecutionException(e));
        }
    }
}
