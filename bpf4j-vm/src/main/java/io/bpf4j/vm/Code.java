package io.bpf4j.vm;

import io.bpf4j.ProgramType;
import io.bpf4j.isa.LlvmSyntax;

/**
 * A decoded program, ready for the interpreter: one packed long per instruction slot
 * ({@link Op#pack}); the slot after an {@code LDDW} holds its 64-bit value. The raw words
 * are kept for messages. {@link #compiled} is the program's JVM bytecode when the JIT
 * compiled it, else null.
 */
final class Code {
    final String name;
    final ProgramType type;
    final long[] insns;
    final long[] raw;
    /** Set once, before the program is published (see {@link VmProgram}). */
    CompiledCode compiled;

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

    /** The instruction at {@code pc} for a fault's location; code entered by a tail call says so. */
    String describe(int pc, boolean tailCalled) {
        return tailCalled ? describe(pc) + " in tail-called '" + name + "'" : describe(pc);
    }
}
