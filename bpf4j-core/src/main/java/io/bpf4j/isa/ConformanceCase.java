package io.bpf4j.isa;

import io.bpf4j.BpfFormatException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One test of the bpf_conformance suite ({@code tests/*.data}): sections introduced by
 * {@code -- asm}, {@code -- raw} (64-bit little-endian instruction words), {@code -- mem} (hex
 * bytes given to the program in r1, their length in r2), {@code -- result} (the expected r0) or
 * {@code -- error}; {@code -- c} and {@code -- no register offset} sections are ignored, and
 * {@code #} starts a comment.
 *
 * <pre>{@code
 * ConformanceCase test = ConformanceCase.parse(Files.readString(path));
 * List<Instruction> program = test.program();
 * long expected = test.result().orElseThrow();
 * }</pre>
 *
 * @param asm the assembly, with every line that is not part of it blanked, so that
 *     {@link Assembler} errors give the line number in the file; empty if there is none
 * @param raw the {@code -- raw} instruction bytes, or empty
 * @param memory the {@code -- mem} bytes, or empty
 * @param result the expected return value, if given
 * @param error the expected error text, if an error is expected
 */
public record ConformanceCase(String asm, byte[] raw, byte[] memory, OptionalLong result, Optional<String> error) {

    private enum Section { NONE, ASM, RAW, MEM, RESULT, ERROR, IGNORED }

    /** Parses the text of a {@code .data} file. */
    public static ConformanceCase parse(String text) {
        String[] lines = text.split("\r?\n", -1);
        StringBuilder asm = new StringBuilder();
        StringBuilder raw = new StringBuilder();
        StringBuilder mem = new StringBuilder();
        String result = null;
        String error = null;
        boolean hasAsm = false;
        Section section = Section.NONE;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int comment = line.indexOf('#');
            String content = (comment >= 0 ? line.substring(0, comment) : line).strip();
            if (content.startsWith("--")) {
                String name = content.substring(2).strip();
                section = switch (name) {
                    case "asm" -> Section.ASM;
                    case "raw" -> Section.RAW;
                    case "mem" -> Section.MEM;
                    case "result" -> Section.RESULT;
                    case "error" -> Section.ERROR;
                    case "c", "no register offset" -> Section.IGNORED;
                    default -> throw new BpfFormatException("line " + (i + 1) + ": unknown section '" + content + "'");
                };
                hasAsm |= section == Section.ASM;
                if (section == Section.ERROR && error == null) {
                    error = "";
                }
                asm.append('\n');
                continue;
            }
            asm.append(section == Section.ASM ? line : "").append('\n');
            if (content.isEmpty()) {
                continue;
            }
            switch (section) {
                case RAW -> raw.append(' ').append(content);
                case MEM -> mem.append(' ').append(content);
                case RESULT -> result = content;
                case ERROR -> error = content;
                default -> { }
            }
        }
        return new ConformanceCase(hasAsm ? asm.toString() : "", rawBytes(raw.toString()), hexBytes(mem.toString()),
                result == null ? OptionalLong.empty() : OptionalLong.of(number(result)), Optional.ofNullable(error));
    }

    /** The program: the assembled {@code -- asm} section, else the decoded {@code -- raw} one. */
    public List<Instruction> program() {
        if (!asm.isEmpty()) {
            return Assembler.assemble(asm);
        }
        return Instructions.decode(raw, ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public byte[] raw() {
        return raw.clone();
    }

    @Override
    public byte[] memory() {
        return memory.clone();
    }

    private static byte[] rawBytes(String words) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String word : words.strip().split("\\s+")) {
            if (!word.isEmpty()) {
                out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(number(word)).array());
            }
        }
        return out.toByteArray();
    }

    private static byte[] hexBytes(String text) {
        String hex = text.replaceAll("\\s+", "");
        try {
            return HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException e) {
            throw new BpfFormatException("-- mem: not hex bytes: " + text.strip());
        }
    }

    private static long number(String text) {
        try {
            return text.toLowerCase(java.util.Locale.ROOT).startsWith("0x")
                    ? Long.parseUnsignedLong(text.substring(2), 16) : Long.parseUnsignedLong(text);
        } catch (NumberFormatException e) {
            throw new BpfFormatException("not a number: " + text);
        }
    }
}
