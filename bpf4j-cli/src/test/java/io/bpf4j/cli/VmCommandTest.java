package io.bpf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.isa.ConformanceCase;
import io.bpf4j.isa.Instructions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VmCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @AfterEach
    void restoreInput() {
        VmCommand.ConformancePlugin.input = System.in;
    }

    private int plugin(String stdin, String... args) {
        VmCommand.ConformancePlugin.input = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.US_ASCII));
        String[] all = new String[args.length + 2];
        all[0] = "vm";
        all[1] = "conformance-plugin";
        System.arraycopy(args, 0, all, 2, args.length);
        return Main.execute(all, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    @Test
    void runsTheProgramOnTheMemoryAndPrintsR0InHex() {
        // ldxh r0, [r1+2]; add r0, r2; exit -- in the runner's format: two spaces after each byte
        String program = "69  10  02  00  00  00  00  00  0f  20  00  00  00  00  00  00  95  00  00  00  00  00  00  00  ";
        assertEquals(0, plugin(program, "11  22  33  44  "));
        assertEquals(Long.toHexString(0x4433 + 4) + System.lineSeparator(), out.toString());
    }

    /** The runner's encoding: each byte as two hex digits followed by two spaces. */
    private static String runnerHex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(String.format("%02x  ", b & 0xff));
        }
        return sb.toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {"jit", "interp"})
    void passesTheWholeConformanceSuiteThroughThePluginProtocol(String engine) throws IOException {
        Path tests = Path.of(System.getProperty("bpf4j.repo.root", ".")).resolve("../shared/conformance/tests");
        List<String> failed = new ArrayList<>();
        int count = 0;
        try (Stream<Path> files = Files.list(tests)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".data")).sorted().toList()) {
                ConformanceCase c = ConformanceCase.parse(Files.readString(file));
                String program = runnerHex(Instructions.encode(c.program(), ByteOrder.LITTLE_ENDIAN));
                out.getBuffer().setLength(0);
                int status = c.memory().length == 0 ? plugin(program, "--engine", engine)
                        : plugin(program, "--engine", engine, runnerHex(c.memory()));
                long r0 = status == 0 ? Long.parseUnsignedLong(out.toString().trim(), 16) : -1;
                if (status != 0 || r0 != c.result().orElseThrow()) {
                    failed.add(file.getFileName() + " (status " + status + ", output " + out.toString().trim() + ")");
                }
                count++;
            }
        }
        assertEquals(313, count);
        assertEquals(List.of(), failed);
    }

    @Test
    void withoutMemoryR1IsNull() {
        assertEquals(0, plugin("bf 10 00 00 00 00 00 00 95 00 00 00 00 00 00 00"));
        assertEquals("0", out.toString().trim());
    }

    @Test
    void aFaultExitsWithStatusOneAndSaysWhere() {
        assertEquals(1, plugin("79 10 00 00 00 00 00 00 95 00 00 00 00 00 00 00", "01 02"));
        assertTrue(err.toString().startsWith("Error: pc 0 (r0 = *(u64 *)(r1 + 0)): read of 8 bytes"), err.toString());
    }

    @Test
    void badHexNamesTheToken() {
        assertEquals(1, plugin("95 00 0g"));
        assertEquals("Error: standard input: token 3 '0g' is not a whole number of hex bytes", err.toString().trim());
    }

    @Test
    void anUnknownEngineIsAUsageError() {
        assertEquals(2, plugin("95 00 00 00 00 00 00 00", "--engine", "fast"));
        assertTrue(err.toString().contains("'fast' is not jit or interp"), err.toString());
    }

    @Test
    void elfModeIsAUsageError() {
        assertEquals(2, plugin("", "--elf"));
        assertTrue(err.toString().startsWith("Error: --elf is not supported"), err.toString());
    }
}
