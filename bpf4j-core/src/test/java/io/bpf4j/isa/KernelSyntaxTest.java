package io.bpf4j.isa;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.bpf4j.isa.Instruction.CallHelper;
import io.bpf4j.isa.Instruction.CallKfunc;
import io.bpf4j.isa.Instruction.CallLocal;
import io.bpf4j.isa.Instruction.LoadImm64;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Unit tests; the kernel oracle test is bpf4j-kernel's KernelSyntaxVerifierLogTest. */
class KernelSyntaxTest {

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
