package io.bpf4j.vm;

import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.ProgramDefinition;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link VmBenchmark} and, in the same run, the same programs in the kernel (its JIT,
 * through test_run with a repeat count) before and after it; prints ns per run of both
 * and their ratio. Run with {@code scripts/bench-vm} (root: it loads programs).
 */
public final class VmBenchmarkMain {
    private static final int KERNEL_REPEAT = 20_000;

    private VmBenchmarkMain() {}

    public static void main(String[] args) throws Exception {
        Map<String, byte[]> programs = ElfPrograms.functions(ElfPrograms.testdata("vm_bench.bpf.o"));
        Map<String, Double> before = kernel(programs);
        Options opts = new OptionsBuilder()
                .include(VmBenchmark.class.getName())
                .forks(1)
                .warmupIterations(3).warmupTime(TimeValue.seconds(1))
                .measurementIterations(5).measurementTime(TimeValue.seconds(1))
                .jvmArgsAppend("-Dbpf4j.repo.root=" + System.getProperty("bpf4j.repo.root", "."))
                .build();
        Map<String, Double> vm = new HashMap<>();
        for (RunResult r : new Runner(opts).run()) {
            vm.put(r.getParams().getParam("program"), r.getPrimaryResult().getScore());
        }
        Map<String, Double> after = kernel(programs);
        System.out.printf("%n%-10s %16s %16s %10s%n", "program", "VM ns/run", "kernel ns/run", "VM/kernel");
        for (String name : VmBenchmark.PROGRAMS) {
            double k = (before.get(name) + after.get(name)) / 2;
            System.out.printf("%-10s %16.0f %16.1f %10.1f%n", name, vm.get(name), k, vm.get(name) / k);
        }
        System.out.printf("(kernel: test_run repeat %d, median of 5, before and after the VM run: %s then %s)%n",
                KERNEL_REPEAT, before, after);
    }

    /** The kernel's average ns per run of each program: the median of five test runs. */
    private static Map<String, Double> kernel(Map<String, byte[]> programs) {
        Map<String, Double> out = new HashMap<>();
        for (String name : VmBenchmark.PROGRAMS) {
            try (KernelProgram k = KernelProgram.load(ProgramDefinition.of(ProgramType.XDP, name, programs.get(name), "GPL"))) {
                TestRun run = TestRun.ofData(VmBenchmark.packet()).withRepeat(KERNEL_REPEAT);
                long[] ns = new long[5];
                for (int i = 0; i < ns.length; i++) {
                    ns[i] = k.testRun(run).averageDurationNs();
                }
                Arrays.sort(ns);
                out.put(name, (double) ns[2]);
            }
        }
        return out;
    }
}
