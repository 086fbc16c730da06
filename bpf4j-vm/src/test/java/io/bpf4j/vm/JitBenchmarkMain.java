package io.bpf4j.vm;

import io.bpf4j.kernel.Kernel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link JitBenchmark} for the JIT, the interpreter and the kernel in one JMH run,
 * checks first that the three give the same result, and prints per program the ns per
 * run of each (JMH's wall-clock time, and the benchmark thread's CPU time, which on a
 * loaded machine leaves out the time spent waiting for a CPU), the ratios to the kernel and their
 * geometric means, and the kernel's own timing of the same runs (test_run's duration).
 * Run with {@code scripts/bench-jit} (root, for the kernel).
 *
 * <p>Arguments: {@code [warmup-seconds measurement-seconds [program...]]} (default 5 x 1 s
 * warm-up and 5 x 1 s measurement for every program).
 */
public final class JitBenchmarkMain {
    private static final String[] ENGINES = {"jit", "interpreter", "kernel"};
    private static final int KERNEL_REPEAT = 2000;

    private JitBenchmarkMain() {}

    public static void main(String[] args) throws Exception {
        int warmup = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int measure = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String[] programs = args.length > 2 ? Arrays.copyOfRange(args, 2, args.length) : JitBenchPrograms.PROGRAMS;
        Kernel.Availability kernel = Kernel.availability();
        String[] engines = kernel.available() ? ENGINES : Arrays.copyOf(ENGINES, 2);
        if (!kernel.available()) {
            System.out.println("kernel unavailable (" + kernel.reason() + "): JIT and interpreter only");
        }
        String loadBefore = loadAverage();
        checkResults(programs, kernel.available());
        Map<String, Double> kernelBefore = kernel.available() ? kernelSelfTimed(programs) : Map.of();

        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(JitBenchmark.class.getName())
                .param("program", programs)
                .param("engine", engines)
                .forks(1)
                .warmupIterations(warmup).warmupTime(TimeValue.seconds(1))
                .measurementIterations(measure).measurementTime(TimeValue.seconds(1))
                .addProfiler(CpuTimeProfiler.class)
                .jvmArgsAppend("--enable-native-access=ALL-UNNAMED",
                        "-Dbpf4j.repo.root=" + System.getProperty("bpf4j.repo.root", "."));
        Map<String, double[]> scores = new HashMap<>();
        for (RunResult r : new Runner(options.build()).run()) {
            String key = r.getParams().getParam("program") + "/" + r.getParams().getParam("engine");
            int repeat = JitBenchmark.repeat(r.getParams().getParam("program"));
            Result<?> cpu = r.getSecondaryResults().get("cpu");
            scores.put(key, new double[] {r.getPrimaryResult().getScore() / repeat,
                cpu == null ? Double.NaN : cpu.getScore() / repeat});
        }
        Map<String, Double> kernelAfter = kernel.available() ? kernelSelfTimed(programs) : Map.of();
        String loadAfter = loadAverage();

        System.out.printf("%n%-13s %12s %12s %12s %10s %10s | %11s %11s %10s | %12s %10s%n", "ns per run", "JIT",
                "interpreter", "kernel", "JIT/kern", "intp/kern", "JIT cpu", "kernel cpu", "JIT/kern", "kernel says",
                "JIT/says");
        List<Double> wallRatios = new ArrayList<>();
        List<Double> cpuRatios = new ArrayList<>();
        List<Double> selfRatios = new ArrayList<>();
        for (String p : programs) {
            double[] jit = scores.getOrDefault(p + "/jit", new double[] {Double.NaN, Double.NaN});
            double[] interp = scores.getOrDefault(p + "/interpreter", new double[] {Double.NaN, Double.NaN});
            double[] k = scores.getOrDefault(p + "/kernel", new double[] {Double.NaN, Double.NaN});
            double self = kernel.available() ? (kernelBefore.get(p) + kernelAfter.get(p)) / 2 : Double.NaN;
            System.out.printf("%-13s %12.1f %12.1f %12.1f %10.2f %10.1f | %11.1f %11.1f %10.2f | %12.1f %10.2f%n", p, jit[0],
                    interp[0], k[0], jit[0] / k[0], interp[0] / k[0], jit[1], k[1], jit[1] / k[1], self, jit[1] / self);
            wallRatios.add(jit[0] / k[0]);
            cpuRatios.add(jit[1] / k[1]);
            selfRatios.add(jit[1] / self);
        }
        System.out.printf("%-13s %12s %12s %12s %10.2f %10s | %11s %11s %10.2f | %12s %10.2f%n", "geomean", "", "", "",
                geomean(wallRatios), "", "", "", geomean(cpuRatios), "", geomean(selfRatios));
        System.out.printf("%nJMH: %d x 1 s warm-up, %d x 1 s measurement, one fork per program and engine; wall-clock ns "
                + "per run and the benchmark thread's CPU ns per run (user + system).%n", warmup, measure);
        System.out.printf("kernel says: BPF_PROG_TEST_RUN's own average duration, repeat %d, median of 5, before and after "
                + "the JMH run: %s then %s; JIT/says: the JIT's CPU ns per run over that%n", KERNEL_REPEAT, kernelBefore,
                kernelAfter);
        System.out.println("The kernel's wall-clock column includes a fixed cost per call: an XDP test run with repeat > 1 "
                + "switches the kernel's XDP dispatcher to the program and back, and waits for that (strace -T: about 17 ms "
                + "per call on a 2-CPU VM, nearly all of it off the CPU). CPU time and 'kernel says' leave it out: compare those.");
        System.out.printf("load average: %s before, %s after (%d CPUs)%n", loadBefore, loadAfter,
                Runtime.getRuntime().availableProcessors());
    }

    /** The three engines must agree on every program's result before their times mean anything. */
    private static void checkResults(String[] programs, boolean withKernel) {
        for (String p : programs) {
            StringBuilder line = new StringBuilder(p + ": result");
            Long expected = null;
            for (String engine : withKernel ? ENGINES : Arrays.copyOf(ENGINES, 2)) {
                long r0;
                if (engine.equals("kernel")) {
                    try (JitBenchPrograms.Loaded k = JitBenchPrograms.inKernel(p)) {
                        r0 = k.program().testRun(k.run(1)).returnValue();
                    }
                } else {
                    try (Vm vm = Vm.builder().engine(engine.equals("jit") ? Vm.Engine.JIT : Vm.Engine.INTERPRETER).build();
                            JitBenchPrograms.Loaded l = JitBenchPrograms.inVm(vm, p)) {
                        r0 = l.program().testRun(l.run(1)).returnValue();
                    }
                }
                line.append(' ').append(engine).append('=').append(r0);
                if (expected != null && expected != r0) {
                    throw new IllegalStateException(line + ": the engines disagree");
                }
                expected = r0;
            }
            System.out.println(line);
        }
    }

    /** The kernel's own average ns per run of each program: the median of five test runs. */
    private static Map<String, Double> kernelSelfTimed(String[] programs) {
        Map<String, Double> out = new HashMap<>();
        for (String p : programs) {
            try (JitBenchPrograms.Loaded k = JitBenchPrograms.inKernel(p)) {
                long[] ns = new long[5];
                for (int i = 0; i < ns.length; i++) {
                    ns[i] = k.program().testRun(k.run(KERNEL_REPEAT)).averageDurationNs();
                }
                Arrays.sort(ns);
                out.put(p, (double) ns[2]);
            }
        }
        return out;
    }

    private static double geomean(List<Double> values) {
        return Math.exp(values.stream().mapToDouble(Math::log).average().orElse(Double.NaN));
    }

    private static String loadAverage() throws IOException {
        Path load = Path.of("/proc/loadavg");
        return Files.exists(load) ? String.join(" ", Arrays.copyOf(Files.readString(load).trim().split(" "), 3)) : "?";
    }
}
