package io.bpf4j.cli;

import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfCDump;
import io.bpf4j.btf.BtfRawDump;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bpf4j btf bench}: times parsing and dumping a BTF file in this JVM and with the
 * {@code bpf4j} command, against bpftool on the same file in the same run, and prints the ratios.
 */
@Command(
        name = "bench",
        description = {
            "Time 'btf dump' of FILE (default " + BtfCommand.VMLINUX + ") raw and as C: in this JVM (parse + dump, after warm-up),",
            "end to end with the bpf4j launcher (JVM start included), and with bpftool on the same file; print medians and ratios.",
        },
        sortOptions = false)
final class BtfBenchCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--file", paramLabel = "FILE", description = "BTF file to dump (default: ${DEFAULT-VALUE}).", defaultValue = BtfCommand.VMLINUX)
    Path file;

    @Option(names = "--runs", paramLabel = "N", description = "Timed runs of each measurement (default: ${DEFAULT-VALUE}).", defaultValue = "10")
    int runs;

    @Option(names = "--warmup", paramLabel = "N", description = "Untimed in-process runs first (default: ${DEFAULT-VALUE}).", defaultValue = "5")
    int warmup;

    private static double medianMillis(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return (n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0) / 1e6;
    }

    private long[] time(int count, Runnable task) {
        long[] t = new long[count];
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            task.run();
            t[i] = System.nanoTime() - start;
        }
        return t;
    }

    private static int inProcess(Path file, boolean c) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Btf btf = Btf.parse(data);
        StringBuilder sb = new StringBuilder(1 << 24);
        if (c) {
            BtfCDump.dumpHeader(btf, sb);
        } else {
            BtfRawDump.dump(btf, sb);
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8).length;
    }

    private static void runProcess(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + p.exitValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The bpf4j launcher script beside the jar this class came from, if this is a checkout. */
    private static Path launcher() {
        try {
            Path jar = Path.of(BtfBenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!jar.toString().endsWith(".jar")) {
                return null;
            }
            Path root = jar.getParent() == null ? null : jar.getParent().getParent();
            Path script = root == null || root.getParent() == null ? null : root.getParent().resolve("bpf4j");
            return script != null && Files.isExecutable(script) ? script : null;
        } catch (URISyntaxException | SecurityException e) {
            return null;
        }
    }

    private static String bpftool() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, "bpftool"))) {
                return Path.of(dir, "bpftool").toString();
            }
        }
        return null;
    }

    private record Row(String what, double millis) {}

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String bpftool = bpftool();
        Path launcher = launcher();
        out.printf("btf bench: %s, %d runs each (medians)%n", file, runs);
        for (String format : List.of("raw", "c")) {
            boolean c = format.equals("c");
            time(warmup, () -> inProcess(file, c));
            List<Row> rows = new ArrayList<>();
            rows.add(new Row("bpf4j in-process parse+dump", medianMillis(time(runs, () -> inProcess(file, c)))));
            addProcess(rows, "bpf4j end to end (JVM start)", launcher == null ? null
                    : () -> List.of(launcher.toString(), "btf", "dump", "file", file.toString(), "format", format));
            addProcess(rows, "bpftool", bpftool == null ? null : () -> List.of(bpftool, "btf", "dump", "file", file.toString(), "format", format));
            out.printf("format %s:%n", format);
            double reference = rows.getLast().what().equals("bpftool") ? rows.getLast().millis() : Double.NaN;
            for (Row r : rows) {
                out.printf("  %-32s %9.1f ms%s%n", r.what(), r.millis(),
                        Double.isNaN(reference) ? "" : String.format("   %.2fx bpftool's time", r.millis() / reference));
            }
            if (bpftool == null) {
                out.println("  bpftool not found on PATH: no reference");
            }
            if (launcher == null) {
                out.println("  bpf4j launcher not found beside the jar: no end-to-end time");
            }
            out.flush();
        }
        return 0;
    }

    private void addProcess(List<Row> rows, String what, Supplier<List<String>> command) {
        if (command != null) {
            runProcess(command.get());
            rows.add(new Row(what, medianMillis(time(runs, () -> runProcess(command.get())))));
        }
    }
}
