package io.bpf4j.vm;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** What only the JIT has: when it declines, how it counts loops, huge programs, and its calls into the interpreter. */
class JitTest {
    private final Vm vm = Vm.builder().instructionBudget(1_000_000).build();

    private VmProgram load(Asm asm) {
        return vm.load("t", ProgramType.UNSPEC, asm.bytes());
    }

    private VmProgram interpreted(Asm asm) {
        return Vm.builder().engine(Vm.Engine.INTERPRETER).instructionBudget(1_000_000).build()
                .load("t", ProgramType.UNSPEC, asm.bytes());
    }

    @Test
    void compilesByDefaultAndInterpretsWhenAsked() {
        Asm p = Asm.program().mov(0, 7).exit();
        VmProgram compiled = load(p);
        assertEquals(Vm.Engine.JIT, compiled.engine());
        assertTrue(compiled.jitFallbackReason().isEmpty());
        VmProgram interpreted = interpreted(p);
        assertEquals(Vm.Engine.INTERPRETER, interpreted.engine());
        assertTrue(interpreted.jitFallbackReason().isEmpty(), "choosing the interpreter is no fallback");
        assertEquals(7, compiled.run(new byte[0]));
    }

    @Test
    void declinesAJumpIntoAnotherFunctionAndTheInterpreterRunsIt() {
        // main: call f; exit   f (pc 2): r0 = 5; goto main's exit (pc 1) -- the kernel's verifier would refuse this
        Asm p = Asm.program().callLocal(1).exit().mov(0, 5).ja(-3);
        VmProgram prog = load(p);
        assertEquals(Vm.Engine.INTERPRETER, prog.engine());
        assertEquals("instruction 3 jumps from the function at 2 to instruction 1 of another function",
                prog.jitFallbackReason().orElseThrow());
        assertEquals(interpreted(p).run(new byte[0]), prog.run(new byte[0]));
    }

    @Test
    void declinesAFunctionThatRunsOnIntoTheNext() {
        // main: call f; call g; exit   f (pc 3): r0 = 1, and on into   g (pc 4): r0 += 1; exit
        Asm p = Asm.program().callLocal(2).callLocal(2).exit().mov(0, 1).alu64(Asm.ADD, 0, 1).exit();
        VmProgram prog = load(p);
        assertEquals("the function at instruction 3 runs on into the next one at 4", prog.jitFallbackReason().orElseThrow());
        assertEquals(3, prog.run(new byte[0]));
    }

    @Test
    void anEndlessLoopStopsAtItsBackEdgeOnTheBudget() {
        // r0 = 0; loop: r0 += 1; goto loop
        VmException e = assertThrows(VmException.class, () -> load(Asm.program().mov(0, 0).alu64(Asm.ADD, 0, 1).ja(-2)
                .exit()).run(new byte[0]));
        assertEquals(VmException.Kind.INSTRUCTION_BUDGET, e.kind());
        assertEquals(2, e.pc());
        assertEquals("instruction budget of 1000000 exhausted (endless loop?)", e.what());
    }

    @Test
    void loopsAreChargedTheirLengthPerIteration() {
        // r1 = 1000; loop: r1 -= 1; if r1 != 0 goto loop; exit -- 1000 iterations of 2 instructions
        VmProgram p = load(Asm.program().mov(1, 1000).alu64(Asm.SUB, 1, 1).jmp(Asm.JNE, 1, 0, -2).mov(0, 0).exit());
        p.run(new byte[0]);
        assertEquals(999 * 2, p.lastInstructionCount(), "the 999 jumps back, two instructions each");
    }

    @Test
    void tailCallsGoBetweenCompiledAndInterpretedPrograms() {
        VmMap jumps = vm.createMap(VmMapSpec.of("jumps", MapType.PROG_ARRAY, 4, 4, 4));
        VmProgram declined = declined(Asm.program().movReg(0, 6).alu64(Asm.ADD, 0, 100).exit());
        VmProgram compiled = vm.load("compiled", ProgramType.XDP, Asm.program().movReg(0, 6).alu64(Asm.ADD, 0, 200).exit()
                .bytes());
        assertEquals(Vm.Engine.JIT, compiled.engine());
        put(jumps, 0, declined);
        put(jumps, 1, compiled);
        for (int index = 0; index < 3; index++) {
            // r6 = 1; tail_call(ctx, jumps, index); r0 = 7 (when the slot is empty); exit
            Asm caller = Asm.program().mov(6, 1).map(2, jumps).mov(3, index).call(Interpreter.TAIL_CALL_HELPER).mov(0, 7)
                    .exit();
            for (VmProgram p : new VmProgram[] {vm.load("caller", ProgramType.XDP, caller.bytes()), declined(caller)}) {
                long r0 = p.testRun(TestRun.ofData(new byte[64])).returnValue();
                assertEquals(new long[] {101, 201, 7}[index], r0, p.engine() + " calling slot " + index);
            }
        }
    }

    /**
     * {@code body} as an XDP program the JIT declines: after it, a function (made one by a
     * function pointer to it in r5) that jumps back into the body.
     */
    private VmProgram declined(Asm body) {
        byte[] code = body.bytes();
        int length = code.length / 8;
        VmProgram p = vm.load("declined", ProgramType.XDP, concat(Asm.program().lddw(5, 4, length + 1).bytes(), code,
                Asm.program().ja(-length - 1).bytes()));
        assertEquals(Vm.Engine.INTERPRETER, p.engine());
        return p;
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuffer b = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(x -> x.length).sum());
        for (byte[] part : parts) {
            b.put(part);
        }
        return b.array();
    }

    private static void put(BpfMap map, int index, VmProgram program) {
        map.update(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(index).array(),
                ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(program.fd()).array(), BpfMap.UPDATE_ANY);
    }

    @Test
    void callxReachesFunctionsHelpersAndInstructionsThatStartNoFunction() {
        Asm p = Asm.program()
                .lddw(1, 4, 12) // pc 0: r1 = &f (pc 13)
                .raw(0x8d, 1, 0, 0, 0) // pc 2: callx r1: r0 = 10
                .movReg(6, 0)
                .mov(1, 8) // pc 4: r1 = 8, helper get_smp_processor_id
                .raw(0x8d, 1, 0, 0, 0) // pc 5: callx r1: r0 = 0
                .alu64Reg(Asm.ADD, 6, 0)
                .lddw(1, 0, Memory.address(Memory.FUNCTIONS, 14)) // pc 7: f's exit, where no function starts
                .raw(0x8d, 1, 0, 0, 0) // pc 9: callx r1: a frame that exits at once, r0 as it was
                .alu64Reg(Asm.ADD, 6, 0)
                .movReg(0, 6)
                .exit() // pc 12
                .mov(0, 10) // pc 13: f
                .exit();
        VmProgram compiled = load(p);
        assertEquals(Vm.Engine.JIT, compiled.engine(), compiled.jitFallbackReason().orElse(""));
        assertEquals(10, compiled.run(new byte[0]));
        assertEquals(interpreted(p).run(new byte[0]), compiled.run(new byte[0]));
        VmException bad = assertThrows(VmException.class, () -> load(Asm.program().mov(1, 100_000).raw(0x8d, 1, 0, 0, 0)
                .exit()).run(new byte[0]));
        assertEquals(1, bad.pc());
        assertTrue(bad.what().startsWith("callx through r1 = 0x186a0, which is neither"), bad.what());
    }

    @Test
    void aFaultInATailCalledProgramSaysSoAsTheInterpreterDoes() {
        String[] messages = new String[2];
        for (Vm.Engine engine : Vm.Engine.values()) {
            Vm other = Vm.builder().engine(engine).build();
            VmMap table = other.createMap(VmMapSpec.of("jumps", MapType.PROG_ARRAY, 4, 4, 1));
            put(table, 0, other.load("faulting", ProgramType.XDP, Asm.program().mov(1, 0).ldx(Asm.W, 0, 1, 0).exit().bytes()));
            byte[] code = Asm.program().map(2, table).mov(3, 0).call(Interpreter.TAIL_CALL_HELPER).mov(0, 0).exit().bytes();
            VmException e = assertThrows(VmException.class,
                    () -> other.load("caller", ProgramType.XDP, code).testRun(TestRun.ofData(new byte[64])));
            messages[engine.ordinal()] = e.getMessage();
        }
        assertEquals(messages[0], messages[1]);
        assertTrue(messages[1].contains("in tail-called 'faulting'"), messages[1]);
    }

    @Test
    void aLegacyLoadOutsideThePacketEndsTheRunWithZero() {
        // r6 = ctx; r0 = 9; r0 = ntohl(packet[1000]) -- outside, the run ends with 0
        Asm p = Asm.program().movReg(6, 1).mov(0, 9).raw(0x20, 0, 0, 0, 1000).mov(0, 5).exit();
        VmProgram prog = vm.load("legacy", ProgramType.SOCKET_FILTER, p.bytes());
        assertEquals(Vm.Engine.JIT, prog.engine());
        assertEquals(0, prog.testRun(TestRun.ofData(new byte[64])).returnValue());
    }

    /**
     * A program far over HotSpot's method size: 100,000 instructions of arithmetic (with more
     * distinct constants than the constant pool takes), stack traffic, forward jumps over up
     * to 400 instructions and a loop around the whole, split over about 500 methods.
     */
    @Test
    void aHugeProgramCompilesSplitAndGivesTheInterpretersResult() {
        SplittableRandom random = new SplittableRandom(3);
        Asm p = Asm.program().mov(0, 0).mov(9, 3);
        int count = 2;
        int loop = count;
        while (count < 100_000) {
            switch (random.nextInt(6)) {
                case 0, 1 -> p.alu64(Asm.ADD, 0, random.nextInt());
                case 2 -> p.stx(Asm.DW, 10, 0, -8 * (1 + random.nextInt(8)));
                case 3 -> p.ldx(Asm.DW, 1, 10, -8 * (1 + random.nextInt(8)));
                case 4 -> p.alu64Reg(Asm.XOR, 0, 1);
                default -> p.jmp(Asm.JGT, 0, random.nextInt(), random.nextInt(400));
            }
            count++;
        }
        // r9 -= 1; if r9 == 0 goto +1; gotol loop (too far for a 16-bit offset); then exits for the forward jumps
        p.alu64(Asm.SUB, 9, 1).jmp(Asm.JEQ, 9, 0, 1).raw(0x06, 0, 0, 0, loop - count - 3);
        for (int i = 0; i < 400; i++) {
            p.exit();
        }
        VmProgram compiled = vm.load("huge", ProgramType.UNSPEC, p.bytes());
        assertEquals(Vm.Engine.JIT, compiled.engine(), compiled.jitFallbackReason().orElse(""));
        int segments = assertDoesNotThrow(() -> JitPlan.of(compiled.code(), JitPlan.DEFAULT_SEGMENT_BYTES)).functions.getFirst()
                .segments().size();
        assertTrue(segments > 256, segments + " segments: too few to need a dispatcher per group of them");
        assertEquals(interpreted(p).run(new byte[0]), compiled.run(new byte[0]));
    }
}
