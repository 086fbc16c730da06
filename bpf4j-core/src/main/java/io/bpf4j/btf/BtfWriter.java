package io.bpf4j.btf;

import io.bpf4j.btf.BtfType.EnumValue;
import io.bpf4j.btf.BtfType.Member;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Encodes a {@link Btf} as a BTF blob. The string section keeps the strings the BTF was
 * parsed with (so parsing and writing gives back the same bytes) and appends any new
 * name; split BTF reuses its base's strings.
 */
final class BtfWriter {
    private final Btf btf;
    private final Map<String, Integer> baseIndex;
    private final Map<String, Integer> ownIndex;
    private final ByteArrayOutputStream added = new ByteArrayOutputStream();
    private final byte[] ownStrings;
    private final int ownStart;

    private BtfWriter(Btf btf) {
        this.btf = btf;
        StringTable table = btf.strings();
        this.baseIndex = table.base() == null ? Map.of() : table.base().index();
        // A base BTF's string section starts with the empty string.
        this.ownStrings = table.bytes().length == 0 && table.base() == null ? new byte[1] : table.bytes();
        this.ownStart = table.base() == null ? 0 : table.base().end();
        this.ownIndex = new HashMap<>(table.index());
        ownIndex.putIfAbsent("", 0);
    }

    static byte[] write(Btf btf, ByteOrder order) {
        return new BtfWriter(btf).write(order);
    }

    private int str(String s) {
        if (s.isEmpty() && ownStart > 0) {
            return 0;
        }
        Integer off = baseIndex.get(s);
        if (off == null) {
            off = ownIndex.get(s);
        }
        if (off == null) {
            off = ownStart + ownStrings.length + added.size();
            added.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            added.write(0);
            ownIndex.put(s, off);
        }
        return off;
    }

    private static int encodedSize(BtfType t) {
        return BtfParser.TYPE_LEN + switch (t) {
            case BtfType.Int i -> 4;
            case BtfType.Var v -> 4;
            case BtfType.DeclTag d -> 4;
            case BtfType.Array a -> 12;
            case BtfType.Composite c -> 12 * c.members().size();
            case BtfType.Enum e -> 8 * e.values().size();
            case BtfType.Enum64 e -> 12 * e.values().size();
            case BtfType.FuncProto p -> 8 * p.params().size();
            case BtfType.Datasec d -> 12 * d.vars().size();
            default -> 0;
        };
    }

    private static int info(BtfKind kind, int vlen, boolean kflag) {
        if (vlen > 0xffff) {
            throw new IllegalArgumentException(kind + " has " + vlen + " entries; BTF allows at most 65535");
        }
        return (kflag ? 0x8000_0000 : 0) | kind.id() << 24 | vlen;
    }

    private byte[] write(ByteOrder order) {
        int typeLen = 0;
        for (BtfType t : btf.types()) {
            typeLen += encodedSize(t);
        }
        ByteBuffer types = ByteBuffer.allocate(typeLen).order(order);
        for (BtfType t : btf.types()) {
            writeType(types, t);
        }
        int strLen = ownStrings.length + added.size();
        ByteBuffer out = ByteBuffer.allocate(BtfParser.HEADER_LEN + typeLen + strLen).order(order);
        out.putShort((short) BtfParser.MAGIC).put((byte) 1).put((byte) 0);
        out.putInt(BtfParser.HEADER_LEN).putInt(0).putInt(typeLen).putInt(typeLen).putInt(strLen);
        out.put(types.array()).put(ownStrings).put(added.toByteArray());
        return out.array();
    }

    private void head(ByteBuffer b, String name, BtfKind kind, int vlen, boolean kflag, int sizeOrType) {
        b.putInt(str(name)).putInt(info(kind, vlen, kflag)).putInt(sizeOrType);
    }

    private void writeType(ByteBuffer b, BtfType t) {
        switch (t) {
            case BtfType.Int i -> {
                head(b, i.name(), BtfKind.INT, 0, false, i.size());
                b.putInt(i.encoding() << 24 | i.bitOffset() << 16 | i.bits());
            }
            case BtfType.Ptr p -> head(b, "", BtfKind.PTR, 0, false, p.type());
            case BtfType.Array a -> {
                head(b, "", BtfKind.ARRAY, 0, false, 0);
                b.putInt(a.type()).putInt(a.indexType()).putInt(a.length());
            }
            case BtfType.Composite c -> {
                head(b, c.name(), c.kind(), c.members().size(), c.kindFlag(), c.size());
                for (Member m : c.members()) {
                    if (c.kindFlag() && (m.bitfieldSize() > 0xff || (m.bitOffset() & 0xff00_0000) != 0)) {
                        throw new IllegalArgumentException(c.kind() + " '" + c.name() + "' member '" + m.name()
                                + "': bit offset " + m.bitOffset() + " or bitfield size " + m.bitfieldSize() + " does not fit kind_flag encoding");
                    }
                    b.putInt(str(m.name())).putInt(m.type()).putInt(c.kindFlag() ? m.bitfieldSize() << 24 | m.bitOffset() : m.bitOffset());
                }
            }
            case BtfType.Enum e -> {
                head(b, e.name(), BtfKind.ENUM, e.values().size(), e.signed(), e.size());
                for (EnumValue v : e.values()) {
                    b.putInt(str(v.name())).putInt((int) v.value());
                }
            }
            case BtfType.Enum64 e -> {
                head(b, e.name(), BtfKind.ENUM64, e.values().size(), e.signed(), e.size());
                for (EnumValue v : e.values()) {
                    b.putInt(str(v.name())).putInt((int) v.value()).putInt((int) (v.value() >>> 32));
                }
            }
            case BtfType.Fwd f -> head(b, f.name(), BtfKind.FWD, 0, f.union(), 0);
            case BtfType.Typedef d -> head(b, d.name(), BtfKind.TYPEDEF, 0, false, d.type());
            case BtfType.Volatile v -> head(b, "", BtfKind.VOLATILE, 0, false, v.type());
            case BtfType.Const c -> head(b, "", BtfKind.CONST, 0, false, c.type());
            case BtfType.Restrict r -> head(b, "", BtfKind.RESTRICT, 0, false, r.type());
            case BtfType.TypeTag tag -> head(b, tag.name(), BtfKind.TYPE_TAG, 0, tag.attribute(), tag.type());
            case BtfType.Func f -> head(b, f.name(), BtfKind.FUNC, f.linkage().ordinal(), false, f.type());
            case BtfType.FuncProto p -> {
                head(b, "", BtfKind.FUNC_PROTO, p.params().size(), false, p.returnType());
                for (BtfType.Param param : p.params()) {
                    b.putInt(str(param.name())).putInt(param.type());
                }
            }
            case BtfType.Var v -> {
                head(b, v.name(), BtfKind.VAR, 0, false, v.type());
                b.putInt(v.linkage().ordinal());
            }
            case BtfType.Datasec d -> {
                head(b, d.name(), BtfKind.DATASEC, d.vars().size(), false, d.size());
                for (BtfType.VarSecinfo v : d.vars()) {
                    b.putInt(v.type()).putInt(v.offset()).putInt(v.size());
                }
            }
            case BtfType.Float f -> head(b, f.name(), BtfKind.FLOAT, 0, false, f.size());
            case BtfType.DeclTag d -> {
                head(b, d.name(), BtfKind.DECL_TAG, 0, d.attribute(), d.type());
                b.putInt(d.componentIdx());
            }
        }
    }
}
