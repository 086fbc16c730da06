package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.MapType;
import io.bpf4j.kernel.sys.Bpf;
import io.bpf4j.kernel.sys.BpfCmd;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * Facts about the running kernel and switches that apply to every bpf() call.
 *
 * <pre>{@code
 * Kernel.Availability a = Kernel.availability();
 * if (!a.available()) System.err.println("no BPF: " + a.reason());
 * Kernel.traceSyscalls(System.err::println);   // strace-style log of every bpf() call
 * for (int id : Kernel.mapIds()) { ... }
 * }</pre>
 */
public final class Kernel {
    private Kernel() {}

    /** Whether bpf() works for this process, and if not, why. */
    public record Availability(boolean available, String reason) {}

    private static volatile Availability availability;

    /**
     * Whether this process can use BPF: Linux, a known system call number, and a small
     * array map can be created. Probed once; the result is kept.
     */
    public static Availability availability() {
        Availability a = availability;
        if (a == null) {
            a = probeAvailability();
            availability = a;
        }
        return a;
    }

    private static Availability probeAvailability() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return new Availability(false, "not Linux (os.name=" + System.getProperty("os.name") + ")");
        }
        if (!Bpf.supported()) {
            return new Availability(false, "bpf4j does not know the bpf() system call number on "
                    + System.getProperty("os.arch"));
        }
        try (KernelMap probe = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 4, 1))) {
            return new Availability(true, "bpf() works (created array map id " + probe.id() + ")");
        } catch (BpfException e) {
            return new Availability(false, e.getMessage());
        }
    }

    /** Prints every following bpf() call to {@code sink} as {@code strace -e bpf} would; null stops it. */
    public static void traceSyscalls(Consumer<String> sink) {
        Bpf.trace(sink);
    }

    private static volatile int possibleCpus;

    /** The number of possible CPUs, the number of slots in a per-CPU map's value. */
    public static int possibleCpus() {
        int n = possibleCpus;
        if (n == 0) {
            Path p = Path.of("/sys/devices/system/cpu/possible");
            try {
                n = countCpus(Files.readString(p));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + p + " (needed for per-CPU maps)", e);
            }
            possibleCpus = n;
        }
        return n;
    }

    /** Counts the CPUs of a kernel CPU list such as {@code 0-3,8,10-11}. */
    static int countCpus(String list) {
        return cpuList(list).length;
    }

    /** The CPUs of a kernel CPU list such as {@code 0-3,8,10-11}, in increasing order. */
    static int[] cpuList(String list) {
        IntStream.Builder cpus = IntStream.builder();
        for (String part : list.trim().split(",")) {
            if (part.isEmpty()) {
                continue;
            }
            int dash = part.indexOf('-');
            try {
                int first = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
                int last = dash < 0 ? first : Integer.parseInt(part.substring(dash + 1));
                for (int c = first; c <= last; c++) {
                    cpus.add(c);
                }
            } catch (NumberFormatException e) {
                throw new BpfException("malformed CPU list '" + list.trim() + "' at '" + part + "'");
            }
        }
        int[] result = cpus.build().toArray();
        if (result.length == 0) {
            throw new BpfException("empty CPU list '" + list.trim() + "'");
        }
        return result;
    }

    /** The CPUs online now, as {@code /sys/devices/system/cpu/online} lists them. */
    public static int[] onlineCpus() {
        Path p = Path.of("/sys/devices/system/cpu/online");
        try {
            return cpuList(Files.readString(p));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }

    /** The kernel release, as {@code uname -r} prints it. */
    public static String release() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }

    /** Ids of every loaded program, in increasing order. */
    public static List<Integer> programIds() {
        return ids(BpfCmd.PROG_GET_NEXT_ID);
    }

    /** Ids of every map. */
    public static List<Integer> mapIds() {
        return ids(BpfCmd.MAP_GET_NEXT_ID);
    }

    /** Ids of every BTF object (vmlinux, modules, and loaded ones). */
    public static List<Integer> btfIds() {
        return ids(BpfCmd.BTF_GET_NEXT_ID);
    }

    /** Ids of every link. */
    public static List<Integer> linkIds() {
        return ids(BpfCmd.LINK_GET_NEXT_ID);
    }

    private static List<Integer> ids(BpfCmd cmd) {
        List<Integer> ids = new ArrayList<>();
        for (int id = Sys.nextId(cmd, 0); id != 0; id = Sys.nextId(cmd, id)) {
            ids.add(id);
        }
        return ids;
    }
}
