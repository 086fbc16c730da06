package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.BpfException;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;

/**
 * The link that attaches a program of an object where its section says, as libbpf's
 * auto-attach does: kprobes and syscalls, uprobes and USDT ({@code path:function},
 * {@code path:provider:name}), tracepoints, raw tracepoints, BTF-typed hooks, and for XDP
 * and tc programs the network device given as target ({@code eth0}, for tc {@code eth0:egress}).
 */
final class Attach {
    private Attach() {}

    static Link link(ObjectSpec spec, ProgramSpec p, KernelProgram program, String target) {
        String kind = p.sectionName().contains("/") ? p.sectionName().substring(0, p.sectionName().indexOf('/')) : p.sectionName();
        return switch (p.type()) {
            case TRACEPOINT -> {
                int slash = target.indexOf('/');
                if (slash <= 0) {
                    throw unsupported(spec, p, "a tracepoint target is CATEGORY/NAME, not '" + target + "'");
                }
                yield TracepointLink.attach(program, target.substring(0, slash), target.substring(slash + 1));
            }
            case RAW_TRACEPOINT, RAW_TRACEPOINT_WRITABLE -> RawTracepointLink.attach(program, target);
            case TRACING, LSM -> TracingLink.attach(program);
            case KPROBE -> switch (kind) {
                case "kprobe", "kretprobe" -> {
                    int plus = target.indexOf('+');
                    String function = plus < 0 ? target : target.substring(0, plus);
                    long offset = plus < 0 ? 0 : Long.decode(target.substring(plus + 1));
                    yield KprobeLink.attach(program, function, offset, kind.equals("kretprobe"));
                }
                case "ksyscall", "kretsyscall" -> KprobeLink.attachSyscall(program, target, kind.equals("kretsyscall"));
                case "uprobe", "uretprobe", "uprobe.s", "uretprobe.s" -> {
                    int colon = target.lastIndexOf(':');
                    if (colon <= 0) {
                        throw unsupported(spec, p, "a uprobe target is BINARY:FUNCTION, not '" + target + "'");
                    }
                    yield UprobeLink.attach(program, target.substring(0, colon), target.substring(colon + 1), kind.startsWith("uret"), -1);
                }
                case "usdt", "usdt.s" -> {
                    String[] parts = target.split(":");
                    if (parts.length != 3) {
                        throw unsupported(spec, p, "a USDT target is BINARY:PROVIDER:NAME, not '" + target + "'");
                    }
                    yield UprobeLink.attachUsdt(program, parts[0], parts[1], parts[2], -1);
                }
                default -> throw unsupported(spec, p, "the kernel backend does not attach " + kind + " programs yet");
            };
            case XDP -> XdpLink.attach(program, NetDevice.of(target), XdpLink.Mode.DEFAULT);
            case SCHED_CLS -> {
                TcxLink.Direction direction = p.attachType() == AttachType.TCX_EGRESS || target.endsWith(":egress")
                        ? TcxLink.Direction.EGRESS : TcxLink.Direction.INGRESS;
                String device = target.replaceFirst(":(ingress|egress)$", "");
                yield TcxLink.attach(program, NetDevice.of(device), direction);
            }
            default -> throw unsupported(spec, p, "the kernel backend does not attach " + p.type().bpftoolName()
                    + " programs; use the link classes of io.bpf4j.kernel");
        };
    }

    private static BpfException unsupported(ObjectSpec spec, ProgramSpec p, String why) {
        return new BpfException("cannot attach program '" + p.name() + "' of " + spec.name() + " (section '" + p.sectionName() + "'): "
                + why);
    }
}
