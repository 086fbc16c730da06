package io.bpf4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Runs code on a thread the scheduler keeps on one CPU ({@code sched_setaffinity}). A program
 * run with test_run runs on the calling thread's CPU, which may change between runs: where
 * its output goes to the current CPU's buffer ({@code BPF_F_CURRENT_CPU}), one CPU makes that
 * buffer predictable.
 *
 * <pre>{@code
 * OnCpu.run(Kernel.onlineCpus()[0], () -> producer.run(1000));
 * }</pre>
 */
final class OnCpu {
    private static final MethodHandle SCHED_SETAFFINITY = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("sched_setaffinity").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));

    private OnCpu() {}

    /** Runs {@code body} on a new thread bound to {@code cpu}, waits for it, and rethrows what it threw. */
    static void run(int cpu, Runnable body) {
        OwnThread.call("on-cpu-" + cpu, () -> {
            bind(cpu);
            body.run();
            return null;
        });
    }

    /** Binds the calling thread to {@code cpu}. */
    private static void bind(int cpu) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(Math.max(128, (cpu / 64 + 1) * 8L), 8); // a cpu_set_t, 1024 CPUs or more
            mask.set(ValueLayout.JAVA_LONG, cpu / 64 * 8L, 1L << (cpu % 64));
            int r = (int) SCHED_SETAFFINITY.invokeExact(0, mask.byteSize(), mask);
            if (r != 0) {
                throw new IllegalStateException("sched_setaffinity to CPU " + cpu + " failed");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("bind to CPU " + cpu, e); // invokeExact declares Throwable
        }
    }
}
