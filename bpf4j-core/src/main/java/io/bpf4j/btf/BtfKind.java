package io.bpf4j.btf;

/**
 * The kinds of BTF type the kernel UAPI defines ({@code BTF_KIND_*} in {@code linux/btf.h}),
 * with their numeric ids and the names bpftool prints.
 */
public enum BtfKind {
    INT(1),
    PTR(2),
    ARRAY(3),
    STRUCT(4),
    UNION(5),
    ENUM(6),
    FWD(7),
    TYPEDEF(8),
    VOLATILE(9),
    CONST(10),
    RESTRICT(11),
    FUNC(12),
    FUNC_PROTO(13),
    VAR(14),
    DATASEC(15),
    FLOAT(16),
    DECL_TAG(17),
    TYPE_TAG(18),
    ENUM64(19);

    /** The highest kind id this enum knows. */
    static final int MAX_ID = 19;

    private static final BtfKind[] BY_ID = new BtfKind[MAX_ID + 1];

    static {
        for (BtfKind k : values()) {
            BY_ID[k.id] = k;
        }
    }

    private final int id;

    BtfKind(int id) {
        this.id = id;
    }

    /** The kernel's numeric kind ({@code BTF_KIND_INT} is 1). */
    public int id() {
        return id;
    }

    /** The kind with this id, or null if the id is 0 or unknown. */
    public static BtfKind ofId(int id) {
        return id > 0 && id <= MAX_ID ? BY_ID[id] : null;
    }
}
