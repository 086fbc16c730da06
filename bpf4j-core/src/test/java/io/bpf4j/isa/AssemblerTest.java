package io.bpf4j.isa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfFormatException;
import io.bpf4j.TestFiles;
import io.bpf4j.Tools;
import io.bpf4j.elf.ElfFile;
import io.bpf4j.isa.Instruction.Atomic;
import io.bpf4j.isa.Instruction.LoadImm64;
import io.bpf4j.isa.Instruction.LoadPacket;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AssemblerTest {

    @TempDir
    Path tmp;

    static List<Path> conformanceTests() throws IOException {
        try (Stream<Path> list = Files.list(TestFiles.conformance().resolve("tests"))) {
            return list.filter(p -> p.toString().endsWith(".data")).sorted().toList();
        }
    }

    /** All 313 programs of the suite assemble; where a test also gives raw bytes, they agree. */
    @Test
    void everyConformanceProgramAssembles() throws IOException {
        List<Path> tests = conformanceTests();
        assertEquals(313, tests.size(), "conformance tests found in " + TestFiles.conformance());
        int withRaw = 0;
        for (Path test : tests) {
            ConformanceCase c = ConformanceCase.parse(Files.readString(test));
            assertTrue(!c.asm().isEmpty(), test + " has no asm");
            List<Instruction> program = c.program();
            assertTrue(!program.isEmpty(), test + " assembled to nothing");
            assertEquals(program, Instructions.decode(Instructions.encode(program, ByteOrder.LITTLE_ENDIAN),
                    ByteOrder.LITTLE_ENDIAN), test + ": decode(encode(program))");
            assertTrue(c.result().isPresent() || c.error().isPresent(), test + " expects nothing");
            if (c.raw().length > 0) {
                assertArrayEquals(c.raw(), Instructions.encode(program, ByteOrder.LITTLE_ENDIAN), test.toString());
                withRaw++;
            }
        }
        assertTrue(withRaw >= 1, "no test with both asm and raw");
    }

    /**
     * The suite's assembler error cases fail with what is wrong and the line in the file. (The
     * other negative cases are valid programs with wrong expectations, or raw bytes with
     * unused fields set, which decoding rejects: see InstructionsTest.)
     */
    @Test
    void conformanceAssemblerErrorsSayWhatAndWhere() throws IOException {
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("invalid_imm32_dec_range.data", "line 5: immediate 2147483648 is out of 32-bit range");
        expected.put("invalid_imm32_hex_range.data", "line 5: immediate 0x100000000 is out of 32-bit range");
        expected.put("invalid_label.data", "line 4: invalid label 'NOT_A_LABEL': no such label");
        expected.put("invalid_lock.data", "line 4: invalid number of operands for lock: expected 'lock [fetch] OP [%rD+off], %rS'");
        expected.put("invalid_lock2.data", "line 4: invalid number of operands for lock: expected 'lock [fetch] OP [%rD+off], %rS'");
        expected.put("invalid_mnemonic.data", "line 5: invalid mnemonic 'ldxq'");
        expected.put("invalid_offset.data", "line 4: expected a memory operand like [%r1+8], got '%r1'");
        expected.put("invalid_offset_range.data", "line 5: offset +0x10000 is out of 16-bit range");
        expected.put("invalid_operand_count.data", "line 4: invalid number of operands for lddw: expected 2, got 1");
        expected.put("invalid_register.data", "line 4: invalid register '%r50' (registers are %r0 to %r10)");
        expected.put("invalid_unknown_directive.data", "line 4: unknown section '-- Unknown directive'");
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String text = Files.readString(TestFiles.conformance().resolve("negative").resolve(e.getKey()));
            BpfFormatException error = assertThrows(BpfFormatException.class,
                    () -> ConformanceCase.parse(text).program(), e.getKey());
            assertEquals(e.getValue(), error.getMessage(), e.getKey());
        }
    }

    @Test
    void syntax() {
        List<Instruction> program = Assembler.assemble("""
                # comment line
                start:  mov %r0, 0x10   # trailing comment
                lddw %r1, -1
                lddw %r2, 18446744073709551615
                ldxsh %r3, [%r10-2]
                stdw [%r10], -7
                stxb [%r1+0x7fff], %r2
                lock fetch or32 [%r1-4], %r2
                lock cmpxchg [%r1], %r3
                jset32 %r1, 0xffffffff, start
                ja32 start
                call local start
                call runtime 7
                call %r4
                ldabsb 3
                ldindw %r6, -1
                movsx1632 %r1, %r2
                neg32 %r1
                swap32 %r2
                exit
                """);
        List<Instruction> expected = List.of(
                new Instruction.AluImm(true, AluOp.MOV, 0, 16),
                new LoadImm64(1, -1L),
                new LoadImm64(2, -1L),
                new Instruction.Load(Size.H, true, 3, 10, (short) -2),
                new Instruction.StoreImm(Size.DW, 10, (short) 0, -7),
                new Instruction.Store(Size.B, 1, 2, (short) 0x7fff),
                new Atomic(Size.W, AtomicOp.FETCH_OR, 1, 2, (short) -4),
                new Atomic(Size.DW, AtomicOp.CMPXCHG, 1, 3, (short) 0),
                new Instruction.JumpImm(true, JumpOp.JSET, 1, -1, (short) -11),
                new Instruction.JumpLong(-12),
                new Instruction.CallLocal(-13),
                new Instruction.CallKfunc(7, (short) 0),
                new Instruction.CallIndirect(4),
                new LoadPacket(Size.B, false, 0, 3),
                new LoadPacket(Size.W, true, 6, -1),
                new Instruction.MoveSignExtend(false, 1, 2, Size.H),
                new Instruction.AluImm(false, AluOp.NEG, 1, 0),
                new Instruction.ByteSwap(Instruction.ByteSwap.Kind.BSWAP, 2, 32),
                new Instruction.Exit());
        assertEquals(expected, program);
    }

    @Test
    void errors() {
        assertAsmError("line 2: duplicate label 'a'", "a:\na:\nexit");
        assertAsmError("line 1: invalid call mode 'far': expected helper, local or runtime", "call far 1");
        assertAsmError("line 1: invalid atomic operation 'sub'", "lock sub [%r1], %r2");
        assertAsmError("line 1: expected 'fetch' after lock, got 'fletch'", "lock fletch add [%r1], %r2");
        assertAsmError("line 1: invalid immediate '12z'", "mov %r0, 12z");
        assertAsmError("line 1: invalid jump target '%r1': expected +N, -N or a label", "ja %r1");
        assertAsmError("line 1: offset -32769 is out of 16-bit range", "ja -32769");
        assertAsmError("line 1: immediate 0x10000000000000000 is out of 64-bit range", "lddw %r0, 0x10000000000000000");
        assertAsmError("line 1: invalid mnemonic 'movsx3232'", "movsx3232 %r0, %r1");
        assertAsmError("line 1: invalid mnemonic 'ldxsdw'", "ldxsdw %r0, [%r1]");
        assertAsmError("line 3: invalid label 'far': no such label", "exit\n\nja far");
    }

    private static void assertAsmError(String message, String source) {
        BpfFormatException e = assertThrows(BpfFormatException.class, () -> Assembler.assemble(source), source);
        assertEquals(message, e.getMessage(), source);
    }

    /**
     * LLVM's own assembler as the oracle for bpf4j's encoder and LLVM syntax: every conformance
     * program and every probe instruction, printed in LLVM syntax, assembled by llvm-mc-19,
     * gives the bytes bpf4j encodes.
     */
    @Test
    void llvmMcAssemblesOurLlvmSyntaxToOurBytes() throws IOException {
        Tools.require("llvm-mc-19");
        List<Instruction> all = new ArrayList<>(ObjdumpTest.probes());
        for (Path test : conformanceTests()) {
            all.addAll(ConformanceCase.parse(Files.readString(test)).program());
        }
        // LLVM 19 has no load-acquire/store-release; its syntax drops LD_IND's immediate;
        // llvm-mc cannot assemble 'ld_pseudo', nor gotol offsets beyond 16 bits.
        List<Instruction> comparable = all.stream().filter(i -> !(i instanceof Atomic a && !a.op().isReadModifyWrite())
                && !(i instanceof Instruction.JumpLong j && j.imm() != (short) j.imm())
                && !(i instanceof LoadPacket p && p.indirect() && p.imm() != 0)
                && !(i instanceof LoadImm64 ld && ld.source() != PseudoSource.NONE))
                // 'call N' does not tell helper, local and kfunc calls apart: llvm-mc makes helper calls
                .map(i -> i instanceof Instruction.CallLocal || i instanceof Instruction.CallKfunc
                        ? new Instruction.CallHelper(i.imm()) : i)
                .toList();
        StringBuilder source = new StringBuilder("\t.text\n");
        for (Instruction insn : comparable) {
            source.append('\t').append(LlvmSyntax.DECIMAL.format(insn)).append('\n');
        }
        Path asm = tmp.resolve("all.s");
        Path object = tmp.resolve("all.o");
        Files.writeString(asm, source);
        Tools.run(List.of("llvm-mc-19", "-triple", "bpfel", "-mcpu=v4", "-mattr=+alu32", "-filetype=obj", "-o",
                object.toString(), asm.toString()));
        byte[] expected = ElfFile.read(object).section(".text").orElseThrow().bytes();
        byte[] actual = Instructions.encode(comparable, ByteOrder.LITTLE_ENDIAN);
        List<Instruction> decoded = Instructions.decode(expected, ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < Math.min(decoded.size(), comparable.size()); i++) {
            assertEquals(comparable.get(i), decoded.get(i), "instruction " + i + ": " + LlvmSyntax.DECIMAL.format(comparable.get(i)));
        }
        assertArrayEquals(expected, actual);
    }
}
