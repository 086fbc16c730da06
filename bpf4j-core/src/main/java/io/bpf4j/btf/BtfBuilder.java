package io.bpf4j.btf;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds BTF from types, from scratch or starting from an existing {@link Btf} (to
 * rewrite some of its types, as sanitizing for an older kernel does). Ids are handed out
 * in order, so a type may refer to one added later (a struct to a pointer to itself).
 *
 * <pre>{@code
 * BtfBuilder b = new BtfBuilder();
 * int i32 = b.add(new BtfType.Int("int", 4, BtfType.Int.SIGNED, 0, 32));
 * int pair = b.add(new BtfType.Struct("pair", 8, List.of(
 *         new BtfType.Member("a", i32, 0, 0), new BtfType.Member("b", i32, 32, 0)), false));
 * byte[] blob = b.build().toBytes();
 * }</pre>
 */
public final class BtfBuilder {
    private final Btf base;
    private final List<BtfType> types = new ArrayList<>();
    private final byte[] strings;
    private ByteOrder order = ByteOrder.LITTLE_ENDIAN;

    /** Starts empty BTF. */
    public BtfBuilder() {
        this(null, null);
    }

    /** Starts empty split BTF on top of {@code base}: the first id added is {@code base.typeCount()}. */
    public static BtfBuilder split(Btf base) {
        return new BtfBuilder(base, null);
    }

    /** Starts with all of {@code btf}'s own types (and its base); built unchanged, it writes the same bytes. */
    public static BtfBuilder from(Btf btf) {
        BtfBuilder b = new BtfBuilder(btf.base(), btf.strings().bytes());
        b.types.addAll(btf.types());
        b.order = btf.byteOrder();
        return b;
    }

    private BtfBuilder(Btf base, byte[] strings) {
        this.base = base;
        this.strings = strings == null ? new byte[0] : strings;
    }

    /** The id the next {@link #add} returns. */
    public int nextId() {
        return firstId() + types.size();
    }

    private int firstId() {
        return base == null ? 1 : base.typeCount();
    }

    /** Appends a type and returns its id. */
    public int add(BtfType type) {
        types.add(java.util.Objects.requireNonNull(type));
        return nextId() - 1;
    }

    /** Replaces the type with id {@code id} (one of this builder's, not the base's). */
    public BtfBuilder set(int id, BtfType type) {
        types.set(id - firstId(), java.util.Objects.requireNonNull(type));
        return this;
    }

    /** The type with id {@code id} added so far. */
    public BtfType get(int id) {
        return types.get(id - firstId());
    }

    /** Byte order {@link Btf#toBytes()} uses for the result. */
    public BtfBuilder byteOrder(ByteOrder order) {
        this.order = java.util.Objects.requireNonNull(order);
        return this;
    }

    /**
     * Checks the types (ids in range, sizes, no loops) and returns them as {@link Btf}.
     *
     * @throws io.bpf4j.BpfFormatException naming the first bad type
     */
    public Btf build() {
        StringTable table = new StringTable(base == null ? null : base.strings(), strings);
        return Btf.checked(new Btf(base, types.toArray(BtfType[]::new), table, order));
    }
}
