package io.bpf4j.vm;

import static org.junit.jupiter.api.Assertions.fail;

import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random bytecode, loaded and run by the interpreter (JitFuzzTest runs the same programs
 * through both engines): whatever it does, the VM either refuses it or runs it to an end or
 * to a {@link VmException}. Nothing else may escape, nothing may hang (each
 * run has a small instruction budget). Bounded by iteration count and seeded, so a
 * failure names the program that caused it and reproduces.
 */
class FuzzTest {
    private static final int[] OPCODES = {
        0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x47, 0x4f, 0x57, 0x5f, 0x67, 0x6f, 0x77, 0x7f, 0x87, 0x97,
        0x9f, 0xa7, 0xaf, 0xb7, 0xbf, 0xc7, 0xcf, 0xd7, 0xd4, 0xdc, 0x04, 0x0c, 0x34, 0x3c, 0x94, 0x9c, 0xb4, 0xbc,
        0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x45, 0x55, 0x5d, 0x65, 0x75, 0xa5, 0xb5, 0xc5, 0xd5, 0x16, 0x1e, 0x26,
        0x56, 0xa6, 0xc6, 0x06, 0x85, 0x85, 0x8d, 0x95, 0xe5, 0x18, 0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91, 0x62,
        0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50,
    };
    private static final int[] HELPERS = {1, 2, 3, 4, 5, 6, 7, 8, 12, 14, 16, 25, 26, 28, 44, 45, 54, 65, 87, 88, 93, 94,
        105, 130, 131, 132, 164, 165, 181, 182, 188, 189};
    private static final int[] ATOMICS = {0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 0x100, 0x110};

    /** Outcomes: refused at load, stopped by a fault, ran to exit. */
    private final int[] outcomes = new int[3];

    @Test
    void randomWordsAreRefusedOrContained() {
        SplittableRandom random = new SplittableRandom(20250101);
        try (Vm vm = newVm()) {
            for (int i = 0; i < 4000; i++) {
                byte[] program = new byte[8 * (1 + random.nextInt(16))];
                for (int j = 0; j < program.length; j++) {
                    program[j] = (byte) random.nextInt(256);
                }
                attempt(vm, program, random);
            }
        }
    }

    @Test
    void plausibleInstructionsAreRefusedOrContained() {
        SplittableRandom random = new SplittableRandom(42);
        try (Vm vm = newVm()) {
            for (int i = 0; i < 8000; i++) {
                attempt(vm, plausible(random, 2 + random.nextInt(24)), random);
            }
        }
        System.out.printf("fuzz: %d refused, %d stopped, %d ran to exit%n", outcomes[0], outcomes[1], outcomes[2]);
        if (outcomes[1] < 1000 || outcomes[2] < 1000) {
            fail("the generator no longer reaches the interpreter often enough: " + java.util.Arrays.toString(outcomes));
        }
    }

    private static boolean isLoad(VmException e) {
        for (StackTraceElement frame : e.getStackTrace()) {
            if (frame.getClassName().endsWith("Decoder")) {
                return true;
            }
        }
        return false;
    }

    private static Vm newVm() {
        Vm vm = Vm.builder().engine(Vm.Engine.INTERPRETER).instructionBudget(2_000).cpus(2).build();
        vm.createMap(VmMapSpec.of("array", MapType.ARRAY, 4, 8, 4));
        vm.createMap(VmMapSpec.of("hash", MapType.HASH, 4, 8, 4));
        vm.createMap(VmMapSpec.of("ring", MapType.RINGBUF, 0, 0, 4096));
        vm.createMap(VmMapSpec.of("queue", MapType.QUEUE, 0, 8, 4));
        return vm;
    }

    /** Instructions with valid encodings (mostly) and jump targets inside the program, so most reach the interpreter. */
    static byte[] plausible(SplittableRandom random, int count) {
        Asm asm = Asm.program();
        for (int i = 0; i < count - 1; i++) {
            int opcode = OPCODES[random.nextInt(OPCODES.length)];
            int cls = opcode & 7;
            boolean reg = (opcode & 0x08) != 0;
            int dst = random.nextInt(10);
            int src = random.nextInt(11);
            int target = random.nextInt(-(i + 1), count - i - 1);
            int off = random.nextInt(6) == 0 ? random.nextInt(-520, 64) : random.nextInt(-16, 16);
            int imm = switch (random.nextInt(4)) {
                case 0 -> random.nextInt();
                case 1 -> random.nextInt(-16, 64);
                default -> random.nextInt(0, 16);
            };
            switch (cls) {
                case 4, 7 -> { // ALU
                    int op = opcode & 0xf0;
                    off = (op == 0x30 || op == 0x90) ? random.nextInt(2)
                            : op == 0xb0 && reg ? new int[] {0, 0, 8, 16, 32}[random.nextInt(cls == 7 ? 5 : 4)] : 0;
                    if (op == 0xd0) {
                        imm = new int[] {16, 32, 64}[random.nextInt(3)];
                        src = 0;
                    } else if (op == 0x80) {
                        src = 0;
                        imm = 0;
                    } else if (reg) {
                        imm = 0;
                    } else {
                        src = 0;
                    }
                }
                case 5, 6 -> { // jumps
                    off = target;
                    switch (opcode) {
                        case 0x85 -> {
                            dst = 0;
                            off = 0;
                            src = random.nextInt(4) == 0 ? 1 : 0;
                            imm = src == 1 ? target : HELPERS[random.nextInt(HELPERS.length)];
                        }
                        case 0x8d -> {
                            src = 0;
                            off = 0;
                            imm = 0;
                        }
                        case 0x95, 0x05 -> {
                            dst = 0;
                            src = 0;
                            imm = 0;
                            off = opcode == 0x95 ? 0 : target;
                        }
                        case 0x06 -> {
                            dst = 0;
                            src = 0;
                            imm = target;
                            off = 0;
                        }
                        case 0xe5 -> {
                            dst = 0;
                            src = 0;
                            imm = 0;
                        }
                        default -> {
                            if (reg) {
                                imm = 0;
                            } else {
                                src = 0;
                            }
                        }
                    }
                }
                case 0 -> { // lddw, legacy packet loads
                    if (opcode == 0x18) {
                        if (i + 2 >= count) {
                            continue;
                        }
                        src = random.nextInt(3) == 0 ? random.nextInt(1, 5) : 0;
                        long value = src == 1 || src == 2 ? random.nextInt(3, 7) | (long) random.nextInt(3) << 32
                                : src == 4 ? target + 1 : random.nextLong();
                        asm.lddw(dst, src, value);
                        i++;
                        continue;
                    }
                    dst = 0;
                    off = 0;
                    if ((opcode & 0xe0) == 0x20) {
                        src = 0;
                    }
                }
                case 1 -> imm = 0;
                case 2 -> src = 0;
                default -> imm = (opcode & 0xe0) == 0xc0 ? ATOMICS[random.nextInt(ATOMICS.length)] : 0;
            }
            if (random.nextInt(20) == 0) { // now and then a reserved field, to keep the decoder honest
                imm ^= 1 << random.nextInt(32);
            }
            asm.raw(opcode, dst, src, off, imm);
        }
        return asm.exit().bytes();
    }

    private void attempt(Vm vm, byte[] program, SplittableRandom random) {
        byte[] memory = new byte[random.nextInt(64)];
        byte[] packet = new byte[14 + random.nextInt(100)];
        random.nextBytes(memory);
        random.nextBytes(packet);
        for (ProgramType type : new ProgramType[] {ProgramType.UNSPEC, ProgramType.XDP, ProgramType.SCHED_CLS}) {
            try {
                VmProgram p = vm.load("fuzz", type, program);
                if (type == ProgramType.UNSPEC) {
                    p.run(memory);
                } else {
                    p.testRun(TestRun.ofData(packet));
                }
                outcomes[2]++;
            } catch (VmException expected) {
                outcomes[expected.kind() == VmException.Kind.INVALID_PROGRAM && expected.getStackTrace().length > 0
                        && isLoad(expected) ? 0 : 1]++;
            } catch (RuntimeException | Error e) {
                fail("program " + HexFormat.of().formatHex(program) + " as " + type + " escaped with " + e, e);
            }
        }
    }
}
