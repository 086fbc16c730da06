package io.bpf4j.btf;

import io.bpf4j.BpfFormatException;
import io.bpf4j.btf.BtfType.EnumValue;
import io.bpf4j.btf.BtfType.Linkage;
import io.bpf4j.btf.BtfType.Member;
import io.bpf4j.btf.BtfType.Param;
import io.bpf4j.btf.BtfType.VarSecinfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * Decodes a BTF blob (header, type section, string section) in either byte order and
 * checks it: every fault is a {@link BpfFormatException} naming the type id and the
 * byte offset in the blob.
 */
final class BtfParser {
    static final int MAGIC = 0xEB9F;
    static final int HEADER_LEN = 24;
    static final int TYPE_LEN = 12;
    /** Bits of btf_type.info the format defines: vlen, kind, kind_flag. */
    private static final int INFO_MASK = 0x9f00ffff;

    private final ByteBuffer buf;
    private final String source;
    private final Btf base;
    private StringTable strings;
    private int typeStart;
    private int id;
    private int pos;

    private BtfParser(byte[] data, Btf base, String source) {
        this.buf = ByteBuffer.wrap(data);
        this.base = base;
        this.source = source;
    }

    static Btf parse(byte[] data, Btf base, String source) {
        return new BtfParser(data, base, source).parse();
    }

    private BpfFormatException error(String message) {
        return new BpfFormatException(source + ": " + message);
    }

    private BpfFormatException typeError(int typeId, int offset, String message) {
        return error("type [" + typeId + "] at offset " + offset + ": " + message);
    }

    private Btf parse() {
        int len = buf.capacity();
        if (len < HEADER_LEN) {
            throw error("truncated BTF header: " + len + " bytes, the header needs " + HEADER_LEN);
        }
        ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        int magic = buf.order(order).getShort(0) & 0xffff;
        if (magic != MAGIC) {
            order = ByteOrder.BIG_ENDIAN;
            if ((buf.order(order).getShort(0) & 0xffff) != MAGIC) {
                throw error(String.format("bad BTF magic 0x%04x at offset 0, expected 0x%04x", magic, MAGIC));
            }
        }
        int version = buf.get(2) & 0xff;
        if (version != 1) {
            throw error("unsupported BTF version " + version + " at offset 2, expected 1");
        }
        long hdrLen = u32(4);
        long typeOff = u32(8);
        long typeLen = u32(12);
        long strOff = u32(16);
        long strLen = u32(20);
        if (hdrLen < HEADER_LEN || hdrLen > len) {
            throw error("BTF header length " + hdrLen + " at offset 4 is outside " + HEADER_LEN + ".." + len);
        }
        for (int i = HEADER_LEN; i < hdrLen; i++) {
            if (buf.get(i) != 0) {
                throw error("unknown non-zero BTF header byte at offset " + i);
            }
        }
        if (typeOff % 4 != 0) {
            throw error("BTF type section offset " + typeOff + " is not 4-byte aligned");
        }
        if (typeOff + typeLen > strOff) {
            throw error("BTF type section (" + typeOff + " + " + typeLen + ") overlaps the string section at " + strOff);
        }
        if (hdrLen + strOff + strLen > len) {
            throw error("BTF string section ends at " + (hdrLen + strOff + strLen) + ", past the end of the data (" + len + " bytes)");
        }
        int strStart = (int) (hdrLen + strOff);
        byte[] strBytes = Arrays.copyOfRange(buf.array(), strStart, strStart + (int) strLen);
        if (strLen == 0 ? base == null : strBytes[(int) strLen - 1] != 0) {
            throw error("BTF string section at offset " + strStart + " is empty or does not end with NUL");
        }
        if (base == null && strBytes[0] != 0) {
            throw error("BTF string section at offset " + strStart + " does not start with an empty string");
        }
        strings = new StringTable(base == null ? null : base.strings(), strBytes);
        typeStart = (int) (hdrLen + typeOff);
        int typeEnd = typeStart + (int) typeLen;
        int firstId = base == null ? 1 : base.typeCount();
        BtfType[] types = new BtfType[Math.max(16, (int) (typeLen / 16))];
        int[] offsets = new int[types.length];
        int n = 0;
        pos = typeStart;
        while (pos < typeEnd) {
            id = firstId + n;
            if (n == types.length) {
                types = Arrays.copyOf(types, n * 2);
                offsets = Arrays.copyOf(offsets, n * 2);
            }
            offsets[n] = pos;
            types[n++] = type(typeEnd);
        }
        types = Arrays.copyOf(types, n);
        int[] typeOffsets = offsets;
        strings.releaseCache();
        Btf btf = new Btf(base, types, strings, order);
        new BtfValidator(btf, (typeId, message) -> typeError(typeId, typeOffsets[typeId - firstId], message)).validate();
        return btf;
    }

    private long u32(int at) {
        return Integer.toUnsignedLong(buf.getInt(at));
    }

    private String name(int off, int at) {
        if (!strings.contains(off)) {
            throw typeError(id, at, "name offset " + Integer.toUnsignedString(off) + " is outside the string section (length " + strings.end() + ")");
        }
        return strings.get(off);
    }

    private BtfType type(int typeEnd) {
        int at = pos;
        if (typeEnd - at < TYPE_LEN) {
            throw typeError(id, at, "truncated: " + (typeEnd - at) + " bytes left in the type section, a type needs " + TYPE_LEN);
        }
        int nameOff = buf.getInt(at);
        int info = buf.getInt(at + 4);
        int sizeOrType = buf.getInt(at + 8);
        if ((info & ~INFO_MASK) != 0) {
            throw typeError(id, at, String.format("reserved bits set in info 0x%08x", info));
        }
        int kindId = (info >>> 24) & 0x1f;
        BtfKind kind = BtfKind.ofId(kindId);
        if (kind == null) {
            throw typeError(id, at, "unknown kind " + kindId);
        }
        int vlen = info & 0xffff;
        boolean kflag = info < 0;
        int extra = switch (kind) {
            case INT, VAR, DECL_TAG -> 4;
            case ARRAY -> 12;
            case STRUCT, UNION, ENUM64, DATASEC -> 12 * vlen;
            case ENUM, FUNC_PROTO -> 8 * vlen;
            default -> 0;
        };
        if (typeEnd - at - TYPE_LEN < extra) {
            throw typeError(id, at, kind + " with vlen " + vlen + " needs " + (TYPE_LEN + extra)
                    + " bytes, only " + (typeEnd - at) + " left in the type section");
        }
        boolean usesVlen = switch (kind) {
            case STRUCT, UNION, ENUM, ENUM64, FUNC_PROTO, DATASEC, FUNC -> true;
            default -> false;
        };
        if (!usesVlen && vlen != 0) {
            throw typeError(id, at, kind + " must have vlen 0, has " + vlen);
        }
        boolean usesKflag = switch (kind) {
            case STRUCT, UNION, ENUM, ENUM64, FWD, TYPE_TAG, DECL_TAG -> true;
            default -> false;
        };
        if (!usesKflag && kflag) {
            throw typeError(id, at, kind + " must not have kind_flag set");
        }
        boolean named = switch (kind) {
            case PTR, ARRAY, VOLATILE, CONST, RESTRICT, FUNC_PROTO -> false;
            default -> true;
        };
        if (!named && nameOff != 0) {
            throw typeError(id, at, kind + " must be anonymous, has name offset " + Integer.toUnsignedString(nameOff));
        }
        String name = named ? name(nameOff, at) : "";
        int x = at + TYPE_LEN;
        pos = x + extra;
        return switch (kind) {
            case INT -> {
                int v = buf.getInt(x);
                if ((v & 0xf000ff00) != 0) {
                    throw typeError(id, at, String.format("reserved bits set in INT data 0x%08x", v));
                }
                int encoding = (v >>> 24) & 0xf;
                if (encoding != 0 && encoding != BtfType.Int.SIGNED && encoding != BtfType.Int.CHAR && encoding != BtfType.Int.BOOL) {
                    throw typeError(id, at, "INT '" + name + "' has invalid encoding " + encoding);
                }
                yield new BtfType.Int(name, sizeOrType, encoding, (v >>> 16) & 0xff, v & 0xff);
            }
            case PTR -> new BtfType.Ptr(sizeOrType);
            case ARRAY -> {
                if (sizeOrType != 0) {
                    throw typeError(id, at, "ARRAY must have size 0, has " + Integer.toUnsignedString(sizeOrType));
                }
                yield new BtfType.Array(buf.getInt(x), buf.getInt(x + 4), buf.getInt(x + 8));
            }
            case STRUCT -> new BtfType.Struct(name, sizeOrType, members(x, vlen, kflag), kflag);
            case UNION -> new BtfType.Union(name, sizeOrType, members(x, vlen, kflag), kflag);
            case ENUM -> {
                EnumValue[] values = new EnumValue[vlen];
                for (int i = 0; i < vlen; i++, x += 8) {
                    int v = buf.getInt(x + 4);
                    values[i] = new EnumValue(name(buf.getInt(x), x), kflag ? v : Integer.toUnsignedLong(v));
                }
                yield new BtfType.Enum(name, sizeOrType, kflag, List.of(values));
            }
            case ENUM64 -> {
                EnumValue[] values = new EnumValue[vlen];
                for (int i = 0; i < vlen; i++, x += 12) {
                    long v = Integer.toUnsignedLong(buf.getInt(x + 4)) | ((long) buf.getInt(x + 8) << 32);
                    values[i] = new EnumValue(name(buf.getInt(x), x), v);
                }
                yield new BtfType.Enum64(name, sizeOrType, kflag, List.of(values));
            }
            case FWD -> {
                if (sizeOrType != 0) {
                    throw typeError(id, at, "FWD must have type 0, has " + Integer.toUnsignedString(sizeOrType));
                }
                yield new BtfType.Fwd(name, kflag);
            }
            case TYPEDEF -> new BtfType.Typedef(name, sizeOrType);
            case VOLATILE -> new BtfType.Volatile(sizeOrType);
            case CONST -> new BtfType.Const(sizeOrType);
            case RESTRICT -> new BtfType.Restrict(sizeOrType);
            case TYPE_TAG -> new BtfType.TypeTag(name, sizeOrType, kflag);
            case FUNC -> new BtfType.Func(name, sizeOrType, linkage(vlen, at, "FUNC"));
            case FUNC_PROTO -> {
                Param[] params = new Param[vlen];
                for (int i = 0; i < vlen; i++, x += 8) {
                    params[i] = new Param(name(buf.getInt(x), x), buf.getInt(x + 4));
                }
                yield new BtfType.FuncProto(sizeOrType, List.of(params));
            }
            case VAR -> new BtfType.Var(name, sizeOrType, linkage(buf.getInt(x), at, "VAR"));
            case DATASEC -> {
                VarSecinfo[] vars = new VarSecinfo[vlen];
                for (int i = 0; i < vlen; i++, x += 12) {
                    vars[i] = new VarSecinfo(buf.getInt(x), buf.getInt(x + 4), buf.getInt(x + 8));
                }
                yield new BtfType.Datasec(name, sizeOrType, List.of(vars));
            }
            case FLOAT -> new BtfType.Float(name, sizeOrType);
            case DECL_TAG -> new BtfType.DeclTag(name, sizeOrType, buf.getInt(x), kflag);
        };
    }

    private List<Member> members(int x, int vlen, boolean kflag) {
        Member[] members = new Member[vlen];
        for (int i = 0; i < vlen; i++, x += 12) {
            int off = buf.getInt(x + 8);
            members[i] = kflag
                    ? new Member(name(buf.getInt(x), x), buf.getInt(x + 4), off & 0xffffff, off >>> 24)
                    : new Member(name(buf.getInt(x), x), buf.getInt(x + 4), off, 0);
        }
        return List.of(members);
    }

    private Linkage linkage(int value, int at, String kind) {
        Linkage[] all = Linkage.values();
        if (value < 0 || value >= all.length) {
            throw typeError(id, at, kind + " has unknown linkage " + Integer.toUnsignedString(value));
        }
        return all[value];
    }
}
