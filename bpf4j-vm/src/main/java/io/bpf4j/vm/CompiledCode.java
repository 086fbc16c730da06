package io.bpf4j.vm;

/**
 * A program compiled to JVM bytecode by {@link Jit}: a hidden class extends this with one
 * static method per BPF function (registers as JVM locals) and implements the three
 * abstract methods. The entry points here give it the interpreter's frame semantics: a
 * run starts in frame 0 with every register zero but r1, r2 and r10; a tail call goes on
 * in the caller's frame with the caller's registers; a callback gets a new frame.
 */
abstract class CompiledCode {
    final Code code;

    CompiledCode(Code code) {
        this.code = code;
    }

    /** The function at instruction 0 in frame {@code depth}; {@code tailCalled} marks fault locations. */
    abstract long main(Execution ex, int depth, boolean tailCalled, long r0, long r1, long r2, long r3, long r4,
            long r5, long r6, long r7, long r8, long r9);

    /** Whether a function of the compiled code starts at {@code pc} (an entry {@link #function} takes). */
    abstract boolean isFunction(int pc);

    /** The function that starts at {@code pc}, in frame {@code depth}. */
    abstract long function(int pc, Execution ex, int depth, long r0, long r1, long r2, long r3, long r4, long r5,
            long r6, long r7, long r8, long r9);

    /** A run: frame 0, r1 and r2 given, the other registers zero. */
    final long run(Execution ex, long r1, long r2) {
        ex.depth = 0;
        try {
            return main(ex, 0, false, 0, r1, r2, 0, 0, 0, 0, 0, 0, 0);
        } catch (JitRuntime.Abort abort) {
            return 0;
        }
    }

    /** A tail call into this program: it starts over in the caller's frame with the caller's registers. */
    final long tailCall(Execution ex, int depth, long r0, long r1, long r2, long r3, long r4, long r5, long r6, long r7,
            long r8, long r9) {
        return main(ex, depth, true, r0, r1, r2, r3, r4, r5, r6, r7, r8, r9);
    }

    /**
     * A helper's callback: the function at {@code pc} in a new frame, with the arguments in
     * r1..r5 and the caller's r0 and r6..r9 (the interpreter shares one register file); the
     * registers in {@code ex.regs} are as before when it returns, as in the interpreter.
     */
    final long callback(Execution ex, int pc, long a1, long a2, long a3, long a4, long a5) {
        if (!isFunction(pc)) {
            return Interpreter.callback(ex, code, pc, a1, a2, a3, a4, a5);
        }
        int depth = ex.depth;
        if (depth + 1 >= Memory.MAX_FRAMES) {
            throw Interpreter.tooDeep("callback", depth);
        }
        long[] r = ex.regs;
        long[] saved = ex.callbackRegs;
        int at = depth * Interpreter.REGISTERS;
        System.arraycopy(r, 0, saved, at, Interpreter.REGISTERS);
        try {
            return function(pc, ex, depth + 1, r[0], a1, a2, a3, a4, a5, r[6], r[7], r[8], r[9]);
        } catch (JitRuntime.Abort abort) {
            return 0;
        } finally {
            System.arraycopy(saved, at, r, 0, Interpreter.REGISTERS);
            ex.depth = depth;
        }
    }
}
