package io.bpf4j.vm;

import io.bpf4j.ProgramType;

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

    String describe(int pc) {
        return pc >= 0 && pc < raw.length ? Decoder.hex(raw[pc]) : "outside the program";
    }

    /** The instruction at {@code pc} for a fault's location; code entered by a tail call says so. */
    String describe(int pc, boolean tailCalled) {
        return tailCalled ? describe(pc) + " in tail-called '" + name + "'" : describe(pc);
    }
}
