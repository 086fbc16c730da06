package io.bpf4j.cli;

import io.bpf4j.AttachType;
import io.bpf4j.BpfException;
import io.bpf4j.kernel.BpfSyscallException;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.SockMapLink;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code bpf4j prog attach|detach PROG ATTACH_TYPE [MAP]}: a program on a sockmap or sockhash,
 * or the flow dissector of this network namespace, as bpftool does it (legacy attach).
 */
final class ProgAttachCommand {
    private ProgAttachCommand() {}

    /** The attach types bpftool accepts, in its order: libbpf's names, then the older short ones (as prefixes). */
    private static final List<AttachType> TYPES = List.of(AttachType.SK_SKB_STREAM_PARSER,
            AttachType.SK_SKB_STREAM_VERDICT, AttachType.SK_MSG_VERDICT, AttachType.FLOW_DISSECTOR,
            AttachType.SK_SKB_VERDICT);
    private static final Map<AttachType, String> LEGACY = Map.of(AttachType.SK_SKB_STREAM_PARSER, "stream_parser",
            AttachType.SK_SKB_STREAM_VERDICT, "stream_verdict", AttachType.SK_SKB_VERDICT, "skb_verdict",
            AttachType.SK_MSG_VERDICT, "msg_verdict");

    static AttachType parseType(String arg) {
        for (AttachType t : TYPES) {
            if (arg.equals(t.bpftoolName()) || LEGACY.containsKey(t) && Bpftool.isPrefix(arg, LEGACY.get(t))) {
                return t;
            }
        }
        throw new BpfException("invalid attach/detach type");
    }

    /** The work of attach and detach: parse PROG ATTACH_TYPE [MAP], then attach or detach. */
    private static int run(CommandLine.Model.CommandSpec spec, JsonOptions json, List<String> args, boolean attach) {
        Handles.Match<KernelProgram> h = Handles.program(args, 0);
        try (KernelProgram prog = h.objects().getFirst()) {
            AttachType type = parseType(Handles.need(args, h.next(), "ATTACH_TYPE"));
            KernelMap map = type == AttachType.FLOW_DISSECTOR ? null : Handles.map(args, h.next() + 1).objects().getFirst();
            try (map) {
                if (attach) {
                    SockMapLink.attachProgram(prog, map, type);
                } else {
                    SockMapLink.detachProgram(prog, map, type);
                }
            } catch (BpfSyscallException e) {
                throw new BpfException((attach ? "failed prog attach to map: " : "failed prog detach from map: ")
                        + Bpftool.strerror(e));
            }
        }
        return json.printNull(spec);
    }

    /** What attach and detach share: the arguments, and whether to attach. */
    abstract static class Action implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        JsonOptions json;

        @Parameters(arity = "3..5", paramLabel = "ARGS", description = "PROG ATTACH_TYPE [MAP]")
        List<String> args;

        abstract boolean attach();

        @Override
        public Integer call() {
            return run(spec, json, args, attach());
        }
    }

    @Command(name = "attach", description = {"Attach PROG to MAP (or the flow dissector): PROG ATTACH_TYPE [MAP].",
        "ATTACH_TYPE := { sk_msg_verdict | sk_skb_verdict | sk_skb_stream_verdict | sk_skb_stream_parser | "
            + "flow_dissector }"})
    static final class Attach extends Action {
        @Override
        boolean attach() {
            return true;
        }
    }

    @Command(name = "detach", description = "Detach PROG from MAP (or the flow dissector): PROG ATTACH_TYPE [MAP].")
    static final class Detach extends Action {
        @Override
        boolean attach() {
            return false;
        }
    }
}
