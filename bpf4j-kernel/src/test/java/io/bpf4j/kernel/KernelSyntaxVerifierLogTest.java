package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.bpf4j.elf.ElfFile;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.Instructions;
import io.bpf4j.isa.KernelSyntax;
import io.bpf4j.isa.SlotMap;
import io.bpf4j.kernel.testing.KernelTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@link KernelSyntax} against the running kernel's own disassembler: bpftool loads testdata
 * objects that need no relocation (so the kernel sees the bytes of the ELF section) with the
 * verifier's full log, which prints every instruction it visits in the kernel's syntax.
 */
@KernelTest
class KernelSyntaxVerifierLogTest {
    private static final Path TESTDATA = Path.of(System.getProperty("bpf4j.repo.root", "..")).resolve("testdata");

    @Test
    void sameAsTheVerifierLog() throws IOException {
        boolean bpftool = Files.isExecutable(Path.of("/usr/sbin/bpftool")) || Files.isExecutable(Path.of("/usr/bin/bpftool"));
        if (!bpftool) {
            System.out.println("SKIPPED: bpftool is not installed, so the verifier log cannot be had");
        }
        Assumptions.assumeTrue(bpftool, "bpftool is not installed");
        for (String name : List.of("kernel_syntax.bpf.o", "legacy.bpf.o")) {
            Path object = TESTDATA.resolve(name);
            ElfFile elf = ElfFile.read(object);
            List<Instruction> program = Instructions.decode(elf.section("socket").orElseThrow().bytes(), elf.byteOrder());
            SlotMap slots = SlotMap.of(program);
            TreeMap<Integer, String> logged = verifierLog(object);
            for (var line : logged.entrySet()) {
                int index = slots.index(line.getKey());
                assertTrue(index >= 0, name + ": the verifier logged slot " + line.getKey() + ", where no instruction starts");
                assertEquals(line.getValue(), KernelSyntax.format(program.get(index)), name + " slot " + line.getKey());
            }
            if (name.startsWith("kernel_syntax")) {
                assertEquals(program.size(), logged.size(), name + ": instructions the verifier visited");
            }
        }
    }

    private static TreeMap<Integer, String> verifierLog(Path object) {
        Path pin = Path.of("/sys/fs/bpf", "bpf4j_test_" + ProcessHandle.current().pid() + "_" + System.nanoTime());
        String log;
        try {
            Process p = new ProcessBuilder("bpftool", "-d", "prog", "load", object.toString(), pin.toString())
                    .redirectErrorStream(true).start();
            log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                fail("bpftool prog load " + object + " failed:\n" + log);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            try {
                Files.deleteIfExists(pin);
            } catch (IOException e) {
                System.out.println("could not remove " + pin + ": " + e);
            }
        }
        Pattern line = Pattern.compile("^(\\d+): (\\([0-9a-f]{2}\\) .*?)(\\s+; .*)?$", Pattern.MULTILINE);
        TreeMap<Integer, String> out = new TreeMap<>();
        Matcher m = line.matcher(log);
        while (m.find()) {
            String previous = out.put(Integer.parseInt(m.group(1)), m.group(2));
            if (previous != null && !previous.equals(m.group(2))) {
                fail("the verifier printed slot " + m.group(1) + " two ways: " + previous + " / " + m.group(2));
            }
        }
        assertTrue(!out.isEmpty(), "no instructions in the verifier log of " + object + ":\n" + log);
        return out;
    }
}
