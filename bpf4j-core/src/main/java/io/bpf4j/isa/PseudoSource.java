package io.bpf4j.isa;

/**
 * What the 64-bit immediate of an {@code lddw} means, chosen by its source register field
 * ({@code BPF_PSEUDO_*} in the kernel UAPI). Loaders rewrite all but {@link #NONE} before the
 * program runs.
 */
public enum PseudoSource {
    /** A plain 64-bit constant. */
    NONE(0),
    /** imm = map fd: loads a map pointer. */
    MAP_FD(1),
    /** imm = map fd, next imm = offset into the map's value: loads an address in it. */
    MAP_VALUE(2),
    /** imm = BTF id of a kernel variable: loads its address. */
    BTF_ID(3),
    /** imm = instruction offset of a subprogram: loads a function pointer. */
    FUNC(4),
    /** imm = index into the fd array given at load time: loads a map pointer. */
    MAP_IDX(5),
    /** imm = fd array index, next imm = offset: loads an address in that map's value. */
    MAP_IDX_VALUE(6);

    private final int code;

    PseudoSource(int code) {
        this.code = code;
    }

    /** The source register field that selects this meaning. */
    public int code() {
        return code;
    }

    private static final PseudoSource[] BY_CODE = values();

    /** The meaning a source field selects, or null. */
    static PseudoSource of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
