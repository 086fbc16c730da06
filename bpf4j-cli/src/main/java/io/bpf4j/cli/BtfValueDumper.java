package io.bpf4j.cli;

import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfType;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Formats a value's bytes by its BTF type as bpftool 7.1 does for {@code map dump}
 * ({@code btf_dumper.c}): structs as objects, arrays as arrays (char arrays holding a
 * string as that string), enums by enumerator name, bitfields and 128-bit integers in
 * hex, variables and data sections as {@code {name: value}}. In plain-text mode (bpftool
 * without {@code -j}) pointers print as {@code %p} and hex numbers without quotes. Like
 * bpftool 7.1 it cannot show FLOAT and a few other kinds: it writes
 * {@code (unsupported-kind}, closes what it opened and reports failure.
 *
 * <pre>{@code
 * JsonWriter w = new JsonWriter(sb, true);
 * new BtfValueDumper(btf, w, true).dump(btf.findId(".data", BtfKind.DATASEC).orElseThrow(), valueBytes);
 * }</pre>
 */
final class BtfValueDumper {
    private final Btf btf;
    private final JsonWriter w;
    private final boolean plainText;
    private ByteBuffer data;

    BtfValueDumper(Btf btf, JsonWriter w, boolean plainText) {
        this.btf = btf;
        this.w = w;
        this.plainText = plainText;
    }

    /** Writes the value of type {@code typeId} held in {@code bytes} (host order); false where bpftool reports an error. */
    boolean dump(int typeId, byte[] bytes) {
        data = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        return type(typeId, 0, 0);
    }

    private boolean type(int id, int bitOffset, int off) {
        if (id == 0) {
            w.raw("(unknown)");
            return true;
        }
        BtfType t = btf.type(id);
        return switch (t) {
            case BtfType.Int i -> integer(i, bitOffset, off);
            case BtfType.Composite c -> composite(c, off);
            case BtfType.Array a -> array(a, off);
            case BtfType.Enum e -> enumeration(e, off);
            case BtfType.Enum64 e -> enumeration64(e, off);
            case BtfType.Ptr p -> {
                long value = data.getLong(off);
                w.raw(plainText ? (value == 0 ? "(nil)" : "0x" + Long.toHexString(value)) : Long.toUnsignedString(value));
                yield true;
            }
            case BtfType.Fwd f -> {
                w.raw("(fwd-kind-invalid)");
                yield false;
            }
            case BtfType.Typedef td -> modifier(id, bitOffset, off);
            case BtfType.Volatile v -> modifier(id, bitOffset, off);
            case BtfType.Const c -> modifier(id, bitOffset, off);
            case BtfType.Restrict r -> modifier(id, bitOffset, off);
            case BtfType.Var v -> {
                w.startObject().name(v.name());
                boolean ok = type(v.type(), bitOffset, off);
                w.endObject();
                yield ok;
            }
            case BtfType.Datasec d -> {
                w.startObject().name(d.name()).startArray();
                boolean ok = true;
                for (BtfType.VarSecinfo v : d.vars()) {
                    if (!(ok = type(v.type(), 0, off + v.offset()))) {
                        break;
                    }
                }
                w.endArray().endObject();
                yield ok;
            }
            default -> {
                w.raw("(unsupported-kind");
                yield false;
            }
        };
    }

    /** Through typedefs, qualifiers, type tags and vars, as libbpf's btf__resolve_type; void is an error. */
    private boolean modifier(int id, int bitOffset, int off) {
        while (id != 0 && btf.type(id) instanceof BtfType.Ref r
                && (r instanceof BtfType.Modifier || r instanceof BtfType.Typedef || r instanceof BtfType.Var)) {
            id = r.type();
        }
        return id != 0 && type(id, bitOffset, off);
    }

    private boolean composite(BtfType.Composite c, int off) {
        w.startObject();
        boolean ok = true;
        for (BtfType.Member m : c.members()) {
            w.name(m.name());
            int at = off + m.bitOffset() / 8;
            if (m.bitfieldSize() != 0) {
                bitfield(m.bitfieldSize(), m.bitOffset() % 8, at);
            } else if (!(ok = type(m.type(), m.bitOffset() % 8, at))) {
                break;
            }
        }
        w.endObject();
        return ok;
    }

    private boolean array(BtfType.Array a, int off) {
        String s = string(a, off);
        if (s != null) {
            w.value(s);
            return true;
        }
        long elemSize = btf.sizeOf(a.type());
        w.startArray();
        boolean ok = true;
        for (long i = 0; i < Integer.toUnsignedLong(a.length()); i++) {
            if (!(ok = type(a.type(), 0, (int) (off + i * elemSize)))) {
                break;
            }
        }
        w.endArray();
        return ok;
    }

    /** The string a char array holds: printable characters up to a NUL within the array; else null. */
    private String string(BtfType.Array a, int off) {
        if (a.length() == 0) {
            return null;
        }
        int elem = btf.skipModifiers(a.type());
        if (!(elem != 0 && btf.type(elem) instanceof BtfType.Int i && i.size() == 1
                && (i.encoding() == BtfType.Int.CHAR || i.name().equals("char")))) {
            return null;
        }
        StringBuilder s = new StringBuilder();
        for (long k = 0; k < Integer.toUnsignedLong(a.length()); k++) {
            byte b = data.get((int) (off + k));
            if (b == 0) {
                return s.toString();
            }
            if (b <= 0x1f || b == 0x7f) {
                return null;
            }
            s.append((char) b);
        }
        return null;
    }

    private boolean enumeration(BtfType.Enum e, int off) {
        long value = switch (e.size()) {
            case 8 -> data.getLong(off);
            case 4 -> data.getInt(off);
            case 2 -> data.getShort(off);
            default -> data.get(off);
        };
        for (BtfType.EnumValue v : e.values()) {
            if (value == (int) v.value()) {
                w.value(v.name());
                return true;
            }
        }
        w.value(value);
        return true;
    }

    private boolean enumeration64(BtfType.Enum64 e, int off) {
        long value = data.getLong(off);
        for (BtfType.EnumValue v : e.values()) {
            if (value == v.value()) {
                w.value(v.name());
                return true;
            }
        }
        w.value(value);
        return true;
    }

    private boolean integer(BtfType.Int i, int bitOffset, int off) {
        int bits = i.bits();
        if (bitOffset != 0 || i.bitOffset() != 0 || bits % 8 != 0) {
            intBits(i, bitOffset, off);
            return true;
        }
        if (bits == 128) {
            hex(unsigned(off, 16));
            return true;
        }
        switch (i.encoding()) {
            case 0 -> {
                switch (bits) {
                    case 64 -> w.raw(Long.toUnsignedString(data.getLong(off)));
                    case 32 -> w.raw(Integer.toUnsignedString(data.getInt(off)));
                    case 16 -> w.raw(Integer.toString(data.getShort(off) & 0xffff));
                    case 8 -> w.raw(Integer.toString(data.get(off) & 0xff));
                    default -> intBits(i, bitOffset, off);
                }
            }
            case BtfType.Int.SIGNED -> {
                switch (bits) {
                    case 64 -> w.raw(Long.toString(data.getLong(off)));
                    case 32 -> w.raw(Integer.toString(data.getInt(off)));
                    case 16 -> w.raw(Short.toString(data.getShort(off)));
                    case 8 -> w.raw(Byte.toString(data.get(off)));
                    default -> intBits(i, bitOffset, off);
                }
            }
            case BtfType.Int.CHAR -> {
                int c = data.get(off) & 0xff;
                if (c >= 0x20 && c < 0x7f) {
                    w.raw("\"" + (char) c + "\"");
                } else {
                    w.raw(plainText ? "0x" + Integer.toHexString(c) : String.format("\"\\u00%02x\"", c));
                }
            }
            default -> w.value(data.get(off) != 0);
        }
        return true;
    }

    private void intBits(BtfType.Int i, int bitOffset, int off) {
        int total = bitOffset + i.bitOffset();
        bitfield(i.bits(), total % 8, off + total / 8);
    }

    /** {@code bits} bits starting {@code bitOffset} bits into the byte at {@code off}, in hex. */
    private void bitfield(int bits, int bitOffset, int off) {
        int bytes = (bitOffset + bits + 7) / 8;
        BigInteger value = unsigned(off, bytes).shiftRight(bitOffset);
        hex(value.and(BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE)));
    }

    /** The little-endian unsigned number in {@code count} bytes at {@code off}. */
    private BigInteger unsigned(int off, int count) {
        byte[] be = new byte[count + 1];
        for (int k = 0; k < count; k++) {
            be[count - k] = data.get(off + k);
        }
        return new BigInteger(be);
    }

    private void hex(BigInteger value) {
        String hex = "0x" + value.toString(16);
        w.raw(plainText ? hex : "\"" + hex + "\"");
    }
}
