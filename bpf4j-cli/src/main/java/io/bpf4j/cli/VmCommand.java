package io.bpf4j.cli;

import io.bpf4j.BpfFormatException;
import io.bpf4j.ProgramType;
import io.bpf4j.vm.Vm;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bpf4j vm ...}: bpf4j's userspace eBPF VM. */
@Command(
        name = "vm",
        description = "Run BPF programs in bpf4j's userspace VM (no kernel, no privileges).",
        mixinStandardHelpOptions = true,
        subcommands = {VmCommand.ConformancePlugin.class})
final class VmCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing vm command");
    }

    /** {@code bpf4j vm conformance-plugin [MEMORY]}: the plugin protocol of the bpf_conformance runner. */
    @Command(
            name = "conformance-plugin",
            mixinStandardHelpOptions = true,
            description = {
                "Run one program for the bpf_conformance suite's runner, as its plugins do:",
                "the program's bytes come as hex on standard input, the memory r1 points to",
                "as hex in the first argument (r2 holds its length), and r0 is printed in hex.",
                "A program the VM refuses or stops exits with status 1 and says why.",
                "Programs run compiled by the VM's JIT unless --engine interp says otherwise.",
                "The runner needs an executable that takes the memory first, which",
                "scripts/bpf4j-conformance-plugin is: bpf_conformance_runner",
                "  --test_file_directory tests --plugin_path scripts/bpf4j-conformance-plugin"
            })
    static final class ConformancePlugin implements Callable<Integer> {
        /** Where the program bytes come from; standard input unless a test sets it. */
        static InputStream input = System.in;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", arity = "0..1", paramLabel = "MEMORY",
                description = "memory for the program, as hex bytes (spaces allowed)")
        String memory;

        @Option(names = "--elf", description = "the runner's ELF mode: not supported, the VM takes raw instructions")
        boolean elf;

        @CommandLine.Mixin
        VmEngineOption engine;

        @Override
        public Integer call() throws IOException {
            if (elf) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--elf is not supported: run the suite without the runner's ELF option");
            }
            byte[] program = hex("standard input", new String(readAll(input), StandardCharsets.US_ASCII));
            byte[] mem = memory == null ? new byte[0] : hex("the memory argument", memory);
            try (Vm vm = engine.vm().build()) {
                long r0 = vm.load("conformance", ProgramType.UNSPEC, program).run(mem);
                spec.commandLine().getOut().println(Long.toHexString(r0));
                spec.commandLine().getOut().flush();
            }
            return 0;
        }

        private static byte[] readAll(InputStream in) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        }

        /** Bytes written as hex, in tokens of one or more whole bytes separated by white space. */
        static byte[] hex(String where, String text) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            String[] tokens = text.trim().isEmpty() ? new String[0] : text.trim().split("\\s+");
            for (int t = 0; t < tokens.length; t++) {
                String token = tokens[t];
                if (token.length() % 2 != 0 || !token.matches("[0-9a-fA-F]+")) {
                    throw new BpfFormatException(where + ": token " + (t + 1) + " '" + token
                            + "' is not a whole number of hex bytes");
                }
                for (int i = 0; i < token.length(); i += 2) {
                    out.write(Integer.parseInt(token, i, i + 2, 16));
                }
            }
            return out.toByteArray();
        }
    }
}
