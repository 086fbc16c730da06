package io.bpf4j.kernel.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link MapBenchmark} and, in the same run, the same operations in C through libbpf
 * ({@code src/test/c/map_bench.c}, compiled here with gcc), then prints the ratio of each
 * Java variant to C. The machine's speed drifts (other load, a tracer on every system call),
 * so the C reference runs right before and right after each Java benchmark, and each ratio
 * is against the mean of those two. Run with {@code scripts/bench-maps}.
 */
public final class MapBenchmarkMain {
    private static final String[] BENCHMARKS = {"lookupSegment", "lookupBytes", "lookupTyped", "updateSegment", "updateBytes"};

    private MapBenchmarkMain() {}

    public static void main(String[] args) throws Exception {
        Path source = Path.of(args.length > 0 ? args[0] : "bpf4j-kernel/src/test/c/map_bench.c");
        Path exe = Files.createTempFile("map_bench", "");
        try {
            run("gcc", "-O2", "-o", exe.toString(), source.toString(), "-lbpf");
            String[] reference = {exe.toString(), Integer.toString(MapBenchmark.ENTRIES), "500000", "2"};
            List<Map<String, Double>> c = new ArrayList<>();
            c.add(parse(run(reference)));
            Map<String, Double> java = new HashMap<>();
            for (String bench : BENCHMARKS) {
                Options opts = new OptionsBuilder()
                        .include(MapBenchmark.class.getName() + "\\." + bench + "$")
                        .forks(1)
                        .warmupIterations(2).warmupTime(TimeValue.seconds(1))
                        .measurementIterations(5).measurementTime(TimeValue.seconds(1))
                        .jvmArgsAppend("--enable-native-access=ALL-UNNAMED")
                        .build();
                for (RunResult r : new Runner(opts).run()) {
                    java.put(bench, r.getPrimaryResult().getScore());
                }
                c.add(parse(run(reference)));
            }
            System.out.printf("%nlibbpf reference, before and after each benchmark: lookup %s ops/s; update %s ops/s%n",
                    series(c, "lookup"), series(c, "update"));
            System.out.printf("%-16s %14s %14s %8s%n", "operation", "bpf4j ops/s", "libbpf ops/s", "ratio");
            for (int i = 0; i < BENCHMARKS.length; i++) {
                String op = BENCHMARKS[i].startsWith("lookup") ? "lookup" : "update";
                double libbpf = (c.get(i).get(op) + c.get(i + 1).get(op)) / 2;
                double ours = java.get(BENCHMARKS[i]);
                System.out.printf("%-16s %14.0f %14.0f %8.2f%n", BENCHMARKS[i], ours, libbpf, ours / libbpf);
            }
        } finally {
            Files.deleteIfExists(exe);
        }
    }

    private static String series(List<Map<String, Double>> runs, String op) {
        return runs.stream().map(m -> String.format("%.0f", m.get(op))).collect(Collectors.joining(" "));
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed:\n" + out);
        }
        return out;
    }

    private static Map<String, Double> parse(String out) {
        Map<String, Double> m = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length == 2) {
                m.put(f[0], Double.parseDouble(f[1]));
            }
        }
        return m;
    }
}
