package io.bpf4j.cli;

import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfType;
import io.bpf4j.btf.CoreTarget;
import io.bpf4j.elf.ElfFile;
import io.bpf4j.isa.Objdump;
import io.bpf4j.object.ExternSpec;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import io.bpf4j.object.VariableSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bpf4j object ...}: what a BPF object file defines, and its CO-RE relocation for a kernel. */
@Command(
        name = "object",
        description = "Inspect BPF object files (clang -target bpf output): programs, maps and globals, CO-RE relocation as libbpf does it, disassembly as llvm-objdump prints it.",
        subcommands = {ObjectCommand.Show.class, ObjectCommand.Relocate.class, ObjectCommand.Disasm.class,
            CommandLine.HelpCommand.class})
final class ObjectCommand extends CommandGroup {
    @Override
    String example() {
        return "bpf4j object show FILE";
    }

    @Command(name = "show", description = {
        "Print the programs (name, section, type, attach type, target, instruction slots, autoload), maps (type, key and value",
        "sizes, max entries, flags, pinning, initial values), global variables (type and initial value), externs, license and",
        "BTF summary of FILE."})
    static final class Show implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "A BPF object file.")
        Path file;

        @Option(names = {"-j", "--json"}, description = "Print JSON.")
        boolean json;

        @Option(names = {"-p", "--pretty"}, description = "Print human-readable (indented) JSON; implies -j.")
        boolean pretty;

        @Override
        public Integer call() throws IOException {
            ObjectSpec o = ObjectSpec.read(file);
            StringBuilder sb = new StringBuilder();
            if (json || pretty) {
                JsonWriter w = new JsonWriter(sb, pretty);
                json(o, w);
                w.finish();
            } else {
                text(o, sb);
            }
            spec.commandLine().getOut().append(sb).flush();
            return 0;
        }
    }

    @Command(name = "relocate", description = {
        "Apply the CO-RE relocations of FILE for a kernel and print libbpf's log lines for each one (the spec, the candidates,",
        "then 'patched insn' or 'substituting insn ... w/ invalid insn'), then a summary. Programs of SEC(\"?...\") sections",
        "are skipped, as libbpf skips programs that do not autoload."})
    static final class Relocate implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "A BPF object file.")
        Path file;

        @Option(names = "--target-btf", paramLabel = "BTF", description = "Target BTF file (raw BTF such as a saved vmlinux);"
                + " default: the running kernel's " + BtfCommand.VMLINUX + " and its modules.")
        Path targetBtf;

        @Override
        public Integer call() throws IOException {
            ObjectSpec o = ObjectSpec.read(file);
            PrintWriter out = spec.commandLine().getOut();
            CoreTarget target = targetBtf == null ? CoreTarget.kernel() : CoreTarget.read(targetBtf);
            ObjectSpec.Relocated r = o.relocate(target, out::println);
            long poisoned = r.decisions().stream().filter(d -> d.result().poison()).count();
            long changed = r.decisions().stream().filter(d -> !d.result().poison() && d.result().newValue() != d.result().originalValue())
                    .count();
            out.printf("%d CO-RE relocations: %d patched (%d changed), %d poisoned%n", r.decisions().size(),
                    r.decisions().size() - poisoned, changed, poisoned);
            out.flush();
            return 0;
        }
    }

    private static String attach(ProgramSpec p) {
        return p.attachType() == null ? "-" : p.attachType().name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String pinning(MapSpec m) {
        return m.pinning() == MapSpec.PIN_BY_NAME ? "by_name" : "none";
    }

    private static String extern(ExternSpec e) {
        return e.kind().name().toLowerCase(java.util.Locale.ROOT);
    }

    static void text(ObjectSpec o, StringBuilder sb) {
        sb.append("object ").append(o.name()).append(": license '").append(o.license()).append("', kernel version ")
                .append(o.kernelVersion()).append(", ").append(o.byteOrder().toString().toLowerCase(java.util.Locale.ROOT)).append('\n');
        o.btf().ifPresentOrElse(b -> sb.append("btf: ").append(b.typeCount() - 1).append(" types").append(o.btfExt().map(x -> ", ext: "
                + count(x.funcInfos()) + " func_info, " + count(x.lineInfos()) + " line_info, " + count(x.coreRelos()) + " core_relo")
                .orElse("")).append('\n'), () -> sb.append("btf: none\n"));
        sb.append("programs:\n");
        for (ProgramSpec p : o.programs()) {
            sb.append(String.format("  %s: section '%s', type %s, attach %s, target '%s', %d insns (%d slots)%s%s%n", p.name(),
                    p.sectionName(), p.type().bpftoolName(), attach(p), p.attachTarget(), p.instructions().size(), p.slotCount(),
                    p.flags() != 0 ? ", flags 0x" + Integer.toHexString(p.flags()) : "", p.autoload() ? "" : ", no autoload"));
        }
        if (!o.subprograms().isEmpty()) {
            sb.append("subprograms: ").append(String.join(", ", o.subprograms())).append('\n');
        }
        sb.append("maps:\n");
        for (MapSpec m : o.maps()) {
            sb.append(String.format("  %s: %s, key %d, value %d, max entries %d, flags 0x%x, pinning %s, from %s%s%s%n", m.name(),
                    m.type().bpftoolName(), m.keySize(), m.valueSize(), m.maxEntries(), m.flags(), pinning(m), m.sectionName(),
                    m.innerMap() == null ? "" : ", inner map " + m.innerMap().type().bpftoolName() + " key " + m.innerMap().keySize() + " value "
                            + m.innerMap().valueSize() + " max entries " + m.innerMap().maxEntries(), m.initialSlots().isEmpty() ? "" : ", values " + m.initialSlots()));
        }
        if (!o.variables().isEmpty()) {
            sb.append("variables:\n");
            for (VariableSpec v : o.variables()) {
                sb.append(String.format("  %s: %s in %s at %d, %d bytes%s = %s%n", v.name(), typeName(o, v.typeId()), v.map(), v.offset(),
                        v.size(), v.global() ? "" : " (static)", HexFormat.ofDelimiter(" ").formatHex(v.initialValue())));
            }
        }
        if (!o.externs().isEmpty()) {
            sb.append("externs:\n");
            for (ExternSpec e : o.externs()) {
                sb.append(String.format("  %s: %s%s%s%n", e.name(), extern(e), e.weak() ? ", weak" : "",
                        e.kind() == ExternSpec.Kind.KCONFIG ? ", offset " + e.offset() + ", " + e.size() + " bytes" : ""));
            }
        }
    }

    private static <T> int count(java.util.Map<String, List<T>> m) {
        return m.values().stream().mapToInt(List::size).sum();
    }

    /** A C-like name for a variable's type: {@code int}, {@code struct foo *}, {@code char[16]}, {@code const int}. */
    static String typeName(ObjectSpec o, int id) {
        Btf b = o.btf().orElse(null);
        if (b == null || id == 0) {
            return "void";
        }
        return switch (b.type(id)) {
            case BtfType.Ptr p -> typeName(o, p.type()) + " *";
            case BtfType.Array a -> typeName(o, a.type()) + "[" + Integer.toUnsignedLong(a.length()) + "]";
            case BtfType.Const c -> "const " + typeName(o, c.type());
            case BtfType.Volatile v -> "volatile " + typeName(o, v.type());
            case BtfType.Composite c -> (c instanceof BtfType.Union ? "union " : "struct ") + name(c.name());
            case BtfType.Enumeration e -> "enum " + name(e.name());
            case BtfType.Modifier m -> typeName(o, m.type());
            case BtfType t -> name(t.name());
        };
    }

    private static String name(String n) {
        return n.isEmpty() ? "(anon)" : n;
    }

    static void json(ObjectSpec o, JsonWriter w) {
        w.startObject().field("name", o.name()).field("license", o.license()).field("kernel_version", o.kernelVersion());
        w.name("btf_types").value(o.btf().map(b -> (long) b.typeCount() - 1).orElse(0L));
        w.name("programs").startArray();
        for (ProgramSpec p : o.programs()) {
            w.startObject().field("name", p.name()).field("section", p.sectionName()).field("type", p.type().bpftoolName())
                    .field("attach_type", attach(p)).field("attach_target", p.attachTarget()).field("insns", p.instructions().size())
                    .field("slots", p.slotCount()).field("flags", p.flags()).name("autoload").value(p.autoload()).endObject();
        }
        w.endArray().name("maps").startArray();
        for (MapSpec m : o.maps()) {
            w.startObject().field("name", m.name()).field("type", m.type().bpftoolName()).field("key_size", m.keySize())
                    .field("value_size", m.valueSize()).field("max_entries", m.maxEntries()).field("flags", m.flags())
                    .field("pinning", pinning(m)).field("section", m.sectionName());
            w.name("values").startArray();
            for (String s : m.initialSlots()) {
                w.value(s == null ? "" : s);
            }
            w.endArray().endObject();
        }
        w.endArray().name("variables").startArray();
        for (VariableSpec v : o.variables()) {
            w.startObject().field("name", v.name()).field("type", typeName(o, v.typeId())).field("map", v.map()).field("offset", v.offset())
                    .field("size", v.size()).name("global").value(v.global())
                    .field("value", HexFormat.of().formatHex(v.initialValue())).endObject();
        }
        w.endArray().name("externs").startArray();
        for (ExternSpec e : o.externs()) {
            w.startObject().field("name", e.name()).field("kind", extern(e)).name("weak").value(e.weak()).endObject();
        }
        w.endArray().endObject();
    }

    /** {@code bpf4j object disasm FILE}: llvm-objdump's disassembly, line for line. */
    @Command(
            name = "disasm",
            mixinStandardHelpOptions = true,
            description = {
                "Disassemble the code of a BPF object exactly as",
                "'llvm-objdump -d -r --no-show-raw-insn FILE' prints it: labels,",
                "instructions, branch targets, relocations. By default as LLVM 14 does,",
                "whose llvm-objdump predates ISA v4 and prints <unknown> where it cannot",
                "decode; --llvm 19 as llvm-objdump 19 does (hex immediates, ISA v4;",
                "its CO-RE relocation lines are not printed)."
            })
    static final class Disasm implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "BPF ELF object file")
        Path file;

        @Option(names = "--llvm", paramLabel = "VERSION", defaultValue = "14",
                description = "llvm-objdump release to reproduce: 14 (default) or 19")
        int llvm;

        @Override
        public Integer call() throws IOException {
            Objdump.Version version = switch (llvm) {
                case 14 -> Objdump.Version.LLVM_14;
                case 19 -> Objdump.Version.LLVM_19;
                default -> throw new CommandLine.ParameterException(spec.commandLine(),
                        "--llvm must be 14 or 19, not " + llvm);
            };
            String text = Objdump.disassemble(ElfFile.read(file), file.toString(), version);
            spec.commandLine().getOut().print(text);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
