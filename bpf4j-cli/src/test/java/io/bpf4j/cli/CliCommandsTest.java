package io.bpf4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.isa.ConformanceCase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bpf4j asm} and {@code bpf4j object disasm} through {@link Main#execute}. */
class CliCommandsTest {
    private static final Path ROOT = Path.of(System.getProperty("bpf4j.repo.root", "..")).toAbsolutePath().normalize();
    private static final Path CONFORMANCE = ROOT.resolve("../shared/conformance").normalize();

    @TempDir
    Path tmp;

    @Test
    void objectDisasmPrintsWhatLlvmObjdumpPrints() throws IOException, InterruptedException {
        String object = ROOT.resolve("testdata/xdp_counter.bpf.o").toString();
        CliRun r = CliRun.of("object", "disasm", object);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("<count_packets>:"), r.out());
        boolean present = Files.isExecutable(Path.of("/usr/bin/llvm-objdump"));
        if (!present) {
            System.out.println("SKIPPED: llvm-objdump is not installed, so the comparison cannot run");
        }
        Assumptions.assumeTrue(present);
        Process p = new ProcessBuilder("llvm-objdump", "-d", "-r", "--no-show-raw-insn", object).start();
        String expected = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor());
        assertEquals(expected, r.out());
    }

    @Test
    void objectDisasmErrors() throws IOException {
        CliRun missing = CliRun.of("object", "disasm", "no/such/file.o");
        assertEquals(1, missing.code());
        assertEquals("Error: no such file: no/such/file.o\n", missing.err());

        Path text = Files.writeString(tmp.resolve("notes.txt"), "hello, not ELF");
        CliRun notElf = CliRun.of("object", "disasm", text.toString());
        assertEquals(1, notElf.code());
        assertEquals("Error: " + text + ": file is 14 bytes, shorter than an ELF64 header (64)\n", notElf.err());

        CliRun badVersion = CliRun.of("object", "disasm", "--llvm", "15", "x.o");
        assertEquals(2, badVersion.code());
        assertTrue(badVersion.err().startsWith("Error: --llvm must be 14 or 19, not 15\nUsage: bpf4j object disasm"),
                badVersion.err());

        CliRun noFile = CliRun.of("object", "disasm");
        assertEquals(2, noFile.code());
        assertTrue(noFile.err().startsWith("Error: Missing required parameter: 'FILE'"), noFile.err());
    }

    @Test
    void asmWritesBytecodeAndHex() throws IOException {
        // lddw.data gives both the assembly and the expected bytes.
        Path test = CONFORMANCE.resolve("tests/lddw.data");
        byte[] expected = ConformanceCase.parse(Files.readString(test)).raw();
        assertEquals(24, expected.length);

        Path out = tmp.resolve("lddw.bin");
        CliRun written = CliRun.of("asm", test.toString(), "-o", out.toString());
        assertEquals(0, written.code(), written.err());
        assertEquals("", written.out());
        assertArrayEquals(expected, Files.readAllBytes(out));

        CliRun hex = CliRun.of("asm", "--hex", test.toString());
        assertEquals(0, hex.code(), hex.err());
        HexFormat f = HexFormat.ofDelimiter(" ");
        assertEquals(f.formatHex(expected, 0, 8) + "\n" + f.formatHex(expected, 8, 16) + "\n" + f.formatHex(expected, 16, 24)
                + "\n", hex.out());

        Path source = Files.writeString(tmp.resolve("prog.s"), "mov32 %r0, 7\nexit\n");
        CliRun plain = CliRun.of("asm", source.toString(), "--hex");
        assertEquals("b4 00 00 00 07 00 00 00\n95 00 00 00 00 00 00 00\n", plain.out());
    }

    @Test
    void asmErrors() throws IOException {
        Path bad = CONFORMANCE.resolve("negative/invalid_register.data");
        CliRun error = CliRun.of("asm", bad.toString(), "--hex");
        assertEquals(1, error.code());
        assertEquals("Error: " + bad + ": line 4: invalid register '%r50' (registers are %r0 to %r10)\n", error.err());

        CliRun nowhere = CliRun.of("asm", bad.toString());
        assertEquals(2, nowhere.code());
        assertTrue(nowhere.err().startsWith("Error: say where the bytecode goes"), nowhere.err());
    }
}
