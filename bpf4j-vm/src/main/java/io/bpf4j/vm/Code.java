package io.bpf4j.vm;

import io.bpf4j.ProgramType;
import io.bpf4j.isa.LlvmSyntax;

/**
 * A decoded program, ready for the interpreter: one packed long per instruction slot
 * ({@link Op#pack}); the slot after an {@code LDDW} holds its 64-bit value. The raw words
 * are kept for messages.
 */
final class Code {
    final String name;
    final ProgramType type;
    final long[] insns;
    final long[] raw;

    Code(String name, ProgramType type, long[] insns, long[] raw) {
        this.name = name;
        this.type = type;
        this.insns = insns;
        this.raw = raw;
    }

    /** The instruction at {@code pc} as llvm-objdump prints it, e.g. {@code r0 = *(u32 *)(r1 + 6)}. */
    String describe(int pc) {
        if (pc < 0 || pc >= raw.length) {
            return "outside the program";
        }
        return LlvmSyntax.DECIMAL.format(Decoder.instructionAt(raw, pc));
    }
}
