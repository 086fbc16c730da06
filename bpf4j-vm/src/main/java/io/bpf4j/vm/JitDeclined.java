package io.bpf4j.vm;

/** The JIT cannot compile a program; the message says why, and the interpreter runs it instead. */
final class JitDeclined extends Exception {
    private static final long serialVersionUID = 1L;

    JitDeclined(String why) {
        super(why);
    }

    JitDeclined(String why, Throwable cause) {
        super(why, cause);
    }
}
