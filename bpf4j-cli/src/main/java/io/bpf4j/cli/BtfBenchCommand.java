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
            "end to end with the bpf4j launcher (JVM start included), and with bpftool on the same file; print medians of wall",
            "and CPU time (CPU counts JIT and GC threads, and is less disturbed by other load) and their ratios to bpftool's.",
            "'JIT tier 1 only' runs the same jar with -XX:TieredStopAtLevel=1, which suits short runs.",
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

    /** CPU time (user + system) of this process, and of its waited-for children, through getrusage(2). */
    private static final class CpuClock {
        private static final int RUSAGE_SELF = 0;
        private static final int RUSAGE_CHILDREN = -1;
        private static final java.lang.invoke.MethodHandle GETRUSAGE = java.lang.foreign.Linker.nativeLinker().downcallHandle(
                java.lang.foreign.Linker.nativeLinker().defaultLookup().find("getrusage").orElseThrow(),
                java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_INT,
                        java.lang.foreign.ValueLayout.ADDRESS));

        /** struct rusage starts with ru_utime and ru_stime, two struct timeval {long sec; long usec}. */
        static long nanos(boolean children) {
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                java.lang.foreign.MemorySegment usage = arena.allocate(144, 8);
                if ((int) GETRUSAGE.invokeExact(children ? RUSAGE_CHILDREN : RUSAGE_SELF, usage) != 0) {
                    throw new IllegalStateException("getrusage failed");
                }
                long total = 0;
                for (int tv = 0; tv < 32; tv += 16) {
                    total += usage.get(java.lang.foreign.ValueLayout.JAVA_LONG, tv) * 1_000_000_000L
                            + usage.get(java.lang.foreign.ValueLayout.JAVA_LONG, tv + 8) * 1_000L;
                }
                return total;
            } catch (Throwable e) {
                throw new IllegalStateException("getrusage: " + e, e);
            }
        }
    }

    private static double medianMillis(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return (n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0) / 1e6;
    }

    /** Wall and CPU times of {@code count} runs; CPU is this process's or, for {@code children}, its children's. */
    private record Times(long[] wall, long[] cpu) {}

    private static Times time(int count, boolean children, Runnable task) {
        long[] wall = new long[count];
        long[] cpu = new long[count];
        for (int i = 0; i < count; i++) {
            long cpuStart = CpuClock.nanos(children);
            long start = System.nanoTime();
            task.run();
            wall[i] = System.nanoTime() - start;
            cpu[i] = CpuClock.nanos(children) - cpuStart;
        }
        return new Times(wall, cpu);
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

    private record Row(String what, double millis, double cpuMillis) {
        Row(String what, Times t) {
            this(what, medianMillis(t.wall()), medianMillis(t.cpu()));
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String bpftool = bpftool();
        Path launcher = launcher();
        Path jar = launcher == null ? null : launcher.resolveSibling("bpf4j-cli/target/bpf4j-cli.jar");
        String java = ProcessHandle.current().info().command().orElse(null);
        out.printf("btf bench: %s, %d runs each (medians)%n", file, runs);
        for (String format : List.of("raw", "c")) {
            boolean c = format.equals("c");
            time(warmup, false, () -> inProcess(file, c));
            List<Row> rows = new ArrayList<>();
            rows.add(new Row("bpf4j in-process parse+dump", time(runs, false, () -> inProcess(file, c))));
            addProcess(rows, "bpf4j end to end (JVM start)", launcher == null ? null
                    : () -> List.of(launcher.toString(), "btf", "dump", "file", file.toString(), "format", format));
            addProcess(rows, "  same, JIT tier 1 only", launcher == null || java == null ? null
                    : () -> List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-jar", jar.toString(),
                            "btf", "dump", "file", file.toString(), "format", format));
            addProcess(rows, "bpftool", bpftool == null ? null : () -> List.of(bpftool, "btf", "dump", "file", file.toString(), "format", format));
            out.printf("%-32s %11s %8s %11s%n", "format " + format + ":", "wall", "", "CPU");
            Row reference = rows.getLast().what().equals("bpftool") ? rows.getLast() : null;
            for (Row r : rows) {
                out.printf("  %-30s %8.1f ms%s %8.1f ms%s%n", r.what(), r.millis(), ratio(r.millis(), reference == null ? 0 : reference.millis()),
                        r.cpuMillis(), ratio(r.cpuMillis(), reference == null ? 0 : reference.cpuMillis()));
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

    private static String ratio(double value, double reference) {
        return reference <= 0 ? "        " : String.format(" %6.2fx", value / reference);
    }

    private void addProcess(List<Row> rows, String what, Supplier<List<String>> command) {
        if (command != null) {
            runProcess(command.get());
            rows.add(new Row(what, time(runs, true, () -> runProcess(command.get()))));
        }
    }
}
