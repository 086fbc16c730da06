package io.bpf4j.cli.bench;

import io.bpf4j.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Loading every libxdp1 object ({@code /usr/lib/x86_64-linux-gnu/bpf/*.o}) as {@code prog
 * loadall} does: bpf4j in this JVM (warmed up), bpf4j's command line end to end (a JVM per
 * object, as a user runs it), and {@code bpftool prog loadall} (libbpf in C), measured in the
 * same run; prints the median time of a round over all objects and the ratios. bpftool runs in
 * a mount namespace of its own with a fresh bpffs, bpf4j pins under a directory of its own, so
 * maps pinned by name (libxdp's xdp_stats_map) touch nothing else. Run with
 * {@code scripts/bench-load}.
 */
public final class LoadBenchmarkMain {
    private static final Path LIBXDP = Path.of("/usr/lib/x86_64-linux-gnu/bpf");
    /** The class-data-sharing archive of the command-line runs. */
    private static final Path ARCHIVE = Path.of(System.getProperty("java.io.tmpdir"), "bpf4j-bench-" + ProcessHandle.current().pid()
            + ".jsa");

    private LoadBenchmarkMain() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        String cliJar = args.length > 1 ? args[1] : "bpf4j-cli/target/bpf4j-cli.jar";
        List<Path> objects;
        try (Stream<Path> s = Files.list(LIBXDP)) {
            objects = s.filter(p -> p.toString().endsWith(".o")).sorted().toList();
        }
        System.out.printf("loading %d libxdp1 objects per round, %d rounds%n", objects.size(), rounds);
        double bpftool = median(bpftoolRounds(objects, rounds));
        Path dir = Path.of("/sys/fs/bpf/bpf4j-bench-" + ProcessHandle.current().pid());
        try {
            inProcessRound(objects, dir); // warm-up
            inProcessRound(objects, dir);
            double[] inProcess = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                inProcess[r] = inProcessRound(objects, dir);
            }
            cliRound(objects, dir, cliJar); // makes the class-data archive, as the launcher's first run does
            double[] cli = new double[Math.max(1, rounds / 5)];
            for (int r = 0; r < cli.length; r++) {
                cli[r] = cliRound(objects, dir, cliJar);
            }
            double ours = median(inProcess);
            double endToEnd = median(cli);
            System.out.printf("bpftool prog loadall (libbpf 1.1, C):   %8.1f ms per round%n", bpftool);
            System.out.printf("bpf4j prog loadall, in-process (warm):  %8.1f ms per round  ratio bpf4j/bpftool %.2f%n", ours,
                    ours / bpftool);
            System.out.printf("bpf4j prog loadall, CLI end to end:     %8.1f ms per round  ratio bpf4j/bpftool %.2f%n", endToEnd,
                    endToEnd / bpftool);
        } finally {
            delete(dir);
            Files.deleteIfExists(ARCHIVE);
        }
    }

    /** Milliseconds of each round, timed inside one private mount namespace by the shell. */
    private static double[] bpftoolRounds(List<Path> objects, int rounds) throws IOException, InterruptedException {
        StringBuilder script = new StringBuilder("mount -t bpf bpf /sys/fs/bpf || exit 1\n");
        script.append("for r in $(seq 0 ").append(rounds + 1).append("); do\n  s=$(date +%s%N)\n");
        for (int i = 0; i < objects.size(); i++) {
            script.append("  mkdir -p /sys/fs/bpf/o").append(i).append("; bpftool prog loadall ").append(objects.get(i))
                    .append(" /sys/fs/bpf/o").append(i).append("/p >/dev/null 2>&1; rm -rf /sys/fs/bpf/o").append(i)
                    // maps pinned by name go too, as bpf4j's are removed: each load creates its maps
                    .append("; find /sys/fs/bpf -maxdepth 1 -type f ! -name '*.debug' -delete\n");
        }
        script.append("  e=$(date +%s%N); [ $r -ge 2 ] && echo $(( (e - s) / 1000 ))\ndone\n");
        Process p = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c", script.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().close();
        String out;
        try (var in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (p.waitFor() != 0) {
            throw new IllegalStateException("the bpftool rounds failed: " + out);
        }
        return Arrays.stream(out.trim().split("\\s+")).mapToDouble(us -> Long.parseLong(us) / 1000.0).toArray();
    }

    private static double inProcessRound(List<Path> objects, Path dir) throws IOException {
        long start = System.nanoTime();
        for (int i = 0; i < objects.size(); i++) {
            StringWriter err = new StringWriter();
            Main.execute(new String[] {"prog", "loadall", objects.get(i).toString(), dir.resolve("o" + i).toString(), "--pin-root",
                dir.resolve("root").toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err));
            delete(dir);
        }
        return (System.nanoTime() - start) / 1e6;
    }

    /** A JVM per object, started as the {@code bpf4j} launcher starts it (class-data archive, client compiler, serial GC). */
    private static double cliRound(List<Path> objects, Path dir, String jar) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long start = System.nanoTime();
        for (int i = 0; i < objects.size(); i++) {
            Process p = new ProcessBuilder(java, "-Xlog:disable", "-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile=" + ARCHIVE,
                    "-Xshare:auto", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED", "-jar", jar,
                    "prog", "loadall", objects.get(i).toString(), dir.resolve("o" + i).toString(), "--pin-root",
                    dir.resolve("root").toString())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            p.waitFor();
            delete(dir);
        }
        return (System.nanoTime() - start) / 1e6;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(all::add);
        }
        for (Path p : all) {
            Files.deleteIfExists(p);
        }
    }
}
