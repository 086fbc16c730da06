package io.bpf4j.object;

/**
 * A place in a program's instructions that a backend fills in before loading: the
 * instruction at {@link #slot()} (an 8-byte slot index, as the kernel counts) refers to a
 * map, to data in a map's value, or to a kernel symbol.
 *
 * <pre>{@code
 * for (Reference r : program.references()) {
 *     switch (r) {
 *         case Reference.MapFd m -> patchFd(m.slot(), fdOf(m.map()));
 *         case Reference.MapValue v -> patchValue(v.slot(), fdOf(v.map()), v.offset());
 *         case Reference.Extern e -> resolveKernelSymbol(e);
 *     }
 * }
 * }</pre>
 */
public sealed interface Reference {
    /** Slot index of the instruction, counted from the program's start. */
    int slot();

    /** An {@code lddw} loading the map named {@code map} ({@code BPF_PSEUDO_MAP_FD}). */
    record MapFd(int slot, String map) implements Reference {}

    /**
     * An {@code lddw} loading the address {@code offset} bytes into the value of the map named
     * {@code map} ({@code BPF_PSEUDO_MAP_VALUE}): global variables, {@code .kconfig} externs.
     */
    record MapValue(int slot, String map, int offset) implements Reference {}

    /**
     * A {@code .ksyms} extern: an {@code lddw} of a kernel variable's address, or, if
     * {@code function}, a call of a kernel function (kfunc). {@code weak} ones may stay unresolved.
     */
    record Extern(int slot, String name, boolean function, boolean weak) implements Reference {}
}
