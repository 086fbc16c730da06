package io.bpf4j.cli;

import io.bpf4j.BpfFormatException;
import io.bpf4j.isa.Assembler;
import io.bpf4j.isa.ConformanceCase;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.Instructions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bpf4j asm FILE}: assembles the bpf_conformance syntax into bytecode. */
@Command(
        name = "asm",
        mixinStandardHelpOptions = true,
        description = {
            "Assemble eBPF in the bpf_conformance syntax into little-endian bytecode.",
            "Lines like:  mov %%r0, 1 / ldxw %%r1, [%%r2+4] / lock add [%%r10-8], %%r1 / jne %%r0, 0, done",
            "FILE is assembly, or a conformance test (.data) whose '-- asm' section",
            "(else '-- raw') is used. Errors name the line."
        })
final class AsmCommand implements Callable<Integer> {
    private static final Pattern SECTION = Pattern.compile("(?m)^\\s*--\\s*(asm|raw)\\s*$");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "assembly source or conformance .data file")
    Path file;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "write the bytecode (or, with --hex, the hex text) to OUT")
    Path output;

    @Option(names = "--hex", description = "hex text, one 8-byte instruction slot per line, instead of raw bytes; "
            + "to standard output unless -o is given")
    boolean hex;

    @Override
    public Integer call() throws IOException {
        if (output == null && !hex) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "say where the bytecode goes: -o OUT, or --hex for hex text on standard output");
        }
        String text = Files.readString(file);
        ConformanceCase parsed = SECTION.matcher(text).find() ? ConformanceCase.parse(text) : null;
        List<Instruction> program;
        try {
            program = parsed != null ? parsed.program() : Assembler.assemble(text);
        } catch (BpfFormatException e) {
            throw new BpfFormatException(file + ": " + e.getMessage(), e);
        }
        byte[] code = Instructions.encode(program, ByteOrder.LITTLE_ENDIAN);
        if (!hex) {
            Files.write(output, code);
            return 0;
        }
        StringBuilder lines = new StringBuilder();
        HexFormat format = HexFormat.ofDelimiter(" ");
        for (int i = 0; i < code.length; i += Instructions.SLOT_SIZE) {
            lines.append(format.formatHex(code, i, i + Instructions.SLOT_SIZE)).append('\n');
        }
        if (output != null) {
            Files.writeString(output, lines);
        } else {
            PrintWriter out = spec.commandLine().getOut();
            out.print(lines);
            out.flush();
        }
        return 0;
    }
}
