package io.bpf4j.cli;

import io.bpf4j.elf.ElfFile;
import io.bpf4j.isa.Objdump;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bpf4j object ...}: offline inspection of BPF ELF object files. */
@Command(
        name = "object",
        description = "Inspect BPF ELF object files (clang -target bpf output) without loading them.",
        mixinStandardHelpOptions = true,
        subcommands = {ObjectCommand.Disasm.class})
final class ObjectCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing object command");
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
