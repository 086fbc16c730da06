package io.bpf4j.cli;

import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfType;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Data printed through its BTF type as bpftool's btf_dumper prints it: structs as objects,
 * arrays as arrays (char arrays holding a string as that string), integers by encoding,
 * bitfields and 128-bit integers in hex, enums by name. {@code plainText} is bpftool's
 * mode for plain (non {@code -j}) output, which differs for pointers, chars and hex.
 */
final class BtfDumper {
    private final Btf btf;
    private final JsonWriter w;
    private final boolean plainText;

    BtfDumper(Btf btf, JsonWriter w, boolean plainText) {
        this.btf = btf;
        this.w = w;
        this.plainText = plainText;
    }

    /** Prints the value of type {@code id} at {@code offset} of {@code data}; false when bpftool would report an error. */
    boolean dump(int id, byte[] data, int offset) {
        return type(id, 0, data, offset);
    }

    private boolean type(int id, int bitOffset, byte[] data, int off) {
        BtfType t = id == 0 ? null : btf.type(id);
        return switch (t) {
            case null -> {
                w.raw("(unknown)");
                yield true;
            }
            case BtfType.Int i -> {
                integer(i, bitOffset, data, off);
                yield true;
            }
            case BtfType.Composite c -> composite(c, data, off);
            case BtfType.Array a -> array(a, data, off);
            case BtfType.Enum e -> enumeration(e, data, off);
            case BtfType.Enum64 e -> enumeration64(e, data, off);
            case BtfType.Ptr p -> {
                long v = ByteBuffer.wrap(data, off, 8).order(ByteOrder.nativeOrder()).getLong();
                w.raw(plainText ? (v == 0 ? "(nil)" : "0x" + Long.toHexString(v)) : Long.toUnsignedString(v));
                yield true;
            }
            case BtfType.Fwd f -> {
                w.raw("(fwd-kind-invalid)");
                yield false;
            }
            case BtfType.Typedef td -> resolved(id, bitOffset, data, off);
            case BtfType.Volatile v -> resolved(id, bitOffset, data, off);
            case BtfType.Const c -> resolved(id, bitOffset, data, off);
            case BtfType.Restrict r -> resolved(id, bitOffset, data, off);
            case BtfType.Var v -> {
                w.startObject().name(v.name());
                boolean ok = type(v.type(), bitOffset, data, off);
                w.endObject();
                yield ok;
            }
            case BtfType.Datasec d -> {
                w.startObject().name(d.name()).startArray();
                boolean ok = true;
                for (BtfType.VarSecinfo vsi : d.vars()) {
                    if (!(ok = type(vsi.type(), 0, data, off + vsi.offset()))) {
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

    /** Through typedefs, modifiers and vars to the type underneath, as libbpf's btf__resolve_type. */
    private boolean resolved(int id, int bitOffset, byte[] data, int off) {
        int depth = 0;
        while (id != 0 && depth < 32 && (btf.type(id) instanceof BtfType.Modifier || btf.type(id) instanceof BtfType.Typedef
                || btf.type(id) instanceof BtfType.Var)) {
            id = ((BtfType.Ref) btf.type(id)).type();
            depth++;
        }
        if (id == 0 || depth == 32) {
            return false;
        }
        return type(id, bitOffset, data, off);
    }

    private void integer(BtfType.Int t, int bitOffset, byte[] data, int off) {
        int bits = t.bits();
        if (bitOffset != 0 || t.bitOffset() != 0 || bits % 8 != 0) {
            int total = bitOffset + t.bitOffset();
            bitfield(bits, total % 8, data, off + total / 8);
            return;
        }
        if (bits == 128) {
            hex128(new BigInteger(1, reversed(data, off, 16)));
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
        switch (t.encoding()) {
            case 0 -> {
                switch (bits) {
                    case 64 -> w.raw(Long.toUnsignedString(b.getLong(off)));
                    case 32 -> w.raw(Integer.toUnsignedString(b.getInt(off)));
                    case 16 -> w.raw(Integer.toString(Short.toUnsignedInt(b.getShort(off))));
                    case 8 -> w.raw(Integer.toString(Byte.toUnsignedInt(data[off])));
                    default -> bitfield(bits, 0, data, off);
                }
            }
            case BtfType.Int.SIGNED -> {
                switch (bits) {
                    case 64 -> w.raw(Long.toString(b.getLong(off)));
                    case 32 -> w.raw(Integer.toString(b.getInt(off)));
                    case 16 -> w.raw(Short.toString(b.getShort(off)));
                    case 8 -> w.raw(Byte.toString(data[off]));
                    default -> bitfield(bits, 0, data, off);
                }
            }
            case BtfType.Int.CHAR -> {
                int c = data[off] & 0xff;
                if (c >= 0x20 && c < 0x7f) {
                    w.raw("\"" + (char) c + "\"");
                } else {
                    w.raw(plainText ? "0x" + Integer.toHexString(c) : String.format("\"\\u00%02x\"", c));
                }
            }
            case BtfType.Int.BOOL -> w.value(data[off] != 0);
            default -> w.raw("");
        }
    }

    /** {@code bits} bits from bit {@code bitOffset} of the bytes at {@code off}, in hex as bpftool prints bitfields. */
    private void bitfield(int bits, int bitOffset, byte[] data, int off) {
        int bytes = (bitOffset + bits + 7) / 8;
        BigInteger raw = new BigInteger(1, reversed(data, off, Math.min(bytes, data.length - off)));
        hex128(raw.shiftRight(bitOffset).and(BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE)));
    }

    private void hex128(BigInteger v) {
        String hex = v.bitLength() <= 64 ? v.toString(16)
                : v.shiftRight(64).toString(16) + String.format("%016x", v.longValue());
        w.raw(plainText ? "0x" + hex : "\"0x" + hex + "\"");
    }

    /** {@code n} bytes from {@code off}, most significant first (the machine is little-endian). */
    private static byte[] reversed(byte[] data, int off, int n) {
        byte[] r = new byte[n];
        for (int i = 0; i < n; i++) {
            r[i] = data[off + n - 1 - i];
        }
        return r;
    }

    private boolean composite(BtfType.Composite c, byte[] data, int off) {
        w.startObject();
        boolean ok = true;
        for (BtfType.Member m : c.members()) {
            w.name(m.name());
            int at = off + m.bitOffset() / 8;
            if (m.bitfieldSize() != 0) {
                bitfield(m.bitfieldSize(), m.bitOffset() % 8, data, at);
            } else if (!(ok = type(m.type(), m.bitOffset() % 8, data, at))) {
                break;
            }
        }
        w.endObject();
        return ok;
    }

    private boolean array(BtfType.Array a, byte[] data, int off) {
        String s = string(a, data, off);
        if (s != null) {
            w.value(s);
            return true;
        }
        long elementSize;
        try {
            elementSize = btf.sizeOf(a.type());
        } catch (IllegalArgumentException e) {
            return false;
        }
        w.startArray();
        boolean ok = true;
        for (int i = 0; i < a.length(); i++) {
            if (!(ok = type(a.type(), 0, data, (int) (off + i * elementSize)))) {
                break;
            }
        }
        w.endArray();
        return ok;
    }

    /** The string in a char array, or null when the array is not one (no NUL, or a byte that is not printable ASCII). */
    private String string(BtfType.Array a, byte[] data, int off) {
        if (a.length() == 0) {
            return null;
        }
        int e = a.type();
        while (e != 0 && btf.type(e) instanceof BtfType.Modifier m) {
            e = m.type();
        }
        if (e == 0 || !(btf.type(e) instanceof BtfType.Int i) || i.size() != 1
                || i.encoding() != BtfType.Int.CHAR && !i.name().equals("char")) {
            return null;
        }
        for (int k = 0; k < a.length() && off + k < data.length; k++) {
            int c = data[off + k];
            if (c == 0) {
                return new String(data, off, k, StandardCharsets.US_ASCII);
            }
            if (c <= 0x1f || c >= 0x7f) {
                return null;
            }
        }
        return null;
    }

    private boolean enumeration(BtfType.Enum e, byte[] data, int off) {
        Long value = signedOfSize(e.size(), data, off);
        if (value == null) {
            return false;
        }
        for (BtfType.EnumValue v : e.values()) {
            if (value == (long) (int) v.value()) {
                w.value(v.name());
                return true;
            }
        }
        w.value(value);
        return true;
    }

    private boolean enumeration64(BtfType.Enum64 e, byte[] data, int off) {
        long value = ByteBuffer.wrap(data, off, 8).order(ByteOrder.nativeOrder()).getLong();
        for (BtfType.EnumValue v : e.values()) {
            if (value == v.value()) {
                w.value(v.name());
                return true;
            }
        }
        w.value(value);
        return true;
    }

    private static Long signedOfSize(int size, byte[] data, int off) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
        return switch (size) {
            case 8 -> b.getLong(off);
            case 4 -> (long) b.getInt(off);
            case 2 -> (long) b.getShort(off);
            case 1 -> (long) data[off];
            default -> null;
        };
    }
}
