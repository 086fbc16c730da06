package io.bpf4j.isa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.bpf4j.TestFiles;
import io.bpf4j.Tools;
import io.bpf4j.elf.ElfFile;
import io.bpf4j.elf.ElfSection;
import io.bpf4j.isa.Instruction.CallHelper;
import io.bpf4j.isa.Instruction.CallKfunc;
import io.bpf4j.isa.Instruction.CallLocal;
import io.bpf4j.isa.Instruction.LoadImm64;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class KernelSyntaxTest {

    /**
     * The running kernel's verifier log as the oracle: bpftool loads the objects (they need no
     * relocation, so the kernel sees the bytes of the ELF section) with the verifier's full log,
     * which prints every instruction it visits in the kernel's syntax.
     */
    @Test
    @Tag("kernel")
    void sameAsTheVerifierLog() throws IOException {
        requireKernel();
        for (String name : List.of("kernel_syntax.bpf.o", "legacy.bpf.o")) {
            Path object = TestFiles.testdata().resolve(name);
            ElfFile elf = ElfFile.read(object);
            ElfSection code = elf.section("socket").orElseThrow();
            List<Instruction> program = Instructions.decode(code.bytes(), elf.byteOrder());
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
            log = runMerged(List.of("bpftool", "-d", "prog", "load", object.toString(), pin.toString()));
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

    private static String runMerged(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                fail(command + " failed:\n" + out);
            }
            return out;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Runs where BPF can be loaded: as root, with bpftool and bpffs. With BPF4J_REQUIRE_KERNEL=1, fails otherwise. */
    private static void requireKernel() throws IOException {
        String why = null;
        if (Tools.find("bpftool").isEmpty()) {
            why = "bpftool is not installed";
        } else if (!Files.readString(Path.of("/proc/self/status")).matches("(?s).*\\nUid:\\s+0\\s.*")) {
            why = "not running as root";
        } else if (!Files.isWritable(Path.of("/sys/fs/bpf"))) {
            why = "bpffs is not mounted at /sys/fs/bpf";
        }
        if (why != null) {
            if ("1".equals(System.getenv("BPF4J_REQUIRE_KERNEL"))) {
                fail("kernel test cannot run: " + why);
            }
            System.out.println("SKIPPED: kernel test: " + why);
            Assumptions.abort(why);
        }
    }

    @Test
    void formatsLikeTheKernel() {
        assertEquals("(b7) r0 = 0", KernelSyntax.format(new Instruction.AluImm(true, AluOp.MOV, 0, 0)));
        assertEquals("(85) call bpf_map_lookup_elem#1", KernelSyntax.format(new CallHelper(1)));
        assertEquals("(85) call unknown#99999", KernelSyntax.format(new CallHelper(99999)));
        assertEquals("(85) call pc+5", KernelSyntax.format(new CallLocal(5)));
        assertEquals("(85) call kernel-function#77", KernelSyntax.format(new CallKfunc(77, (short) 0)));
        assertEquals("(18) r1 = 0xffffffffffffffff", KernelSyntax.format(new LoadImm64(1, -1L)));
        assertEquals("(15) if r1 == 0xffffffff goto pc-3",
                KernelSyntax.format(new Instruction.JumpImm(false, JumpOp.JEQ, 1, -1, (short) -3)));
        assertEquals("(06) gotol pc+100000", KernelSyntax.format(new Instruction.JumpLong(100000)));
        assertEquals("(bf) r1 = addr_space_cast(r2, 1, 0)", KernelSyntax.format(new Instruction.AddressSpaceCast(1, 2, 1, 0)));
    }

    @Test
    void symbolizerNamesWhatTheKernelResolves() {
        KernelSyntax.Symbolizer symbols = new KernelSyntax.Symbolizer() {
            @Override
            public Optional<String> call(Instruction call) {
                return Optional.of(call instanceof CallLocal ? "+5#bpf_prog_1234_helper" : "htab_map_lookup_elem");
            }

            @Override
            public Optional<String> imm(LoadImm64 load) {
                return Optional.of("map[id:12]");
            }
        };
        assertEquals("(85) call bpf_map_lookup_elem#1", KernelSyntax.format(new CallHelper(1), symbols));
        assertEquals("(85) call htab_map_lookup_elem#123456", KernelSyntax.format(new CallHelper(123456), symbols));
        assertEquals("(85) call pc+5#bpf_prog_1234_helper", KernelSyntax.format(new CallLocal(5), symbols));
        assertEquals("(18) r1 = map[id:12]", KernelSyntax.format(new LoadImm64(1, PseudoSource.MAP_FD, 3), symbols));
    }

    @Test
    void programLinesNumberSlotsLikeBpftool() {
        List<Instruction> program = new ArrayList<>();
        program.add(new LoadImm64(1, 7));
        for (int i = 0; i < 1000; i++) {
            program.add(new Instruction.Exit());
        }
        List<String> lines = KernelSyntax.formatProgram(program);
        assertEquals("   0: (18) r1 = 0x7", lines.get(0));
        assertEquals("   2: (95) exit", lines.get(1));
        assertEquals(" 999: (95) exit", lines.get(998));
        assertEquals(" 1000: (95) exit", lines.get(999));
    }
}
