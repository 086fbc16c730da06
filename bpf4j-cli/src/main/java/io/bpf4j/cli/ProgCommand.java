package io.bpf4j.cli;

import io.bpf4j.ProgramType;
import io.bpf4j.kernel.Kernel;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.ProgramInfo;
import java.nio.file.Path;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bpf4j prog ...}: bpftool's program commands, printing what bpftool 7.1 prints. */
@Command(
        mixinStandardHelpOptions = true,
        name = "prog",
        description = {"Inspect loaded programs, as bpftool prog does.",
            "  PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }"},
        subcommands = {ProgCommand.Show.class, ProgCommand.Dump.class, ProgCommand.Pin.class, ProgLoadCommand.Load.class,
            ProgLoadCommand.LoadAll.class, ProgRun.class, ProgTracelogCommand.class,
            ProgAttachCommand.Attach.class, ProgAttachCommand.Detach.class, CommandLine.HelpCommand.class})
final class ProgCommand extends CommandGroup {
    @Override
    String example() {
        return "bpf4j prog show";
    }

    @Command(mixinStandardHelpOptions = true, name = "show", aliases = "list",
            description = "Show every program, or those PROG names.")
    static final class Show implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        JsonOptions json;

        @Parameters(arity = "0..2", paramLabel = "PROG", description = "id ID | pinned FILE | tag TAG | name NAME")
        List<String> args = new ArrayList<>();

        @Option(names = {"-f", "--bpffs"}, description = "Show the files each program is pinned at.")
        boolean bpffs;

        @Override
        public Integer call() {
            IdTable<String> pins = bpffs ? Bpftool.pinnedPaths("bpf-prog") : new IdTable<>();
            StringBuilder out = new StringBuilder();
            Handles.show(out, json, Handles.select(args, Handles::programs, Kernel.programIds(), KernelProgram::openById, "prog"),
                    (w, p) -> showJson(w, p, pins), p -> showPlain(out, p, pins));
            spec.commandLine().getOut().append(out).flush();
            return 0;
        }

        /** print_prog_header_plain: the first line of a program. */
        static void header(StringBuilder out, ProgramInfo info) {
            out.append(Integer.toUnsignedString(info.id())).append(": ")
                    .append(info.type().map(t -> t.bpftoolName() + "  ").orElse("type " + Integer.toUnsignedString(info.typeId()) + "  "));
            if (!info.name().isEmpty()) {
                out.append("name ").append(Handles.fullName(info)).append("  ");
            }
            out.append("tag ").append(info.tagHex());
            Offload.plain(out, info.ifindex(), info.netnsDev(), info.netnsIno());
            out.append(info.gplCompatible() ? "  gpl" : "");
            if (info.runTimeNs() != 0) {
                out.append(" run_time_ns ").append(info.runTimeNs()).append(" run_cnt ").append(info.runCount());
            }
            if (info.recursionMisses() != 0) {
                out.append(" recursion_misses ").append(info.recursionMisses());
            }
            out.append('\n');
        }

        private static void showPlain(StringBuilder out, KernelProgram p, IdTable<String> pins) {
            ProgramInfo info = p.info();
            header(out, info);
            if (info.loadTime() != 0) {
                out.append("\tloaded_at ").append(Bpftool.bootTime(info.loadTime(), false)).append("  uid ")
                        .append(Integer.toUnsignedString(info.createdByUid())).append('\n');
            }
            out.append("\txlated ").append(info.xlatedInstructions().length).append('B');
            out.append(info.jitedInstructions().length != 0 ? "  jited " + info.jitedInstructions().length + "B" : "  not jited");
            String memlock = p.fdInfo().get("memlock");
            if (memlock != null) {
                out.append("  memlock ").append(memlock).append('B');
            }
            if (info.mapIds().length > 0) {
                out.append("  map_ids ");
                for (int i = 0; i < info.mapIds().length; i++) {
                    out.append(i > 0 ? "," : "").append(Integer.toUnsignedString(info.mapIds()[i]));
                }
            }
            Bpftool.plainPins(out, pins, info.id());
            if (info.btfId() != 0) {
                out.append("\n\tbtf_id ").append(info.btfId());
            }
            out.append('\n');
            ProgMetadata.plain(out, info);
        }

        /** print_prog_header_json: the fields a program's JSON starts with. */
        static void header(JsonWriter w, ProgramInfo info) {
            w.name("id").unsigned(Integer.toUnsignedLong(info.id()));
            w.name("type");
            if (info.type().isPresent()) {
                w.value(info.type().map(ProgramType::bpftoolName).get());
            } else {
                w.unsigned(Integer.toUnsignedLong(info.typeId()));
            }
            if (!info.name().isEmpty()) {
                w.field("name", Handles.fullName(info));
            }
            w.field("tag", info.tagHex());
            w.name("gpl_compatible").value(info.gplCompatible());
            if (info.runTimeNs() != 0) {
                w.name("run_time_ns").unsigned(info.runTimeNs());
                w.name("run_cnt").unsigned(info.runCount());
            }
            if (info.recursionMisses() != 0) {
                w.name("recursion_misses").unsigned(info.recursionMisses());
            }
        }

        private static void showJson(JsonWriter w, KernelProgram p, IdTable<String> pins) {
            ProgramInfo info = p.info();
            w.startObject();
            header(w, info);
            Offload.json(w, info.ifindex(), info.netnsDev(), info.netnsIno());
            if (info.loadTime() != 0) {
                w.field("loaded_at", Long.parseLong(Bpftool.bootTime(info.loadTime(), true)));
                w.name("uid").unsigned(Integer.toUnsignedLong(info.createdByUid()));
            }
            w.field("bytes_xlated", info.xlatedInstructions().length);
            w.name("jited").value(info.jitedInstructions().length != 0);
            if (info.jitedInstructions().length != 0) {
                w.field("bytes_jited", info.jitedInstructions().length);
            }
            String memlock = p.fdInfo().get("memlock");
            if (memlock != null) {
                w.field("bytes_memlock", Long.parseLong(memlock));
            }
            if (info.mapIds().length > 0) {
                w.name("map_ids").startArray();
                for (int id : info.mapIds()) {
                    w.unsigned(Integer.toUnsignedLong(id));
                }
                w.endArray();
            }
            if (info.btfId() != 0) {
                w.field("btf_id", info.btfId());
            }
            Bpftool.jsonPins(w, pins, info.id());
            ProgMetadata.json(w, info);
            w.endObject();
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "dump",
            customSynopsis = "bpf4j prog dump xlated PROG [{ file FILE | opcodes | linum }] [-j|-p]",
            description = {"Print the instructions of PROG as the verifier translated them, as bpftool prints them:",
                "with source lines and function prototypes where the program has BTF; opcodes adds the raw",
                "bytes, linum the file, line and column of each source line; file FILE writes the raw bytes."})
    static final class Dump implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        JsonOptions json;

        @Parameters(paramLabel = "ARGS", description = "As the synopsis shows.")
        List<String> args = new ArrayList<>();

        @Override
        public Integer call() throws java.io.IOException {
            if (args.isEmpty() || !Bpftool.isPrefix(args.getFirst(), "xlated")) {
                throw new io.bpf4j.BpfException(args.isEmpty() || !Bpftool.isPrefix(args.getFirst(), "jited")
                        ? "expected 'xlated' or 'jited', got: " + (args.isEmpty() ? "nothing" : args.getFirst())
                        : "dump jited is not supported: bpf4j has no disassembler for machine code");
            }
            Handles.Match<KernelProgram> h = Handles.programs(args, 1);
            List<KernelProgram> progs = h.objects();
            boolean opcodes = false;
            boolean linum = false;
            Path file = null;
            try {
                int i = h.next();
                if (i < args.size()) {
                    String kw = args.get(i++);
                    if (Bpftool.isPrefix(kw, "file")) {
                        if (i == args.size()) {
                            throw new io.bpf4j.BpfException("expected file path");
                        }
                        if (progs.size() > 1) {
                            throw new io.bpf4j.BpfException("several programs matched");
                        }
                        file = Path.of(args.get(i++));
                    } else if (Bpftool.isPrefix(kw, "opcodes")) {
                        opcodes = true;
                    } else if (Bpftool.isPrefix(kw, "linum")) {
                        linum = true;
                    } else if (Bpftool.isPrefix(kw, "visual")) {
                        throw new io.bpf4j.BpfException("'visual' (a control flow graph) is not supported by bpf4j");
                    } else {
                        throw new io.bpf4j.BpfException("what is '" + kw + "'?");
                    }
                }
                if (i < args.size()) {
                    throw new io.bpf4j.BpfException("what is '" + args.get(i) + "'?");
                }
                StringBuilder out = new StringBuilder();
                JsonWriter w = json.enabled() ? json.writer(out) : null;
                boolean several = progs.size() > 1;
                if (w != null && several) {
                    w.startArray();
                }
                for (int k = 0; k < progs.size(); k++) {
                    ProgramInfo info = progs.get(k).info();
                    if (file != null) {
                        Files.write(file, info.xlatedInstructions());
                        if (w != null) {
                            w.nullValue();
                        }
                        continue;
                    }
                    if (w != null && several) {
                        w.startObject();
                        Show.header(w, info);
                        w.name("insns");
                    } else if (several) {
                        Show.header(out, info);
                    }
                    XlatedDump dump = new XlatedDump(info);
                    if (w != null) {
                        dump.json(w, opcodes, linum);
                    } else {
                        dump.plain(out, opcodes, linum);
                    }
                    if (w != null && several) {
                        w.endObject();
                    } else if (several && k != progs.size() - 1) {
                        out.append('\n');
                    }
                }
                if (w != null) {
                    if (several) {
                        w.endArray();
                    }
                    w.finish();
                }
                spec.commandLine().getOut().append(out).flush();
            } finally {
                Handles.closeAll(progs);
            }
            return 0;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "pin", description = "Pin PROG at FILE on a bpffs.")
    static final class Pin implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        JsonOptions json;

        @Parameters(arity = "3", paramLabel = "ARGS", description = "PROG FILE")
        List<String> args;

        @Override
        public Integer call() {
            Handles.Match<KernelProgram> h = Handles.program(args, 0);
            try (KernelProgram p = h.objects().getFirst()) {
                p.pin(Path.of(args.get(h.next())));
            }
            return json.printNull(spec);
        }
    }
}
