package io.bpf4j.cli;

import io.bpf4j.AttachType;
import io.bpf4j.BpfException;
import io.bpf4j.LinkType;
import io.bpf4j.ProgramType;
import io.bpf4j.kernel.BpfSyscallException;
import io.bpf4j.kernel.Kernel;
import io.bpf4j.kernel.KernelLink;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.LinkInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bpf4j link ...}: bpftool's link commands, printing what bpftool 7.1 prints. */
@Command(
        name = "link",
        description = {"Inspect, pin and detach BPF links, as bpftool link does.",
            "LINK := { id LINK_ID | pinned FILE }"},
        subcommands = {LinkCommand.Show.class, LinkCommand.Pin.class, LinkCommand.Detach.class,
            CommandLine.HelpCommand.class})
final class LinkCommand extends CommandGroup {
    /** The highest link type bpftool 7.1's libbpf (1.1) names; newer ones print as numbers. */
    static final int LIBBPF_1_1_LAST_LINK_TYPE = LinkType.STRUCT_OPS.id();
    /** The highest attach type libbpf 1.1 names. */
    static final int LIBBPF_1_1_LAST_ATTACH_TYPE = AttachType.LSM_CGROUP.id();
    /** The highest program type libbpf 1.1 names. */
    static final int LIBBPF_1_1_LAST_PROG_TYPE = ProgramType.SYSCALL.id();

    @Override
    String example() {
        return "bpf4j link show";
    }

    @Command(name = "show", aliases = "list", description = "Show every link, or LINK.")
    static final class Show implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        JsonOptions json;

        @Parameters(arity = "0..2", paramLabel = "LINK", description = "id ID | pinned FILE")
        List<String> args = new ArrayList<>();

        @Option(names = {"-f", "--bpffs"}, description = "Show the files each link is pinned at.")
        boolean bpffs;

        @Override
        public Integer call() {
            IdTable<String> pins = bpffs ? Bpftool.pinnedPaths("bpf-link") : new IdTable<>();
            StringBuilder out = new StringBuilder();
            Handles.show(out, json, Handles.select(args, Handles::link, Kernel.linkIds(), KernelLink::openById, "link"),
                    (w, l) -> showJson(w, l.info(), pins), l -> showPlain(out, l.info(), pins));
            spec.commandLine().getOut().append(out).flush();
            return 0;
        }

        static String linkType(int type) {
            return type <= LIBBPF_1_1_LAST_LINK_TYPE ? LinkType.ofId(type).map(LinkType::bpftoolName).orElse(null) : null;
        }

        static String attachType(int type) {
            return type <= LIBBPF_1_1_LAST_ATTACH_TYPE ? AttachType.ofId(type).map(AttachType::bpftoolName).orElse(null)
                    : null;
        }

        /** The type of the program a tracing link runs, as libbpf 1.1 names it, or null. */
        static Object progType(int progId) {
            try (KernelProgram p = KernelProgram.openById(progId)) {
                int type = p.info().typeId();
                return type <= LIBBPF_1_1_LAST_PROG_TYPE ? ProgramType.ofId(type).map(t -> (Object) t.bpftoolName())
                        .orElse(type) : (Object) type;
            } catch (BpfSyscallException e) {
                throw new BpfException("can't get prog info: " + Bpftool.strerror(e));
            }
        }

        private static void showPlain(StringBuilder out, LinkInfo info, IdTable<String> pins) {
            out.append(Integer.toUnsignedString(info.id())).append(": ");
            String type = linkType(info.typeId());
            out.append(type != null ? type + "  " : "type " + Integer.toUnsignedString(info.typeId()) + "  ");
            out.append("prog ").append(Integer.toUnsignedString(info.progId())).append("  ");
            switch (info.target()) {
                case LinkInfo.RawTracepoint r ->
                        out.append("\n\ttp '").append(r.name()).append("'  ");
                case LinkInfo.Tracing t -> {
                    Object progType = progType(info.progId());
                    out.append("\n\tprog_type ").append(progType).append("  ");
                    plainAttachType(out, t.attachType());
                }
                case LinkInfo.Cgroup c -> {
                    out.append("\n\tcgroup_id ").append(Long.toUnsignedString(c.cgroupId())).append("  ");
                    plainAttachType(out, c.attachType());
                }
                case LinkInfo.Iter it -> {
                    out.append("target_name ").append(it.targetName()).append("  ");
                    if (it.targetName().equals("bpf_map_elem") || it.targetName().equals("bpf_sk_storage_map")) {
                        out.append("map_id ").append(Integer.toUnsignedString(it.mapId())).append("  ");
                    }
                }
                case LinkInfo.Netns n -> {
                    out.append("\n\tnetns_ino ").append(Integer.toUnsignedString(n.netnsIno())).append("  ");
                    plainAttachType(out, n.attachType());
                }
                default -> { }
            }
            Bpftool.plainPins(out, pins, info.id());
            out.append('\n');
        }

        private static void plainAttachType(StringBuilder out, int type) {
            String name = attachType(type);
            out.append("attach_type ").append(name != null ? name : Integer.toUnsignedString(type)).append("  ");
        }

        private static void showJson(JsonWriter w, LinkInfo info, IdTable<String> pins) {
            w.startObject();
            w.name("id").unsigned(Integer.toUnsignedLong(info.id()));
            String type = linkType(info.typeId());
            if (type != null) {
                w.field("type", type);
            } else {
                w.name("type").unsigned(Integer.toUnsignedLong(info.typeId()));
            }
            w.name("prog_id").unsigned(Integer.toUnsignedLong(info.progId()));
            switch (info.target()) {
                case LinkInfo.RawTracepoint r ->
                        w.field("tp_name", r.name());
                case LinkInfo.Tracing t -> {
                    Object progType = progType(info.progId());
                    if (progType instanceof String s) {
                        w.field("prog_type", s);
                    } else {
                        w.name("prog_type").unsigned(Integer.toUnsignedLong((Integer) progType));
                    }
                    jsonAttachType(w, t.attachType());
                }
                case LinkInfo.Cgroup c -> {
                    w.name("cgroup_id").unsigned(c.cgroupId());
                    jsonAttachType(w, c.attachType());
                }
                case LinkInfo.Iter it -> {
                    w.field("target_name", it.targetName());
                    if (it.targetName().equals("bpf_map_elem") || it.targetName().equals("bpf_sk_storage_map")) {
                        w.name("map_id").unsigned(Integer.toUnsignedLong(it.mapId()));
                    }
                }
                case LinkInfo.Netns n -> {
                    w.name("netns_ino").unsigned(Integer.toUnsignedLong(n.netnsIno()));
                    jsonAttachType(w, n.attachType());
                }
                default -> { }
            }
            Bpftool.jsonPins(w, pins, info.id());
            w.endObject();
        }

        private static void jsonAttachType(JsonWriter w, int type) {
            String name = attachType(type);
            if (name != null) {
                w.field("attach_type", name);
            } else {
                w.name("attach_type").unsigned(Integer.toUnsignedLong(type));
            }
        }
    }

    /** What pin and detach share: the LINK handle (and for pin a FILE), then an action on the link. */
    abstract static class LinkAction implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        JsonOptions json;

        @Parameters(arity = "2..3", paramLabel = "ARGS", description = "LINK [FILE]")
        List<String> args;

        abstract void apply(KernelLink link);

        @Override
        public Integer call() {
            try (KernelLink l = Handles.link(args, 0).objects().getFirst()) {
                apply(l);
            }
            return json.printNull(spec);
        }
    }

    @Command(name = "pin", description = "Pin LINK at FILE on a bpffs: LINK FILE.")
    static final class Pin extends LinkAction {
        @Override
        void apply(KernelLink link) {
            if (args.size() != 3) {
                throw new BpfException("expected LINK FILE");
            }
            link.pin(Path.of(args.get(2)));
        }
    }

    @Command(name = "detach", description = "Detach LINK: its program stops running; the link and its pins stay.")
    static final class Detach extends LinkAction {
        @Override
        void apply(KernelLink link) {
            if (args.size() != 2) {
                throw new BpfException("link specifier is invalid or missing");
            }
            try {
                link.detach();
            } catch (BpfSyscallException e) {
                throw new BpfException("failed link detach: " + Bpftool.strerror(e));
            }
        }
    }
}
