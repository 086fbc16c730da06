package io.bpf4j.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random programs run by the interpreter and by the JIT (and by the JIT with functions split
 * over many methods) must end the same way: the same
 * r0, the same memory (input memory, packet and context out, every map's contents), or the
 * same {@link VmException} (kind, instruction, message). Two generators: FuzzTest's
 * plausible bytecode (most of it faults somewhere), and valid programs built from pieces a
 * compiler emits (loops, calls, stack, map and input accesses, helpers, callbacks,
 * atomics, may_goto). Seeded and bounded by count; a failure names the program.
 */
class JitFuzzTest {
    private static final long BUDGET = 20_000;
    private static final long BIG_BUDGET = 5_000_000;

    private int compiled;
    private int interpreted;

    @Test
    void plausibleBytecodeEndsTheSameInBothEngines() {
        SplittableRandom random = new SplittableRandom(1234);
        for (int i = 0; i < 500; i++) {
            byte[] program = FuzzTest.plausible(random, 2 + random.nextInt(24));
            long seed = random.nextLong();
            for (ProgramType type : new ProgramType[] {ProgramType.UNSPEC, ProgramType.XDP, ProgramType.SCHED_CLS}) {
                compare(program, type, seed, VmSetup.JIT);
            }
        }
        assertTrue(compiled > 10 * interpreted, "the JIT declined too many: " + interpreted + " of " + (compiled + interpreted));
    }

    @Test
    void validProgramsEndTheSameInBothEngines() {
        SplittableRandom random = new SplittableRandom(99);
        for (int i = 0; i < 300; i++) {
            byte[] program = new Generator(random).program();
            long seed = random.nextLong();
            compare(program, ProgramType.UNSPEC, seed, i % 2 == 0 ? VmSetup.JIT : VmSetup.JIT_SPLIT);
        }
        assertEquals(0, interpreted, "the JIT declined valid programs");
    }

    /** Runs {@code program} in the interpreter and as {@code jit} sets up; on a budget disagreement, again with a bigger budget. */
    private void compare(byte[] program, ProgramType type, long seed, VmSetup jit) {
        String expected = outcome(VmSetup.INTERPRETER, program, type, seed, BUDGET);
        String actual = outcome(jit, program, type, seed, BUDGET);
        if (!expected.equals(actual)
                && (expected.startsWith("INSTRUCTION_BUDGET") || actual.startsWith("INSTRUCTION_BUDGET"))) {
            expected = outcome(VmSetup.INTERPRETER, program, type, seed, BIG_BUDGET);
            actual = outcome(jit, program, type, seed, BIG_BUDGET);
        }
        assertEquals(expected, actual, () -> jit + ": program " + HexFormat.of().formatHex(program) + " as " + type);
    }

    /**
     * How a run ended, as text: the fault (kind, pc, what; a budget fault by kind only, as
     * the engines count differently), or r0 and every byte the program could have changed.
     */
    private String outcome(VmSetup setup, byte[] program, ProgramType type, long seed, long budget) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] memory = new byte[64 + random.nextInt(64)];
        byte[] packet = new byte[14 + random.nextInt(100)];
        random.nextBytes(memory);
        random.nextBytes(packet);
        try (Vm vm = setup.builder().instructionBudget(budget).cpus(2).clock(VmClock.fixed(123_456_789))
                .randomSeed(seed).build()) {
            List<VmMap> maps = maps(vm);
            VmProgram p;
            try {
                p = vm.load("fuzz", type, program);
            } catch (VmException refused) {
                return "refused: " + refused.getMessage();
            }
            if (vm.engine() == Vm.Engine.JIT) {
                if (p.engine() == Vm.Engine.JIT) {
                    compiled++;
                } else {
                    interpreted++;
                }
            }
            StringBuilder out = new StringBuilder();
            try {
                if (type == ProgramType.UNSPEC) {
                    out.append("r0=").append(Long.toHexString(p.run(memory)));
                } else {
                    TestRunResult r = p.testRun(TestRun.ofData(packet).withDataOutSize(packet.length + 256));
                    out.append("r0=").append(Long.toHexString(r.returnValue())).append(" data=")
                            .append(HexFormat.of().formatHex(r.dataOut()));
                }
            } catch (VmException e) {
                out.append(e.kind()).append(e.kind() == VmException.Kind.INSTRUCTION_BUDGET ? ""
                        : " at " + e.pc() + " (" + e.instruction() + "): " + e.what());
            } catch (RuntimeException | Error e) {
                fail(setup + " let " + e + " escape from program " + HexFormat.of().formatHex(program) + " as " + type, e);
            }
            out.append(" memory=").append(HexFormat.of().formatHex(memory));
            for (VmMap m : maps) {
                out.append(' ').append(m.name()).append('=').append(contents(m));
            }
            return out.toString();
        }
    }

    /** The maps FuzzTest's programs refer to (fds 3 to 6), created in the same order in each VM. */
    private static List<VmMap> maps(Vm vm) {
        return List.of(vm.createMap(VmMapSpec.of("array", MapType.ARRAY, 4, 8, 4)),
                vm.createMap(VmMapSpec.of("hash", MapType.HASH, 4, 8, 4)),
                vm.createMap(VmMapSpec.of("ring", MapType.RINGBUF, 0, 0, 4096)),
                vm.createMap(VmMapSpec.of("queue", MapType.QUEUE, 0, 8, 4)),
                vm.createMap(VmMapSpec.of("values", MapType.ARRAY, 4, 256, 1)));
    }

    private static String contents(BpfMap m) {
        if (m.type() == MapType.RINGBUF) {
            return "";
        }
        if (m.type() == MapType.QUEUE) {
            return "queue of " + m.maxEntries();
        }
        StringBuilder s = new StringBuilder();
        Optional<byte[]> key = m.nextKey(null);
        while (key.isPresent()) {
            s.append(HexFormat.of().formatHex(key.get())).append(':')
                    .append(m.lookup(key.get()).map(HexFormat.of()::formatHex).orElse("-")).append(',');
            key = m.nextKey(key.get());
        }
        return s.toString();
    }

    /**
     * Valid programs as a compiler would write them: r6 holds the input memory (at least 64
     * bytes), r8 the value of map "values" (256 bytes), r7 a loop counter; the body mixes
     * arithmetic on r0..r5 and r9, stack, map-value and input accesses, pointers derived from
     * r10, forward branches, counted loops, may_goto loops, calls of local functions,
     * helpers and bpf_loop callbacks, and ends storing its registers into the map value.
     */
    private static final class Generator {
        private static final int VALUES_FD = 7;
        private final SplittableRandom random;
        private final List<long[]> code = new ArrayList<>(); // {word} or {jump-word, target label} to fix
        private final List<Integer> labels = new ArrayList<>();
        private final List<Integer> functions = new ArrayList<>();

        Generator(SplittableRandom random) {
            this.random = random;
        }

        byte[] program() {
            // r6 = input, r8 = &values[0]: key 0 at r10-72, lookup, null check
            raw(0xbf, 6, 1, 0, 0);
            raw(0x62, 10, 0, -72, 0);
            lddw(1, 1, VALUES_FD);
            raw(0xbf, 2, 10, 0, 0);
            raw(0x07, 2, 0, 0, -72);
            raw(0x85, 0, 0, 0, 1);
            int exit = label();
            jump(0x15, 0, 0, 0, exit);
            raw(0xbf, 8, 0, 0, 0);
            for (int i = 1; i <= 8; i++) {
                raw(0x7a, 10, 0, -8 * i, 0); // zero the stack slots the body uses
            }
            for (int r : new int[] {0, 1, 2, 3, 4, 5, 9}) {
                raw(0xb7, r, 0, 0, value());
            }
            int functionCount = random.nextInt(3);
            for (int f = 0; f < functionCount; f++) {
                functions.add(label());
            }
            body(10 + random.nextInt(40), 0, true);
            for (int i = 0; i <= 9; i++) {
                if (i != 6 && i != 7 && i != 8) {
                    raw(0x7b, 8, i, 8 * i, 0);
                }
            }
            raw(0x79, 0, 8, 0, 0);
            bind(exit);
            raw(0x95, 0, 0, 0, 0);
            for (int f : functions) {
                bind(f);
                for (int r : new int[] {0, 9}) {
                    raw(0xb7, r, 0, 0, value());
                }
                raw(0x7a, 10, 0, -8, 0);
                raw(0x7a, 10, 0, -16, 0);
                body(5 + random.nextInt(10), 1, false);
                raw(0x95, 0, 0, 0, 0);
            }
            return encode();
        }

        private int value() {
            return switch (random.nextInt(4)) {
                case 0 -> random.nextInt(-8, 8);
                case 1 -> random.nextInt();
                default -> random.nextInt(0, 1000);
            };
        }

        private int reg() {
            return new int[] {0, 1, 2, 3, 4, 5, 9}[random.nextInt(7)];
        }

        private void body(int items, int depth, boolean main) {
            for (int i = 0; i < items; i++) {
                int kind = random.nextInt(main ? 14 : 9);
                switch (kind) {
                    case 0, 1, 2 -> alu();
                    case 3 -> stack();
                    case 4 -> mapValue(main);
                    case 5 -> {
                        if (main) {
                            input();
                        } else {
                            alu();
                        }
                    }
                    case 6 -> derived();
                    case 7 -> branch(depth, main);
                    case 8 -> atomic(main);
                    case 9 -> loop(depth);
                    case 10 -> call();
                    case 11 -> helper();
                    case 12 -> mayGotoLoop(depth);
                    default -> bpfLoop();
                }
            }
        }

        private void alu() {
            int[] ops = {0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0};
            int op = ops[random.nextInt(ops.length)];
            boolean wide = random.nextBoolean();
            int cls = wide ? 0x07 : 0x04;
            int dst = reg();
            if (op == 0x80) {
                raw(op | cls, dst, 0, 0, 0);
            } else if (random.nextBoolean()) {
                int off = (op == 0x30 || op == 0x90) ? random.nextInt(2) : 0;
                raw(op | cls | 0x08, dst, reg(), off, 0);
            } else {
                int imm = op == 0x60 || op == 0x70 || op == 0xc0 ? random.nextInt(wide ? 64 : 32) : value();
                int off = (op == 0x30 || op == 0x90) ? random.nextInt(2) : 0;
                raw(op | cls, dst, 0, off, imm == 0 && (op == 0x30 || op == 0x90) ? 3 : imm);
            }
            if (random.nextInt(8) == 0) { // byte swaps and sign extension now and then
                raw(random.nextBoolean() ? 0xd4 : 0xdc, reg(), 0, 0, new int[] {16, 32, 64}[random.nextInt(3)]);
                raw(0xbf, reg(), reg(), new int[] {8, 16, 32}[random.nextInt(3)], 0);
            }
        }

        private int size() {
            return new int[] {0x10, 0x08, 0x00, 0x18}[random.nextInt(4)];
        }

        private static int bytes(int size) {
            return switch (size) {
                case 0x10 -> 1;
                case 0x08 -> 2;
                case 0x00 -> 4;
                default -> 8;
            };
        }

        private void access(int base, int limit, int bias) {
            int size = size();
            int off = bias + random.nextInt(limit / bytes(size)) * bytes(size);
            switch (random.nextInt(4)) {
                case 0 -> raw(0x61 | size, reg(), base, off, 0);
                case 1 -> raw(0x81 | (size == 0x18 ? 0x00 : size), reg(), base, off, 0); // sign-extending load
                case 2 -> raw(0x62 | size, base, 0, off, value());
                default -> raw(0x63 | size, base, reg(), off, 0);
            }
        }

        private void stack() {
            access(10, 64, -64);
        }

        private void mapValue(boolean main) {
            if (main) {
                access(8, 256, 0);
            } else {
                stack();
            }
        }

        private void input() {
            access(6, 64, 0);
        }

        /** An access through a copy of r10 moved down into the frame. */
        private void derived() {
            int r = reg();
            raw(0xbf, r, 10, 0, 0);
            raw(0x07, r, 0, 0, -32);
            access(r, 32, 0);
            raw(0xb7, r, 0, 0, value());
        }

        private void branch(int depth, boolean main) {
            int skip = label();
            int[] ops = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0};
            int op = ops[random.nextInt(ops.length)];
            int cls = random.nextBoolean() ? 0x05 : 0x06;
            if (random.nextBoolean()) {
                jump(op | cls | 0x08, reg(), reg(), 0, skip);
            } else {
                jump(op | cls, reg(), 0, value(), skip);
            }
            body(1 + random.nextInt(3), depth + 1, main);
            bind(skip);
        }

        private void atomic(boolean main) {
            int[] ops = {0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1};
            int base = main && random.nextBoolean() ? 8 : 10;
            boolean dw = random.nextBoolean();
            int off = base == 8 ? random.nextInt(32) * 8 : -8 * (1 + random.nextInt(8));
            raw(dw ? 0xdb : 0xc3, base, reg(), off, ops[random.nextInt(ops.length)]);
        }

        /** r7 = n; top: body; r7 -= 1; if r7 != 0 goto top */
        private void loop(int depth) {
            if (depth > 1) {
                alu();
                return;
            }
            raw(0xb7, 7, 0, 0, 1 + random.nextInt(20));
            int top = label();
            bind(top);
            raw(0x7b, 10, 7, -72, 0); // the counter lives on the stack around the body
            body(1 + random.nextInt(4), 2, false);
            raw(0x79, 7, 10, -72, 0);
            raw(0x07, 7, 0, 0, -1);
            jump(0x55, 7, 0, 0, top);
        }

        /** r7 = n; top: may_goto out; arithmetic; r7 -= 1; if r7 != 0 goto top; out: */
        private void mayGotoLoop(int depth) {
            if (depth > 1) {
                alu();
                return;
            }
            raw(0xb7, 7, 0, 0, 1 + random.nextInt(20));
            int top = label();
            int out = label();
            bind(top);
            jump(0xe5, 0, 0, 0, out);
            alu();
            raw(0x07, 7, 0, 0, -1);
            jump(0x55, 7, 0, 0, top);
            bind(out);
        }

        private void call() {
            if (functions.isEmpty()) {
                alu();
                return;
            }
            for (int r = 1; r <= 5; r++) {
                raw(0xb7, r, 0, 0, value());
            }
            jump(0x85, 0, 1, 0, functions.get(random.nextInt(functions.size())));
            for (int r = 1; r <= 5; r++) {
                raw(0xb7, r, 0, 0, value()); // r1..r5 are not the caller's after a call
            }
        }

        private void helper() {
            switch (random.nextInt(3)) {
                case 0 -> raw(0x85, 0, 0, 0, 7); // get_prandom_u32
                case 1 -> raw(0x85, 0, 0, 0, 5); // ktime_get_ns
                default -> { // map_update_elem(values, &key 0, &value at r10-64, BPF_ANY)
                    raw(0x62, 10, 0, -72, 0);
                    lddw(1, 1, VALUES_FD);
                    raw(0xbf, 2, 10, 0, 0);
                    raw(0x07, 2, 0, 0, -72);
                    raw(0xbf, 3, 8, 0, 0);
                    raw(0xb7, 4, 0, 0, 0);
                    raw(0x85, 0, 0, 0, 2);
                }
            }
            for (int r = 1; r <= 5; r++) {
                raw(0xb7, r, 0, 0, value());
            }
        }

        /** bpf_loop(n, a function, 0, 0): the callback gets the index in r1. */
        private void bpfLoop() {
            if (functions.isEmpty()) {
                alu();
                return;
            }
            raw(0xb7, 1, 0, 0, random.nextInt(8));
            int f = functions.get(random.nextInt(functions.size()));
            code.add(new long[] {word(0x18, 2, 4, 0, 0), f, 1});
            code.add(new long[] {0});
            raw(0xb7, 3, 0, 0, 0);
            raw(0xb7, 4, 0, 0, 0);
            raw(0x85, 0, 0, 0, 181);
            for (int r = 1; r <= 5; r++) {
                raw(0xb7, r, 0, 0, value());
            }
        }

        private static long word(int opcode, int dst, int src, int off, int imm) {
            return opcode & 0xff | (dst & 0xf) << 8 | (src & 0xf) << 12 | (off & 0xffffL) << 16 | (long) imm << 32;
        }

        private void raw(int opcode, int dst, int src, int off, int imm) {
            code.add(new long[] {word(opcode, dst, src, off, imm)});
        }

        private void lddw(int dst, int src, int imm) {
            raw(0x18, dst, src, 0, imm);
            raw(0, 0, 0, 0, 0);
        }

        private int label() {
            labels.add(-1);
            return labels.size() - 1;
        }

        private void bind(int label) {
            labels.set(label, code.size());
        }

        private void jump(int opcode, int dst, int src, int imm, int label) {
            code.add(new long[] {word(opcode, dst, src, 0, imm), label, 0});
        }

        /** Resolves the jumps (offset field), calls and function pointers (immediate) to their labels. */
        private byte[] encode() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int pc = 0; pc < code.size(); pc++) {
                long[] item = code.get(pc);
                long w = item[0];
                if (item.length == 3) {
                    int target = labels.get((int) item[1]);
                    int opcode = (int) w & 0xff;
                    if (item[2] == 1) { // ld_imm64 of a function: the immediate is relative to the next slot
                        w = w & 0xffff_ffffL | (long) (target - pc - 1) << 32;
                    } else if (opcode == 0x85) {
                        w = w & 0xffff_ffffL | (long) (target - pc - 1) << 32;
                    } else {
                        w = w & ~(0xffffL << 16) | ((target - pc - 1) & 0xffffL) << 16;
                    }
                }
                for (int i = 0; i < 8; i++) {
                    out.write((int) (w >>> (8 * i)));
                }
            }
            return out.toByteArray();
        }
    }
}
