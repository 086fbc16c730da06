package io.bpf4j.kernel.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link MapBenchmark} and, in the same run, the same operations in C through libbpf
 * ({@code src/test/c/map_bench.c}, compiled here with gcc), then prints the ratio of each
 * Java variant to C. Run with {@code scripts/bench-maps}.
 */
public final class MapBenchmarkMain {
    private MapBenchmarkMain() {}

    public static void main(String[] args) throws Exception {
        Path source = Path.of(args.length > 0 ? args[0] : "bpf4j-kernel/src/test/c/map_bench.c");
        Path exe = Files.createTempFile("map_bench", "");
        try {
            run("gcc", "-O2", "-o", exe.toString(), source.toString(), "-lbpf");
            String[] reference = {exe.toString(), Integer.toString(MapBenchmark.ENTRIES), "2000000", "5"};
            Map<String, Double> before = parse(run(reference));

            Options opts = new OptionsBuilder()
                    .include(MapBenchmark.class.getName())
                    .forks(1)
                    .warmupIterations(2).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(5).measurementTime(TimeValue.seconds(1))
                    .jvmArgsAppend("--enable-native-access=ALL-UNNAMED")
                    .build();
            Map<String, Double> java = new HashMap<>();
            for (RunResult r : new Runner(opts).run()) {
                String name = r.getParams().getBenchmark();
                java.put(name.substring(name.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
            }
            // The reference runs before and after the JMH run; their mean evens out load that changes meanwhile.
            Map<String, Double> after = parse(run(reference));
            Map<String, Double> c = new HashMap<>();
            before.forEach((k, v) -> c.put(k, (v + after.get(k)) / 2));
            System.out.printf("%nlibbpf reference: lookup %.0f then %.0f ops/s, update %.0f then %.0f ops/s%n",
                    before.get("lookup"), after.get("lookup"), before.get("update"), after.get("update"));
            System.out.printf("%-16s %14s %14s %8s%n", "operation", "bpf4j ops/s", "libbpf ops/s", "ratio");
            for (String bench : new String[] {"lookupSegment", "lookupBytes", "lookupTyped", "updateSegment", "updateBytes"}) {
                double libbpf = c.get(bench.startsWith("lookup") ? "lookup" : "update");
                double ours = java.get(bench);
                System.out.printf("%-16s %14.0f %14.0f %8.2f%n", bench, ours, libbpf, ours / libbpf);
            }
        } finally {
            Files.deleteIfExists(exe);
        }
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
