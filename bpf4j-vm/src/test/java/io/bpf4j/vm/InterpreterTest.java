package io.bpf4j.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.ProgramType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Behaviour the conformance suite does not reach (frames, limits, faults), in each engine. */
@ParameterizedClass(name = "{0}")
@EnumSource(Vm.Engine.class)
class InterpreterTest {
    private final Vm.Engine engine;
    private final Vm vm;

    private long run(Asm asm, byte[] memory) {
        return vm.load("t", ProgramType.UNSPEC, asm.bytes()).run(memory);
    }

    InterpreterTest(Vm.Engine engine) {
        this.engine = engine;
        this.vm = Vm.builder().engine(engine).instructionBudget(1_000_000).build();
    }

    @Test
    void memoryPointerAndLengthArriveInR1AndR2() {
        byte[] mem = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        Asm p = Asm.program().ldx(Asm.W, 0, 1, 4).alu64Reg(Asm.ADD, 0, 2).exit();
        assertEquals(0x08070605L + 9, run(p, mem));
    }

    @Test
    void storesReachTheCallersMemory() {
        byte[] mem = new byte[8];
        run(Asm.program().st(Asm.DW, 1, 0, -2).mov(0, 0).exit(), mem);
        assertEquals(-2L, Memory.getLong(mem, 0));
    }

    @Test
    void eachCallGetsItsOwnStackFrame() {
        // main: [r10-8] = 7; call f; r0 += [r10-8]; exit   f: [r10-8] = 100; r0 = [r10-8]; exit
        Asm p = Asm.program()
                .st(Asm.DW, 10, -8, 7)
                .callLocal(3)
                .ldx(Asm.DW, 1, 10, -8)
                .alu64Reg(Asm.ADD, 0, 1)
                .exit()
                .st(Asm.DW, 10, -8, 100)
                .ldx(Asm.DW, 0, 10, -8)
                .exit();
        assertEquals(107, run(p, new byte[0]));
    }

    @Test
    void callDepthStopsAtTheKernelsEightFrames() {
        Asm p = Asm.program().callLocal(-1).exit(); // calls itself forever
        VmException e = assertThrows(VmException.class, () -> run(p, new byte[0]));
        assertEquals(VmException.Kind.CALL_DEPTH, e.kind());
        assertEquals(0, e.pc());
        assertTrue(e.getMessage().contains("frame 9"), e.getMessage());
    }

    @Test
    void sevenNestedCallsAreAllowed() {
        Asm p = Asm.program();
        for (int i = 0; i < 7; i++) {
            p.callLocal(1).exit();
        }
        p.mov(0, 42).exit();
        assertEquals(42, run(p, new byte[0]));
    }

    @Test
    void endlessLoopRunsOutOfBudget() {
        VmException e = assertThrows(VmException.class, () -> run(Asm.program().ja(-1).exit(), new byte[0]));
        assertEquals(VmException.Kind.INSTRUCTION_BUDGET, e.kind());
    }

    @Test
    void outOfBoundsReadNamesPcInstructionAndAddress() {
        Asm p = Asm.program().mov(0, 0).ldx(Asm.W, 0, 1, 6).exit();
        VmException e = assertThrows(VmException.class, () -> run(p, new byte[8]));
        assertEquals(VmException.Kind.MEMORY, e.kind());
        assertEquals(1, e.pc());
        assertEquals("r0 = *(u32 *)(r1 + 6)", e.instruction());
        assertEquals(Memory.address(Memory.INPUT, 6), e.address().orElseThrow());
        assertTrue(e.getMessage().contains("input memory (valid offsets 0..7)"), e.getMessage());
    }

    @Test
    void nullPointerFaults() {
        VmException e = assertThrows(VmException.class,
                () -> run(Asm.program().mov(1, 0).ldx(Asm.B, 0, 1, 0).exit(), new byte[0]));
        assertTrue(e.what().contains("NULL"), e.what());
    }

    @Test
    void stackBelowFrameFaults() {
        VmException e = assertThrows(VmException.class,
                () -> run(Asm.program().st(Asm.DW, 10, -520, 1).mov(0, 0).exit(), new byte[0]));
        assertEquals(VmException.Kind.MEMORY, e.kind());
        assertTrue(e.what().contains("stack frame 0"), e.what());
    }

    @Test
    void writesPastAMapValueAndIntoReadOnlyDataFault() {
        VmMap values = vm.createMap(VmMapSpec.of("values", io.bpf4j.MapType.ARRAY, 4, 8, 2));
        VmMap rodata = vm.createMap(VmMapSpec.of("ro", io.bpf4j.MapType.ARRAY, 4, 8, 1).withFlags(VmMap.F_RDONLY_PROG));
        // r0 = lookup(values, &1); *(u64 *)(r0 + 8) = 1: one past the last element
        Asm past = Asm.program().st(Asm.W, 10, -4, 1).map(1, values).movReg(2, 10).alu64(Asm.ADD, 2, -4).call(1)
                .jmp(Asm.JEQ, 0, 0, 1).st(Asm.DW, 0, 8, 1).mov(0, 0).exit();
        VmException e = assertThrows(VmException.class, () -> run(past, new byte[0]));
        assertEquals(VmException.Kind.MEMORY, e.kind());
        assertTrue(e.what().contains("values of map 'values' (valid offsets 0..15)"), e.what());
        // r1 = &ro[0] (a direct value address, as .rodata is reached); *(u32 *)r1 = 1
        Asm readOnly = Asm.program().lddw(1, 2, rodata.fd()).st(Asm.W, 1, 0, 1).mov(0, 0).exit();
        VmException ro = assertThrows(VmException.class, () -> run(readOnly, new byte[0]));
        assertTrue(ro.what().startsWith("write to read-only of 4 bytes"), ro.what());
    }

    @Test
    void mayGotoFallsThroughUntilTheBudgetIsSpentThenJumps() {
        // r0 = 0; loop: may_goto +2; r0 += 1; ja loop; exit
        Asm p = Asm.program().mov(0, 0).raw(0xe5, 0, 0, 2, 0).alu64(Asm.ADD, 0, 1).ja(-3).exit();
        Vm big = Vm.builder().engine(engine).instructionBudget(100_000_000).build();
        assertEquals(Interpreter.MAY_GOTO_BUDGET, big.load("t", ProgramType.UNSPEC, p.bytes()).run(new byte[0]));
    }

    @Test
    void loadRejectsReservedFieldsAndWildJumps() {
        VmException reserved = assertThrows(VmException.class,
                () -> vm.load("t", ProgramType.UNSPEC, Asm.program().raw(0x07, 0, 0, 1, 1).exit().bytes()));
        assertEquals(VmException.Kind.INVALID_PROGRAM, reserved.kind());
        assertEquals(0, reserved.pc());
        VmException wild = assertThrows(VmException.class,
                () -> vm.load("t", ProgramType.UNSPEC, Asm.program().ja(5).exit().bytes()));
        assertTrue(wild.what().contains("outside the program"), wild.what());
        VmException fp = assertThrows(VmException.class,
                () -> vm.load("t", ProgramType.UNSPEC, Asm.program().mov(10, 0).exit().bytes()));
        assertTrue(fp.what().contains("frame pointer"), fp.what());
        VmException helper = assertThrows(VmException.class,
                () -> vm.load("t", ProgramType.UNSPEC, Asm.program().call(100_000).exit().bytes()));
        assertTrue(helper.what().contains("helper id 100000"), helper.what());
        VmException fallOff = assertThrows(VmException.class,
                () -> vm.load("t", ProgramType.UNSPEC, Asm.program().mov(0, 0).bytes()));
        assertTrue(fallOff.what().contains("run past the end"), fallOff.what());
    }

    @Test
    void jumpIntoTheMiddleOfLddwIsRefused() {
        VmException e = assertThrows(VmException.class,
                () -> vm.load("t", ProgramType.UNSPEC, Asm.program().ja(1).lddw(0, 0, 5).exit().bytes()));
        assertTrue(e.what().contains("second half"), e.what());
    }

    @Test
    void divisionAndModuloByZero() {
        // r0 = 7; r1 = 0; r0 /= r1 -> 0; r2 = 9; r2 %= r1 -> 9; r0 += r2
        Asm p = Asm.program().mov(0, 7).mov(1, 0).alu64Reg(Asm.DIV, 0, 1).mov(2, 9).alu64Reg(Asm.MOD, 2, 1)
                .alu64Reg(Asm.ADD, 0, 2).exit();
        assertEquals(9, run(p, new byte[0]));
    }

    @Test
    void helperCallsSeeTheCpuAndTask() {
        Vm custom = Vm.builder().engine(engine).cpus(4).task(new VmTask(10, 20, 1000, 2000, "worker")).build();
        Asm p = Asm.program().call(14).exit();
        assertEquals(20L << 32 | 10, custom.load("t", ProgramType.UNSPEC, p.bytes()).run(new byte[0]));
    }
}
