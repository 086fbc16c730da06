package io.bpf4j.cli;

import io.bpf4j.BpfException;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.isa.Helpers;
import io.bpf4j.kernel.FeatureProbe;
import io.bpf4j.kernel.Kernel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code bpf4j feature probe}: what the kernel supports, printed as bpftool's feature probe prints it. */
@Command(
        mixinStandardHelpOptions = true,
        name = "feature",
        description = "Probe the kernel's BPF features, as bpftool feature does.",
        subcommands = {FeatureCommand.Probe.class, CommandLine.HelpCommand.class})
final class FeatureCommand extends CommandGroup {
    @Override
    String example() {
        return "bpf4j feature probe";
    }

    /** The kernel configuration options bpftool reports; only the last one is printed as a macro. */
    private static final List<String> CONFIG_OPTIONS = List.of(
            "CONFIG_BPF", "CONFIG_BPF_SYSCALL", "CONFIG_HAVE_EBPF_JIT", "CONFIG_BPF_JIT", "CONFIG_BPF_JIT_ALWAYS_ON",
            "CONFIG_DEBUG_INFO_BTF", "CONFIG_DEBUG_INFO_BTF_MODULES", "CONFIG_CGROUPS", "CONFIG_CGROUP_BPF",
            "CONFIG_CGROUP_NET_CLASSID", "CONFIG_SOCK_CGROUP_DATA", "CONFIG_BPF_EVENTS", "CONFIG_KPROBE_EVENTS",
            "CONFIG_UPROBE_EVENTS", "CONFIG_TRACING", "CONFIG_FTRACE_SYSCALLS", "CONFIG_FUNCTION_ERROR_INJECTION",
            "CONFIG_BPF_KPROBE_OVERRIDE", "CONFIG_NET", "CONFIG_XDP_SOCKETS", "CONFIG_LWTUNNEL_BPF", "CONFIG_NET_ACT_BPF",
            "CONFIG_NET_CLS_BPF", "CONFIG_NET_CLS_ACT", "CONFIG_NET_SCH_INGRESS", "CONFIG_XFRM", "CONFIG_IP_ROUTE_CLASSID",
            "CONFIG_IPV6_SEG6_BPF", "CONFIG_BPF_LIRC_MODE2", "CONFIG_BPF_STREAM_PARSER", "CONFIG_NETFILTER_XT_MATCH_BPF",
            "CONFIG_BPFILTER", "CONFIG_BPFILTER_UMH", "CONFIG_TEST_BPF", "CONFIG_HZ");
    private static final String MACRO_OPTION = "CONFIG_HZ";

    /** Helpers that write to the kernel log when probed; only {@code full} probes them. */
    private static final List<String> NOISY_HELPERS = List.of("bpf_trace_printk", "bpf_trace_vprintk", "bpf_probe_write_user");

    @Command(mixinStandardHelpOptions = true, name = "probe",
            description = {"Probe the running kernel: configuration, program types, map types,",
        "helpers per program type and miscellaneous features.",
        "full: also probe helpers that write to the kernel log; macros [prefix P]: print C macros."})
    static final class Probe implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        JsonOptions json;

        @Parameters(arity = "0..*", paramLabel = "ARGS", description = "[kernel] [full] [macros [prefix PREFIX]]")
        List<String> args = new ArrayList<>();

        private boolean full;
        private String prefix;
        private JsonWriter w;
        private final StringBuilder out = new StringBuilder();

        @Override
        public Integer call() {
            boolean kernel = false;
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                if (Bpftool.isPrefix(a, "kernel")) {
                    if (kernel) {
                        throw new BpfException("component to probe already specified");
                    }
                    kernel = true;
                } else if (Bpftool.isPrefix(a, "full")) {
                    full = true;
                } else if (Bpftool.isPrefix(a, "macros") && prefix == null) {
                    prefix = "";
                } else if (Bpftool.isPrefix(a, "prefix")) {
                    if (prefix == null) {
                        throw new BpfException("'prefix' argument can only be use after 'macros'");
                    }
                    if (!prefix.isEmpty()) {
                        throw new BpfException("'prefix' already defined");
                    }
                    if (++i == args.size()) {
                        throw new BpfException("'prefix' needs at least 1 arguments, 0 found");
                    }
                    prefix = args.get(i);
                } else if (Bpftool.isPrefix(a, "dev") || Bpftool.isPrefix(a, "unprivileged")) {
                    throw new BpfException("'" + a + "' is not supported by bpf4j: it probes the kernel, privileged");
                } else {
                    throw new BpfException("expected no more arguments, 'kernel', 'dev', 'macros' or 'prefix', got: '" + a + "'?");
                }
            }
            if (!Kernel.availability().available()) {
                throw new BpfException("full feature probing requires root privileges (" + Kernel.availability().reason() + ")");
            }
            if (json.enabled()) {
                prefix = null;
                w = json.writer(out);
                w.startObject();
            }
            systemConfig();
            boolean syscall = FeatureProbe.bpfSyscall();
            section("syscall_config", "Scanning system call availability...", "/*** System call availability ***/");
            bool("have_bpf_syscall", "bpf() syscall", "BPF_SYSCALL", syscall);
            endSection();
            if (syscall) {
                probeTypesAndHelpers();
                section("misc", "Scanning miscellaneous eBPF features...", "/*** eBPF misc features ***/");
                bool("have_large_insn_limit", "Large program size limit", "LARGE_INSN_LIMIT", FeatureProbe.largeInstructionLimit());
                bool("have_bounded_loops", "Bounded loop support", "BOUNDED_LOOPS", FeatureProbe.boundedLoops());
                bool("have_v2_isa_extension", "ISA extension v2", "V2_ISA_EXTENSION", FeatureProbe.isaV2());
                bool("have_v3_isa_extension", "ISA extension v3", "V3_ISA_EXTENSION", FeatureProbe.isaV3());
                endSection();
            }
            if (w != null) {
                w.endObject();
                w.finish();
            }
            spec.commandLine().getOut().append(out).flush();
            return 0;
        }

        private void probeTypesAndHelpers() {
            section("program_types", "Scanning eBPF program types...", "/*** eBPF program types ***/");
            Map<ProgramType, Boolean> supported = new HashMap<>();
            for (ProgramType t : canonical(ProgramType.values(), ProgramType::id, ProgramType::ofId)) {
                boolean ok = FeatureProbe.programType(t);
                supported.put(t, ok);
                String name = t.bpftoolName();
                bool("have_" + name + "_prog_type", "eBPF program_type " + name, name.toUpperCase(Locale.ROOT) + "_PROG_TYPE", ok);
            }
            endSection();
            section("map_types", "Scanning eBPF map types...", "/*** eBPF map types ***/");
            for (MapType t : canonical(MapType.values(), MapType::id, MapType::ofId)) {
                String name = t.bpftoolName();
                bool("have_" + name + "_map_type", "eBPF map_type " + name, name.toUpperCase(Locale.ROOT) + "_MAP_TYPE",
                        FeatureProbe.mapType(t));
            }
            endSection();
            section("helpers", "Scanning eBPF helper functions...", "/*** eBPF helper functions ***/");
            if (w == null && prefix != null) {
                out.append(("/*\n * Use %1$sHAVE_PROG_TYPE_HELPER(prog_type_name, helper_name)\n"
                        + " * to determine if <helper_name> is available for <prog_type_name>,\n * e.g.\n"
                        + " *\t#if %1$sHAVE_PROG_TYPE_HELPER(xdp, bpf_redirect)\n *\t\t// do stuff with this helper\n"
                        + " *\t#elif\n *\t\t// use a workaround\n *\t#endif\n */\n"
                        + "#define %1$sHAVE_PROG_TYPE_HELPER(prog_type, helper)\t\\\n"
                        + "\t%1$sBPF__PROG_TYPE_ ## prog_type ## __HELPER_ ## helper\n").formatted(prefix));
            }
            for (ProgramType t : canonical(ProgramType.values(), ProgramType::id, ProgramType::ofId)) {
                helpers(t, supported.get(t));
            }
            endSection();
        }

        private void helpers(ProgramType type, boolean typeSupported) {
            String name = type.bpftoolName();
            if (w != null) {
                w.name(name + "_available_helpers").startArray();
            } else if (prefix == null) {
                out.append("eBPF helpers supported for program type ").append(name).append(':');
            }
            boolean any = false;
            for (int id = 1; id < Helpers.count(); id++) {
                String helper = Helpers.name(id).orElse(null);
                if (helper == null || !full && NOISY_HELPERS.contains(helper)) {
                    continue;
                }
                boolean ok = typeSupported && FeatureProbe.helper(type, id);
                any |= ok;
                if (w != null) {
                    if (ok) {
                        w.value(helper);
                    }
                } else if (prefix != null) {
                    out.append("#define ").append(prefix).append("BPF__PROG_TYPE_").append(name).append("__HELPER_")
                            .append(helper).append(ok ? " 1" : " 0").append('\n');
                } else if (ok) {
                    out.append("\n\t- ").append(helper);
                }
            }
            if (w != null) {
                w.endArray();
            } else if (prefix == null) {
                out.append('\n');
                if (!any) {
                    out.append(typeSupported ? "\tCould not determine which helpers are available\n" : "\tProgram type not supported\n");
                }
            }
        }

        private void systemConfig() {
            section("system_config", "Scanning system configuration...", "/*** Misc kernel config items ***/");
            if (prefix == null) {
                if (isProcfs()) {
                    procfs("unprivileged_bpf_disabled", "/proc/sys/kernel/unprivileged_bpf_disabled", v -> switch (v) {
                        case 0 -> "bpf() syscall for unprivileged users is enabled";
                        case 1 -> "bpf() syscall restricted to privileged users (without recovery)";
                        case 2 -> "bpf() syscall restricted to privileged users (admin can change)";
                        case -1 -> "Unable to retrieve required privileges for bpf() syscall";
                        default -> "bpf() syscall restriction has unknown value " + v;
                    });
                    procfs("bpf_jit_enable", "/proc/sys/net/core/bpf_jit_enable", v -> switch (v) {
                        case 0 -> "JIT compiler is disabled";
                        case 1 -> "JIT compiler is enabled";
                        case 2 -> "JIT compiler is enabled with debugging traces in kernel logs";
                        case -1 -> "Unable to retrieve JIT-compiler status";
                        default -> "JIT-compiler status has unknown value " + v;
                    });
                    procfs("bpf_jit_harden", "/proc/sys/net/core/bpf_jit_harden", v -> switch (v) {
                        case 0 -> "JIT compiler hardening is disabled";
                        case 1 -> "JIT compiler hardening is enabled for unprivileged users";
                        case 2 -> "JIT compiler hardening is enabled for all users";
                        case -1 -> "Unable to retrieve JIT hardening status";
                        default -> "JIT hardening status has unknown value " + v;
                    });
                    procfs("bpf_jit_kallsyms", "/proc/sys/net/core/bpf_jit_kallsyms", v -> switch (v) {
                        case 0 -> "JIT compiler kallsyms exports are disabled";
                        case 1 -> "JIT compiler kallsyms exports are enabled for root";
                        case -1 -> "Unable to retrieve JIT kallsyms export status";
                        default -> "JIT kallsyms exports status has unknown value " + v;
                    });
                    procfs("bpf_jit_limit", "/proc/sys/net/core/bpf_jit_limit", v -> v == -1
                            ? "Unable to retrieve global memory limit for JIT compiler for unprivileged users"
                            : "Global memory limit for JIT compiler for unprivileged users is " + v + " bytes");
                } else {
                    spec.commandLine().getErr().println("/* procfs not mounted, skipping related probes */");
                }
            }
            Map<String, String> config = kernelConfig();
            for (String option : CONFIG_OPTIONS) {
                if (prefix != null && !option.equals(MACRO_OPTION)) {
                    continue;
                }
                String value = config.get(option);
                if (w != null) {
                    // bpftool writes numbers as strings too: it looks for a newline it has already cut off
                    w.name(option);
                    if (value == null) {
                        w.nullValue();
                    } else {
                        w.value(value);
                    }
                } else if (prefix != null) {
                    out.append(value != null ? "#define " + prefix + option + " " + value + "\n"
                            : "/* " + prefix + option + " is not set */\n");
                } else {
                    out.append(option).append(value != null ? " is set to " + value : " is not set").append('\n');
                }
            }
            endSection();
        }

        private void procfs(String key, String path, java.util.function.IntFunction<String> text) {
            int v = readProcfs(path);
            if (w != null) {
                w.field(key, v);
            } else {
                out.append(text.apply(v)).append('\n');
            }
        }

        /** The number on the first line of {@code path}, or -1 when it cannot be read as one. */
        private static int readProcfs(String path) {
            try (BufferedReader r = Files.newBufferedReader(Path.of(path))) {
                String line = r.readLine();
                return line == null ? -1 : Integer.parseInt(line.trim());
            } catch (IOException | NumberFormatException e) {
                return -1;
            }
        }

        private static boolean isProcfs() {
            try {
                return Files.getFileStore(Path.of("/proc")).type().equals("proc");
            } catch (IOException e) {
                return false;
            }
        }

        /** CONFIG_ options from /boot/config-RELEASE or /proc/config.gz; empty (and a note on stderr) when neither is readable. */
        private Map<String, String> kernelConfig() {
            Map<String, String> values = new HashMap<>();
            Path boot = Path.of("/boot/config-" + Kernel.release());
            Path proc = Path.of("/proc/config.gz");
            try (InputStream in = Files.isReadable(boot) ? Files.newInputStream(boot)
                    : new GZIPInputStream(Files.newInputStream(proc));
                    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                r.readLine();
                if (!"# Automatically generated file; DO NOT EDIT.".equals(r.readLine())) {
                    note("skipping kernel config, can't find correct file");
                    return values;
                }
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    int eq = line.indexOf('=');
                    if (line.startsWith("CONFIG_") && eq > 0 && eq + 1 < line.length()) {
                        values.putIfAbsent(line.substring(0, eq), line.substring(eq + 1));
                    }
                }
            } catch (IOException e) {
                note("skipping kernel config, can't open file: " + e.getMessage());
            }
            return values;
        }

        private void note(String message) {
            if (w == null) {
                spec.commandLine().getErr().println(message);
            }
        }

        private void section(String jsonName, String title, String macroComment) {
            if (w != null) {
                w.name(jsonName).startObject();
            } else {
                out.append(prefix != null ? macroComment : title).append('\n');
            }
        }

        private void endSection() {
            if (w != null) {
                w.endObject();
            } else {
                out.append('\n');
            }
        }

        private void bool(String jsonName, String plain, String macro, boolean ok) {
            if (w != null) {
                w.name(jsonName).value(ok);
            } else if (prefix != null) {
                out.append("#define ").append(prefix).append(ok ? "" : "NO_").append("HAVE_").append(macro).append('\n');
            } else {
                out.append(plain).append(ok ? " is available\n" : " is NOT available\n");
            }
        }
    }

    /** Every constant but UNSPEC, one per kernel number (the current name of aliases), by number. */
    static <T> List<T> canonical(T[] values, java.util.function.ToIntFunction<T> id,
            java.util.function.IntFunction<java.util.Optional<T>> ofId) {
        List<T> out = new ArrayList<>();
        for (T t : values) {
            int n = id.applyAsInt(t);
            if (n != 0 && ofId.apply(n).orElseThrow() == t) {
                out.add(t);
            }
        }
        out.sort(java.util.Comparator.comparingInt(id));
        return out;
    }
}
