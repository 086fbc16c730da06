package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfException;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfKind;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

class UsdtProbeTest {
    private static final int EM_X86_64 = 62;

    @Test
    void parsesEveryArgumentForm() {
        assertEquals(List.of(
                new UsdtProbe.Register(8, false, "r13", 16),
                new UsdtProbe.Register(4, true, "r14d", 8),
                new UsdtProbe.Memory(8, true, "rbp", 32, -64),
                new UsdtProbe.Memory(8, false, "rdi", 112, 152),
                new UsdtProbe.Register(1, false, "al", 80),
                new UsdtProbe.Constant(4, true, -1),
                new UsdtProbe.Memory(2, false, "rax", 80, 0)),
                UsdtProbe.parseArguments("8@%r13 -4@%r14d -8@-64(%rbp) 8@152(%rdi) 1@%al -4@$-1 2@(%rax)", EM_X86_64));
        assertEquals(List.of(), UsdtProbe.parseArguments("", EM_X86_64));
    }

    @Test
    void badArgumentsAreNamed() {
        var e = assertThrows(BpfException.class, () -> UsdtProbe.parseArguments("8@%rax 3@%rbx", EM_X86_64));
        assertTrue(e.getMessage().contains("size 3"), e.getMessage());
        e = assertThrows(BpfException.class, () -> UsdtProbe.parseArguments("8@%xmm0", EM_X86_64));
        assertTrue(e.getMessage().contains("unknown register %xmm0"), e.getMessage());
        e = assertThrows(BpfException.class, () -> UsdtProbe.parseArguments("8@0(%rax,%rbx,8)", EM_X86_64));
        assertTrue(e.getMessage().contains("unsupported USDT argument"), e.getMessage());
        assertThrows(BpfException.class, () -> UsdtProbe.parseArguments("8@%x0", 183));
    }

    @Test
    void registerOffsetsAreTheKernelsPtRegs() {
        // The oracle: struct pt_regs as the running kernel's BTF lays it out.
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(VmlinuxBtf.PATH), "no kernel BTF");
        Btf btf = VmlinuxBtf.get();
        int ptRegs = btf.findId("pt_regs", BtfKind.STRUCT).orElseThrow();
        String[][] names = {{"r15", "r15"}, {"r14", "r14d"}, {"r13", "r13w"}, {"r12", "r12b"}, {"bp", "ebp"}, {"bx", "bl"},
            {"r11", "r11"}, {"r10", "r10d"}, {"r9", "r9"}, {"r8", "r8d"}, {"ax", "eax"}, {"cx", "cl"}, {"dx", "rdx"},
            {"si", "sil"}, {"di", "dil"}, {"ip", "rip"}, {"sp", "rsp"}};
        for (String[] n : names) {
            long bits = btf.member(ptRegs, n[0]).orElseThrow().bitOffset();
            UsdtProbe.Register r = (UsdtProbe.Register) UsdtProbe.parseArguments("8@%" + n[1], EM_X86_64).getFirst();
            assertEquals(bits / 8, r.ptRegsOffset(), n[1]);
        }
    }

    @Test
    void pmuFormats() {
        assertEquals(0, PerfPmu.parseFirstBit("config:0\n"));
        assertEquals(32, PerfPmu.parseFirstBit("config:32-63"));
        assertThrows(NumberFormatException.class, () -> PerfPmu.parseFirstBit("config1:0-63"));
    }
}
