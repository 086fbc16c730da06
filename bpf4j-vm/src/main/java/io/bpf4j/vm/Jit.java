package io.bpf4j.vm;

import java.lang.constant.ClassDesc;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The JIT: compiles a decoded program to a JVM class ({@link JitPlan} lays it out,
 * {@link JitHints} guesses where its pointers point, {@link JitEmitter} writes the
 * bytecode with {@code java.lang.classfile}), defines it as a hidden class of this package,
 * and leaves the rest to HotSpot. A program it cannot compile is refused with the reason
 * ({@link JitDeclined}); the interpreter runs it instead.
 */
final class Jit {
    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
    private static final ClassDesc NAME = ClassDesc.of(Jit.class.getPackageName(), "Jitted");

    private Jit() {}

    /**
     * Compiles {@code code}. {@code regions} is the VM's region table (for the compiler's
     * guesses only); {@code segmentBytes} the estimated bytecode size at which a function
     * is split over several methods.
     */
    static CompiledCode compile(Code code, Region[] regions, int segmentBytes) throws JitDeclined {
        JitPlan plan = JitPlan.of(code, segmentBytes);
        byte[] bytes;
        try {
            bytes = JitEmitter.emit(code, plan, regions, NAME);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new JitDeclined("its class cannot be written: " + e.getMessage(), e);
        }
        try {
            MethodHandles.Lookup hidden = LOOKUP.defineHiddenClassWithClassData(bytes, code, true);
            return (CompiledCode) hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class, Code.class))
                    .invoke(code);
        } catch (LinkageError | IllegalAccessException | NoSuchMethodException e) {
            throw new JitDeclined("the JVM refused its class: " + e, e);
        } catch (Throwable e) {
            throw new IllegalStateException("compiled program '" + code.name + "' failed to start", e);
        }
    }
}
