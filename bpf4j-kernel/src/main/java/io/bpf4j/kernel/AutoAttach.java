package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.BpfException;
import io.bpf4j.ProgramType;
import io.bpf4j.object.ProgramSpec;

/**
 * Attaching a program where its section name says, as a libbpf skeleton's {@code attach()}
 * does: {@code tracepoint/sched/sched_process_exec}, {@code raw_tp/sys_enter},
 * {@code kprobe/do_unlinkat+0x10}, {@code ksyscall/openat}, {@code uprobe/libc.so.6:malloc},
 * {@code usdt/path:provider:name}, {@code fentry/...}, {@code tp_btf/...}, {@code lsm/...}.
 * Hooks that need a target the section cannot name (a device, a cgroup, a namespace) get a
 * {@link Manual} plan that says which class attaches them.
 *
 * <pre>{@code
 * AutoAttach.Point p = AutoAttach.plan(spec);           // from the object file's ProgramSpec
 * try (Link link = AutoAttach.attach(program, p)) { ... }
 * }</pre>
 */
public final class AutoAttach {
    private AutoAttach() {}

    /** Where a section name says a program goes. */
    public sealed interface Point {}

    /** {@code kprobe/FUNC[+OFFSET]}, {@code kretprobe/FUNC}. */
    public record Kprobe(String function, long offset, boolean ret) implements Point {}

    /** {@code ksyscall/NAME}, {@code kretsyscall/NAME}. */
    public record Ksyscall(String syscall, boolean ret) implements Point {}

    /** {@code uprobe/BINARY:FUNC[+OFFSET]} or {@code uprobe/BINARY:OFFSET} ({@code function} null), {@code uretprobe/...}. */
    public record Uprobe(String binary, String function, long offset, boolean ret) implements Point {}

    /** {@code usdt/BINARY:PROVIDER:NAME}. */
    public record Usdt(String binary, String provider, String name) implements Point {}

    /** {@code tracepoint/CATEGORY/NAME} or {@code tp/CATEGORY/NAME}. */
    public record Tracepoint(String category, String name) implements Point {}

    /** {@code raw_tracepoint/NAME} or {@code raw_tp/NAME}. */
    public record RawTracepoint(String name) implements Point {}

    /** tp_btf, fentry, fexit, fmod_ret, lsm: the target was fixed when the program was loaded. */
    public record Tracing() implements Point {}

    /** No attach from the section alone: {@code reason} says why and what to use. */
    public record Manual(String reason) implements Point {}

    /** The plan for a program of an object file. */
    public static Point plan(ProgramSpec spec) {
        return plan(spec.type(), spec.attachType(), spec.sectionName());
    }

    /**
     * The plan for a program of {@code type} and expected {@code attachType} (null for none)
     * from section {@code sectionName} (a leading {@code ?} is ignored).
     */
    public static Point plan(ProgramType type, AttachType attachType, String sectionName) {
        String section = sectionName.startsWith("?") ? sectionName.substring(1) : sectionName;
        int slash = section.indexOf('/');
        String kind = slash < 0 ? section : section.substring(0, slash);
        String target = slash < 0 ? "" : section.substring(slash + 1);
        String bare = kind.endsWith(".s") ? kind.substring(0, kind.length() - 2) : kind;
        return switch (type) {
            case KPROBE -> switch (bare) {
                case "kprobe", "kretprobe" -> target.isEmpty() ? manual(section, "it names no function")
                        : kprobe(target, bare.equals("kretprobe"), section);
                case "ksyscall", "kretsyscall" -> target.isEmpty() ? manual(section, "it names no system call")
                        : new Ksyscall(target, bare.equals("kretsyscall"));
                case "uprobe", "uretprobe" -> target.isEmpty()
                        ? manual(section, "it names no binary: use UprobeLink.attach")
                        : uprobe(target, bare.equals("uretprobe"), section);
                case "usdt" -> target.isEmpty() ? manual(section, "it names no probe: use UprobeLink.attachUsdt")
                        : usdt(target, section);
                default -> manual(section, "multi-probe and session links are not supported by bpf4j yet");
            };
            case TRACEPOINT -> {
                int sep = target.indexOf('/');
                yield sep <= 0 || sep == target.length() - 1
                        ? manual(section, "a tracepoint section is tracepoint/CATEGORY/NAME")
                        : new Tracepoint(target.substring(0, sep), target.substring(sep + 1));
            }
            case RAW_TRACEPOINT, RAW_TRACEPOINT_WRITABLE -> target.isEmpty()
                    ? manual(section, "it names no tracepoint: use RawTracepointLink.attach")
                    : new RawTracepoint(target);
            case TRACING, LSM -> attachType == AttachType.TRACE_ITER
                    ? manual(section, "iterators are not attached by bpf4j yet")
                    : new Tracing();
            case XDP -> manual(section, "XDP programs attach to a network device: use XdpLink.attach");
            case SCHED_CLS, SCHED_ACT -> manual(section, "tc programs attach to a network device: use TcxLink.attach "
                    + "or TcFilter.attach");
            case CGROUP_SKB, CGROUP_SOCK, CGROUP_SOCK_ADDR, CGROUP_DEVICE, CGROUP_SYSCTL, CGROUP_SOCKOPT, SOCK_OPS ->
                    manual(section, "cgroup programs attach to a cgroup: use CgroupLink.attach");
            case SK_LOOKUP -> manual(section, "sk_lookup programs attach to a network namespace: use SkLookupLink.attach");
            case NETFILTER -> manual(section, "netfilter programs need a protocol family, hook and priority: use "
                    + "NetfilterLink.attach");
            case PERF_EVENT -> manual(section, "perf_event programs need an event: use PerfEventLink.attach");
            case SOCKET_FILTER -> manual(section, "socket filters attach to a socket: use SocketFilter.attach");
            case SK_SKB, SK_MSG -> manual(section, "sk_skb and sk_msg programs attach to a sockmap: use SockMapLink.attach");
            default -> manual(section, "programs of type " + type.bpftoolName() + " are not attached from a section name");
        };
    }

    private static Manual manual(String section, String why) {
        return new Manual("section '" + section + "' cannot be attached automatically: " + why);
    }

    private static Point kprobe(String target, boolean ret, String section) {
        int plus = target.indexOf('+');
        if (plus < 0) {
            return new Kprobe(target, 0, ret);
        }
        Long offset = parseOffset(target.substring(plus + 1));
        if (offset == null || ret && offset != 0) {
            return manual(section, ret ? "a kretprobe takes no offset" : "bad offset '" + target.substring(plus + 1) + "'");
        }
        return new Kprobe(target.substring(0, plus), offset, ret);
    }

    private static Point uprobe(String target, boolean ret, String section) {
        int colon = target.lastIndexOf(':');
        if (colon <= 0 || colon == target.length() - 1) {
            return manual(section, "a uprobe section is uprobe/BINARY:FUNCTION[+OFFSET] or uprobe/BINARY:OFFSET");
        }
        String binary = target.substring(0, colon);
        String where = target.substring(colon + 1);
        Long raw = parseOffset(where);
        if (raw != null) {
            return new Uprobe(binary, null, raw, ret);
        }
        int plus = where.indexOf('+');
        if (plus < 0) {
            return new Uprobe(binary, where, 0, ret);
        }
        Long offset = parseOffset(where.substring(plus + 1));
        return offset == null ? manual(section, "bad offset '" + where.substring(plus + 1) + "'")
                : new Uprobe(binary, where.substring(0, plus), offset, ret);
    }

    private static Point usdt(String target, String section) {
        String[] parts = target.split(":");
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
            return manual(section, "a USDT section is usdt/BINARY:PROVIDER:NAME");
        }
        return new Usdt(parts[0], parts[1], parts[2]);
    }

    /** A decimal or 0x-hex offset, or null. */
    private static Long parseOffset(String s) {
        try {
            return s.startsWith("0x") || s.startsWith("0X") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Attaches {@code program} as {@code point} says; a {@link Manual} point throws with its reason. */
    public static Link attach(KernelProgram program, Point point) {
        return switch (point) {
            case Kprobe k -> KprobeLink.attach(program, k.function(), k.offset(), k.ret());
            case Ksyscall k -> KprobeLink.attachSyscall(program, k.syscall(), k.ret());
            case Uprobe u -> u.function() == null
                    ? UprobeLink.attach(program, ElfSymbols.resolve(u.binary()), u.offset(), u.ret(), -1)
                    : u.offset() == 0 ? UprobeLink.attach(program, u.binary(), u.function(), u.ret(), -1)
                    : UprobeLink.attach(program, ElfSymbols.resolve(u.binary()),
                            UprobeLink.functionOffset(u.binary(), u.function()) + u.offset(), u.ret(), -1);
            case Usdt u -> UprobeLink.attachUsdt(program, u.binary(), u.provider(), u.name(), -1);
            case Tracepoint t -> TracepointLink.attach(program, t.category(), t.name());
            case RawTracepoint r -> RawTracepointLink.attach(program, r.name());
            case Tracing t -> TracingLink.attach(program);
            case Manual m -> throw new BpfException(m.reason());
        };
    }

    /** Attaches a program of an object file where its section says. */
    public static Link attach(KernelProgram program, ProgramSpec spec) {
        return attach(program, plan(spec));
    }
}
