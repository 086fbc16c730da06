package io.bpf4j.vm;

import io.bpf4j.TestRun;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One test run, with {@link #repeat} repetitions, of each program of
 * {@code testdata/jit_bench.bpf.c} in the VM's JIT, in its interpreter, and in the kernel
 * (its JIT, through BPF_PROG_TEST_RUN): the same bytecode, the same packet, the same
 * test-run contract. {@link JitBenchmarkMain} runs it and prints ns per run and ratios.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class JitBenchmark {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /** CPU time the benchmark thread spent in {@link #testRun}, for {@link CpuTimeProfiler}. */
    static volatile long cpuNanos;

    @Param({"prime_sieve", "log2_many", "memcpy_words", "strcmp_many", "switch_vm", "xdp_parse"})
    public String program;

    @Param({"jit", "interpreter", "kernel"})
    public String engine;

    private Vm vm;
    private JitBenchPrograms.Loaded loaded;
    private TestRun run;

    /** Runs per invocation: about a millisecond of the JIT's time each. */
    static int repeat(String program) {
        return switch (program) {
            case "prime_sieve" -> 20;
            case "memcpy_words" -> 100;
            case "xdp_parse" -> 5000;
            default -> 50;
        };
    }

    @Setup
    public void setUp() {
        if (engine.equals("kernel")) {
            loaded = JitBenchPrograms.inKernel(program);
        } else {
            vm = Vm.builder().engine(engine.equals("jit") ? Vm.Engine.JIT : Vm.Engine.INTERPRETER).build();
            loaded = JitBenchPrograms.inVm(vm, program);
            if (((VmProgram) loaded.program()).engine() != vm.engine()) {
                throw new IllegalStateException(program + " is not run by the " + engine + ": "
                        + ((VmProgram) loaded.program()).jitFallbackReason().orElse(""));
            }
        }
        run = loaded.run(repeat(program));
    }

    @TearDown
    public void tearDown() {
        loaded.close();
        if (vm != null) {
            vm.close();
        }
    }

    @Benchmark
    public long testRun() {
        long start = THREADS.getCurrentThreadCpuTime();
        long r0 = loaded.program().testRun(run).returnValue();
        cpuNanos += THREADS.getCurrentThreadCpuTime() - start;
        return r0;
    }
}
