package io.bpf4j.cli;

import io.bpf4j.BpfException;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfCDump;
import io.bpf4j.btf.BtfExt;
import io.bpf4j.btf.BtfExtDump;
import io.bpf4j.btf.BtfRawDump;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bpf4j btf ...}: bpftool's {@code btf} commands for BTF in files. */
@Command(
        name = "btf",
        description = "Inspect BTF type information, as bpftool btf does.",
        subcommands = {BtfCommand.Dump.class, BtfShowCommand.class, BtfBenchCommand.class, CommandLine.HelpCommand.class})
final class BtfCommand extends CommandGroup {
    @Override
    String example() {
        return "bpf4j btf dump file FILE";
    }

    static final String VMLINUX = "/sys/kernel/btf/vmlinux";

    @Command(
            name = "dump",
            description = {
                "Print the BTF types of FILE, a raw BTF blob (such as " + VMLINUX + ") or a BPF object with a .BTF section.",
                "--ext adds the object's .BTF.ext records after the types, one per line (insn = instruction index in its section):",
                "  func_info 'SEC' insn=N type_id=ID (FUNC 'name')",
                "  line_info 'SEC' insn=N file='F' line=L col=C 'source text'",
                "  core_relo 'SEC' insn=N type_id=ID (KIND 'name') access='0:1' kind=byte_off",
                "format raw (the default) prints one type per line as bpftool does; format c prints a C header like vmlinux.h.",
                "Types of /sys/kernel/btf/<module> are read on top of " + VMLINUX + " unless --base-btf names a base.",
            },
            sortOptions = false)
    static final class Dump implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(arity = "2..*", paramLabel = "ARGS", description = "file FILE [format raw|c]")
        List<String> args;

        @Option(names = {"-B", "--base-btf"}, paramLabel = "FILE", description = "Base BTF for split BTF in FILE (bpftool -B).")
        Path baseBtf;

        @Option(names = {"-j", "--json"}, description = "Print JSON, with bpftool's keys.")
        boolean json;

        @Option(names = {"-p", "--pretty"}, description = "Print human-readable (indented) JSON; implies -j.")
        boolean pretty;

        @Option(names = "--enum-modes", description = "With format c: give 1- and 8-byte enums their BTF size with mode attributes,"
                + " as later bpftool versions do (bpftool 7.1 does not, which changes some struct layouts).")
        boolean enumModes;

        @Option(names = "--ext", description = "With format raw: also list the func_info, line_info and CO-RE relocations of .BTF.ext.")
        boolean ext;

        private CommandLine.ParameterException usage(String message) {
            return new CommandLine.ParameterException(spec.commandLine(), message);
        }

        /** bpftool's keyword match: the argument may be any prefix of the keyword. */
        private static boolean isPrefix(String arg, String keyword) {
            return !arg.isEmpty() && keyword.startsWith(arg);
        }

        @Override
        public Integer call() {
            if (!isPrefix(args.get(0), "file")) {
                throw usage("unrecognized BTF source specifier: '" + args.get(0) + "' (bpf4j reads BTF from a file: 'file FILE')");
            }
            Path file = Path.of(args.get(1));
            boolean c = false;
            for (int i = 2; i < args.size(); i += 2) {
                if (!isPrefix(args.get(i), "format")) {
                    throw usage("unrecognized option: '" + args.get(i) + "'");
                }
                if (i + 1 == args.size()) {
                    throw usage("expecting value for 'format' option");
                }
                c = switch (args.get(i + 1)) {
                    case "c" -> true;
                    case "raw" -> false;
                    default -> throw usage("unrecognized format specifier: '" + args.get(i + 1) + "', possible values: raw, c");
                };
            }
            boolean jsonOut = json || pretty;
            if (c && jsonOut) {
                throw new BpfException("JSON output for C-syntax dump is not supported");
            }
            if (c && ext) {
                throw usage("--ext goes with format raw");
            }
            if (!c && enumModes) {
                throw usage("--enum-modes goes with format c");
            }
            Btf base = null;
            if (baseBtf != null) {
                base = Btf.read(baseBtf, null);
            } else if (file.toString().startsWith("/sys/kernel/btf/") && !file.toString().equals(VMLINUX)) {
                base = Btf.read(Path.of(VMLINUX), null);
            }
            Btf btf = Btf.read(file, base);
            BtfExt btfExt = !ext ? null : BtfExt.read(file, btf)
                    .orElseThrow(() -> new BpfException(file + " has no .BTF.ext section (BPF objects compiled with -g have one)"));
            // Output is about 2.2 times the blob raw, 0.5 times as C, up to 8 times as indented JSON.
            long blobSize = btf.types().size() * 44L;
            StringBuilder sb = new StringBuilder((int) Math.min(Integer.MAX_VALUE - 16, blobSize * (jsonOut ? 8 : c ? 1 : 3)));
            if (jsonOut) {
                JsonWriter w = new JsonWriter(sb, pretty);
                BtfJsonDump.dump(btf, btfExt, w);
                w.finish();
            } else if (c) {
                BtfCDump.dumpHeader(btf, sb, enumModes);
            } else {
                BtfRawDump.dump(btf, sb);
                if (btfExt != null) {
                    BtfExtDump.dump(btf, btfExt, sb);
                }
            }
            spec.commandLine().getOut().append(sb).flush();
            return 0;
        }
    }
}
