package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.BpfException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A kprobe or kretprobe program on a kernel function, or on a system call ({@code ksyscall}):
 * through the {@code kprobe} perf PMU, else a {@code kprobe_events} entry in tracefs. A kernel
 * built without kprobes ({@code CONFIG_KPROBE_EVENTS} off) has neither; attaching then throws
 * {@link UnsupportedFeatureException} naming the tracepoints or fentry hooks that can serve
 * instead.
 *
 * <pre>{@code
 * try (KprobeLink link = KprobeLink.attach(program, "do_unlinkat", 0, false)) { ... }
 * }</pre>
 */
public final class KprobeLink extends PerfEventBacked {
    private KprobeLink(PerfEvent event, TracefsProbe tracefsProbe, String description) {
        super(List.of(event), tracefsProbe == null ? List.of() : List.of(tracefsProbe), description);
    }

    /** Attaches at {@code function + offset}; a return probe ({@code kretprobe}, offset 0) with {@code ret}. */
    public static KprobeLink attach(KernelProgram program, String function, long offset, boolean ret) {
        return attach(program, function, offset, ret, 0, null);
    }

    /** Attaches to system call {@code name} ({@code openat}, ...) on entry, or on return with {@code ret}. */
    public static KprobeLink attachSyscall(KernelProgram program, String name, boolean ret) {
        return attach(program, syscallFunction(name), 0, ret, 0, name);
    }

    private static KprobeLink attach(KernelProgram program, String function, long offset, boolean ret, long cookie,
            String syscall) {
        checkFunction(function);
        String what = "attach " + program + " to " + (ret ? "kretprobe " : "kprobe ") + function
                + (offset != 0 ? "+0x" + Long.toHexString(offset) : "");
        Optional<PerfPmu> pmu = PerfPmu.of("kprobe");
        if (pmu.isPresent()) {
            return new KprobeLink(PerfEvent.attach(program, PerfEventAttr.kprobe(pmu.get(), ret, function, offset), -1, 0,
                    cookie, what), null, what);
        }
        Path events = TracefsProbe.eventsFile("kprobe");
        if (events == null) {
            throw new UnsupportedFeatureException(unsupportedMessage(function, ret, syscall));
        }
        String name = TracefsProbe.eventName(function, offset);
        TracefsProbe probe = TracefsProbe.create(events, name, tracefsDefinition(ret, name, function, offset), what);
        try {
            return new KprobeLink(PerfEvent.attach(program, PerfEventAttr.tracepoint(probe.id()), -1, 0, cookie, what),
                    probe, what);
        } catch (RuntimeException e) {
            probe.close();
            throw e;
        }
    }

    /** The function of system call {@code name} on this architecture, as {@code ksyscall} resolves it. */
    static String syscallFunction(String name) {
        checkFunction(name);
        String prefix = switch (System.getProperty("os.arch").toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "__x64_sys_";
            case "aarch64" -> "__arm64_sys_";
            case "s390x" -> "__s390x_sys_";
            case "riscv64" -> "__riscv_sys_";
            default -> "sys_";
        };
        return prefix + name;
    }

    /** The line written to {@code kprobe_events} to create the probe. */
    static String tracefsDefinition(boolean ret, String event, String function, long offset) {
        return TracefsProbe.definition(ret, event, function + "+0x" + Long.toHexString(offset));
    }

    /** Why kprobes cannot work here and what can serve instead. */
    static String unsupportedMessage(String function, boolean ret, String syscall) {
        String probe = ret ? "kretprobe" : "kprobe";
        StringBuilder m = new StringBuilder(probe + " on " + function + " needs a kernel with kprobes "
                + "(CONFIG_KPROBES and CONFIG_KPROBE_EVENTS), which this one (" + Kernel.release() + ") lacks: it has "
                + "neither the kprobe PMU (" + PerfPmu.DEVICES.resolve("kprobe") + ") nor a kprobe_events file in tracefs");
        List<String> instead = alternatives(function, ret, syscall);
        if (!instead.isEmpty()) {
            m.append("; use instead: ").append(String.join(", ", instead));
        }
        return m.toString();
    }

    private static List<String> alternatives(String function, boolean ret, String syscall) {
        List<String> out = new ArrayList<>();
        if (syscall != null) {
            String tp = (ret ? "sys_exit_" : "sys_enter_") + syscall;
            if (Tracefs.hasEvent("syscalls", tp)) {
                out.add("tracepoint syscalls:" + tp);
            }
            out.add("raw tracepoint " + (ret ? "sys_exit" : "sys_enter") + " (every system call; filter on its id)");
        }
        if (TracingLink.canAttach(ret ? AttachType.TRACE_FEXIT : AttachType.TRACE_FENTRY, function)) {
            out.add((ret ? "fexit/" : "fentry/") + function);
        }
        if (syscall == null) {
            out.addAll(tracepointsNamedLike(function));
        }
        return out;
    }

    /** Up to three tracepoints whose name contains the function's name without its usual prefixes. */
    private static List<String> tracepointsNamedLike(String function) {
        String stem = function.replaceFirst("^_+", "").replaceFirst("^(do_|sys_|ksys_|x64_sys_)", "");
        List<String> found = new ArrayList<>();
        if (stem.length() < 3) {
            return found;
        }
        try {
            for (String line : Files.readAllLines(Tracefs.root().resolve("available_events"))) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(colon + 1).contains(stem) && found.size() < 3) {
                    found.add("tracepoint " + line.trim());
                }
            }
        } catch (IOException | BpfException e) {
            // no tracefs: nothing to suggest
        }
        return found;
    }

    private static void checkFunction(String function) {
        if (function.isEmpty() || !function.matches("[A-Za-z0-9_.$]+")) {
            throw new BpfException("invalid kernel function name '" + function + "'");
        }
    }
}
