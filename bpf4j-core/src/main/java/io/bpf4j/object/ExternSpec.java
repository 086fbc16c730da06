package io.bpf4j.object;

import java.util.Objects;

/**
 * An {@code extern} the object expects the loader to supply: a Kconfig value in the
 * {@code .kconfig} map ({@link Kind#KCONFIG}, at {@code offset}), or a kernel variable or
 * function from {@code .ksyms}.
 *
 * <pre>{@code
 * for (ExternSpec e : spec.externs()) System.out.println(e.name() + " " + e.kind());
 * }</pre>
 *
 * @param name the symbol name
 * @param kind what it is
 * @param weak declared {@code __weak}: may stay unresolved
 * @param typeId BTF id of the extern's VAR or FUNC
 * @param offset for Kconfig: byte offset in the {@code .kconfig} map; else 0
 * @param size for Kconfig: size in bytes; else 0
 */
public record ExternSpec(String name, Kind kind, boolean weak, int typeId, int offset, int size) {
    /** The kinds of extern. */
    public enum Kind {
        KCONFIG,
        KSYM_VARIABLE,
        KSYM_FUNCTION
    }

    public ExternSpec {
        Objects.requireNonNull(name);
        Objects.requireNonNull(kind);
    }
}
