package io.bpf4j.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;
import io.bpf4j.isa.AluOp;
import io.bpf4j.isa.AtomicOp;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.Instructions;
import io.bpf4j.isa.JumpOp;
import io.bpf4j.isa.PseudoSource;
import io.bpf4j.isa.Size;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.MapDefinition;
import io.bpf4j.kernel.ProgramDefinition;
import io.bpf4j.kernel.testing.KernelTest;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Random programs the kernel's verifier accepts (arithmetic of every width and sign,
 * shifts, byte swaps, sign extension, division and modulo by anything including zero,
 * stack spills and atomics, forward jumps of every condition), run by the kernel's
 * test_run and by the VM: the return value and all nine registers r0..r8, stored into a
 * map at the end, must be the same.
 * Run in each engine of the VM.
 */
@KernelTest
@ParameterizedClass(name = "{0}")
@EnumSource(Vm.Engine.class)
class RandomProgramDifferentialTest {
    private static final int PROGRAMS = 250;
    private static final int VALUE_SIZE = 9 * 8;
    private static final AluOp[] ALU = AluOp.values();
    private static final JumpOp[] CONDITIONS = {JumpOp.JEQ, JumpOp.JGT, JumpOp.JGE, JumpOp.JSET, JumpOp.JNE, JumpOp.JSGT,
        JumpOp.JSGE, JumpOp.JLT, JumpOp.JLE, JumpOp.JSLT, JumpOp.JSLE};
    private static final AtomicOp[] ATOMICS = {AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR, AtomicOp.FETCH_ADD,
        AtomicOp.FETCH_OR, AtomicOp.FETCH_AND, AtomicOp.FETCH_XOR, AtomicOp.XCHG, AtomicOp.CMPXCHG};
    private final Vm.Engine engine;

    RandomProgramDifferentialTest(Vm.Engine engine) {
        this.engine = engine;
    }

    /** One body instruction, or a jump whose target is an index into the list of items. */
    private record Item(Instruction insn, int target, boolean jmp32, JumpOp op, int dst, int src, int imm, boolean reg) {
        static Item of(Instruction insn) {
            return new Item(insn, -1, false, null, 0, 0, 0, false);
        }
    }

    @Test
    void randomProgramsGiveTheKernelsResults() {
        SplittableRandom random = new SplittableRandom(7);
        byte[] packet = new byte[64];
        try (Vm vm = Vm.builder().engine(engine).build();
                KernelMap kernelOut = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, VALUE_SIZE, 1))) {
            VmMap vmOut = vm.createMap(VmMapSpec.of("out", MapType.ARRAY, 4, VALUE_SIZE, 1));
            for (int n = 0; n < PROGRAMS; n++) {
                List<Item> body = body(random, 10 + random.nextInt(50));
                byte[] forKernel = program(body, kernelOut.fd());
                byte[] forVm = program(body, vmOut.fd());
                String name = "program " + n + ": " + HexFormat.of().formatHex(forVm);
                TestRunResult expected;
                try (KernelProgram k = KernelProgram.load(ProgramDefinition.of(ProgramType.SCHED_CLS, "rnd", forKernel,
                        "GPL"))) {
                    expected = k.testRun(TestRun.ofData(packet));
                }
                TestRunResult actual = vm.load("rnd", ProgramType.SCHED_CLS, forVm).testRun(TestRun.ofData(packet));
                assertEquals(expected.returnValue(), actual.returnValue(), name);
                assertArrayEquals(kernelOut.lookup(new byte[4]).orElseThrow(), vmOut.lookup(new byte[4]).orElseThrow(),
                        name);
                assertArrayEquals(expected.dataOut(), actual.dataOut(), name);
                kernelOut.update(new byte[4], new byte[VALUE_SIZE], BpfMap.UPDATE_ANY);
                vmOut.update(new byte[4], new byte[VALUE_SIZE], BpfMap.UPDATE_ANY);
            }
        }
    }

    /** Prologue (value pointer in r9, 16 zeroed stack slots, random r0..r8), the body, the registers stored. */
    private static byte[] program(List<Item> body, int mapFd) {
        List<Item> items = new ArrayList<>();
        items.add(Item.of(new Instruction.StoreImm(Size.W, 10, (short) -4, 0)));
        items.add(Item.of(new Instruction.LoadImm64(1, PseudoSource.MAP_FD, mapFd)));
        items.add(Item.of(new Instruction.AluReg(true, AluOp.MOV, 2, 10)));
        items.add(Item.of(new Instruction.AluImm(true, AluOp.ADD, 2, -4)));
        items.add(Item.of(new Instruction.CallHelper(1)));
        items.add(Item.of(new Instruction.JumpImm(false, JumpOp.JNE, 0, 0, (short) 2)));
        items.add(Item.of(new Instruction.AluImm(true, AluOp.MOV, 0, 0)));
        items.add(Item.of(new Instruction.Exit()));
        items.add(Item.of(new Instruction.AluReg(true, AluOp.MOV, 9, 0)));
        for (int slot = 1; slot <= 16; slot++) {
            items.add(Item.of(new Instruction.StoreImm(Size.DW, 10, (short) (-8 - 8 * slot), 0)));
        }
        int prologue = items.size();
        for (Item item : body) {
            items.add(item.target < 0 ? item : new Item(item.insn, item.target + prologue, item.jmp32, item.op, item.dst,
                    item.src, item.imm, item.reg));
        }
        for (int r = 0; r <= 8; r++) {
            items.add(Item.of(new Instruction.Store(Size.DW, 9, r, (short) (8 * r))));
        }
        items.add(Item.of(new Instruction.Exit()));
        int[] slotOf = new int[items.size() + 1];
        for (int i = 0; i < items.size(); i++) {
            slotOf[i + 1] = slotOf[i] + (items.get(i).insn == null ? 1 : items.get(i).insn.slots());
        }
        List<Instruction> insns = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Item it = items.get(i);
            if (it.insn != null) {
                insns.add(it.insn);
                continue;
            }
            short off = (short) (slotOf[it.target] - slotOf[i + 1]);
            insns.add(it.reg ? new Instruction.JumpReg(it.jmp32, it.op, it.dst, it.src, off)
                    : new Instruction.JumpImm(it.jmp32, it.op, it.dst, it.imm, off));
        }
        return Instructions.encode(insns, ByteOrder.LITTLE_ENDIAN);
    }

    private static List<Item> body(SplittableRandom random, int count) {
        List<Item> body = new ArrayList<>();
        for (int r = 0; r <= 8; r++) {
            body.add(Item.of(random.nextBoolean() ? new Instruction.LoadImm64(r, random.nextLong())
                    : new Instruction.AluImm(random.nextBoolean(), AluOp.MOV, r, interesting(random))));
        }
        for (int i = 0; i < count; i++) {
            int dst = random.nextInt(9);
            int src = random.nextInt(9);
            boolean wide = random.nextBoolean();
            short slot = (short) (-16 - 8 * random.nextInt(16));
            Instruction insn = switch (random.nextInt(12)) {
                case 0, 1, 2, 3 -> {
                    AluOp op = ALU[random.nextInt(ALU.length)];
                    if (op == AluOp.NEG) {
                        yield new Instruction.AluImm(wide, op, dst, 0);
                    }
                    if (random.nextBoolean()) {
                        yield new Instruction.AluReg(wide, op, dst, src);
                    }
                    int imm = op == AluOp.LSH || op == AluOp.RSH || op == AluOp.ARSH ? random.nextInt(wide ? 64 : 32)
                            : interesting(random);
                    if (imm == 0 && (op == AluOp.DIV || op == AluOp.SDIV || op == AluOp.MOD || op == AluOp.SMOD)) {
                        imm = -1; // the verifier refuses a constant zero divisor; a zero register is fine
                    }
                    yield new Instruction.AluImm(wide, op, dst, imm);
                }
                case 4 -> new Instruction.MoveSignExtend(wide, dst, src,
                        new Size[] {Size.B, Size.H, Size.W}[random.nextInt(wide ? 3 : 2)]);
                case 5 -> new Instruction.ByteSwap(Instruction.ByteSwap.Kind.values()[random.nextInt(3)], dst,
                        new int[] {16, 32, 64}[random.nextInt(3)]);
                case 6 -> new Instruction.Store(Size.DW, 10, src, slot);
                case 7 -> {
                    Size size = new Size[] {Size.B, Size.H, Size.W, Size.DW}[random.nextInt(4)];
                    short within = (short) (random.nextInt(8 / size.bytes()) * size.bytes()); // aligned, as the verifier wants
                    yield new Instruction.Load(size, size != Size.DW && random.nextInt(3) == 0, dst, 10,
                            (short) (slot + within));
                }
                case 8 -> new Instruction.Atomic(random.nextBoolean() ? Size.DW : Size.W,
                        ATOMICS[random.nextInt(ATOMICS.length)], 10, src, slot);
                default -> null;
            };
            if (insn != null) {
                body.add(Item.of(insn));
                continue;
            }
            // A forward jump of 1 to 4 items, never past the end of the body.
            int target = Math.min(count + 9, body.size() + 1 + random.nextInt(4));
            boolean reg = random.nextBoolean();
            body.add(new Item(null, target, random.nextBoolean(), CONDITIONS[random.nextInt(CONDITIONS.length)], dst, src,
                    interesting(random), reg));
        }
        // Jumps may aim just past the last body item: that is where the epilogue starts.
        int end = body.size();
        List<Item> fixed = new ArrayList<>();
        for (Item it : body) {
            fixed.add(it.target > end ? new Item(null, end, it.jmp32, it.op, it.dst, it.src, it.imm, it.reg) : it);
        }
        return fixed;
    }

    /** Immediates that hit the edges: zero, one, minus one, the sign bits, and random ones. */
    private static int interesting(SplittableRandom random) {
        return switch (random.nextInt(8)) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> -1;
            case 3 -> Integer.MIN_VALUE;
            case 4 -> Integer.MAX_VALUE;
            case 5 -> random.nextInt(-300, 300);
            default -> random.nextInt();
        };
    }
}
