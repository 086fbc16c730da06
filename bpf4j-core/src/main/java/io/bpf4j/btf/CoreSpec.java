package io.bpf4j.btf;

import io.bpf4j.btf.BtfExt.CoreReloKind;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * One side (local or target) of a CO-RE relocation, as libbpf's {@code bpf_core_spec}: the
 * root type, the high-level accessors (named members and array indexes) and the raw access
 * path, with the bit offset it reaches. Mutable on purpose: matching a candidate builds it
 * up and backs off step by step, and a failed match is printed in the state it was left in.
 */
final class CoreSpec {
    static final int MAX_LEN = 64;

    static final int EINVAL = -22;
    static final int E2BIG = -7;
    static final int ERANGE = -34;
    static final int EOPNOTSUPP = -95;
    /** libbpf's "poison this instruction" request. */
    static final int EUCLEAN = -117;

    Btf btf;
    int rootTypeId;
    CoreReloKind kind;
    final int[] accType = new int[MAX_LEN];
    final int[] accIdx = new int[MAX_LEN];
    final String[] accName = new String[MAX_LEN];
    int len;
    final int[] raw = new int[MAX_LEN];
    int rawLen;
    /** Unsigned 32-bit, as libbpf keeps it. */
    int bitOffset;

    void reset(Btf btf, int rootTypeId, CoreReloKind kind) {
        this.btf = btf;
        this.rootTypeId = rootTypeId;
        this.kind = kind;
        Arrays.fill(accType, 0);
        Arrays.fill(accIdx, 0);
        Arrays.fill(accName, null);
        Arrays.fill(raw, 0);
        len = 0;
        rawLen = 0;
        bitOffset = 0;
    }

    void copyFrom(CoreSpec o) {
        btf = o.btf;
        rootTypeId = o.rootTypeId;
        kind = o.kind;
        System.arraycopy(o.accType, 0, accType, 0, MAX_LEN);
        System.arraycopy(o.accIdx, 0, accIdx, 0, MAX_LEN);
        System.arraycopy(o.accName, 0, accName, 0, MAX_LEN);
        System.arraycopy(o.raw, 0, raw, 0, MAX_LEN);
        len = o.len;
        rawLen = o.rawLen;
        bitOffset = o.bitOffset;
    }

    void push(int typeId, int idx, String name) {
        accType[len] = typeId;
        accIdx[len] = idx;
        accName[len] = name;
        len++;
    }

    static boolean isFieldBased(CoreReloKind k) {
        return k.ordinal() <= CoreReloKind.FIELD_RSHIFT_U64.ordinal();
    }

    static boolean isTypeBased(CoreReloKind k) {
        return switch (k) {
            case TYPE_ID_LOCAL, TYPE_ID_TARGET, TYPE_EXISTS, TYPE_MATCHES, TYPE_SIZE -> true;
            default -> false;
        };
    }

    static boolean isEnumvalBased(CoreReloKind k) {
        return k == CoreReloKind.ENUMVAL_EXISTS || k == CoreReloKind.ENUMVAL_VALUE;
    }

    /** The kernel's numeric relocation kind ({@code enum bpf_core_relo_kind}). */
    static int kindId(CoreReloKind k) {
        return k.ordinal();
    }

    /**
     * Length of {@code name} without its flavor suffix: the part after the last {@code ___}
     * that has a non-underscore on both sides ({@code task_struct___v2} gives 11).
     */
    static int essentialLength(String name) {
        for (int i = name.length() - 5; i >= 0; i--) {
            if (name.charAt(i) != '_' && name.charAt(i + 1) == '_' && name.charAt(i + 2) == '_' && name.charAt(i + 3) == '_'
                    && name.charAt(i + 4) != '_') {
                return i + 1;
            }
        }
        return name.length();
    }

    static boolean essentialNamesEqual(String a, String b) {
        int la = essentialLength(a);
        return la == essentialLength(b) && a.regionMatches(0, b, 0, la);
    }

    /** The type with this id, or null for void (id 0). */
    static BtfType typeOrVoid(Btf btf, int id) {
        return id == 0 ? null : btf.type(id);
    }

    static BtfKind kindOf(Btf btf, int id) {
        return id == 0 ? null : btf.type(id).kind();
    }

    /** libbpf's {@code btf_kind_str}. */
    static String kindName(BtfType t) {
        return t == null ? "void" : t.kind().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** libbpf's {@code btf__resolve_size}: bytes, or a negative errno. */
    static long resolveSize(Btf btf, int id) {
        long size = id == 0 ? -1 : btf.sizeOrNegative(id);
        return size >= 0 ? size : EINVAL;
    }

    /** The access path as a string of indexes separated by colons: sscanf("%d%n") semantics. */
    private static int parseIndexes(String s, CoreSpec spec) {
        int pos = 0;
        while (pos < s.length()) {
            if (s.charAt(pos) == ':') {
                pos++;
            }
            while (pos < s.length() && " \t\n\u000b\f\r".indexOf(s.charAt(pos)) >= 0) {
                pos++;
            }
            int start = pos;
            if (pos < s.length() && (s.charAt(pos) == '-' || s.charAt(pos) == '+')) {
                pos++;
            }
            int digits = pos;
            while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
                pos++;
            }
            if (pos == digits) {
                return EINVAL;
            }
            long v;
            try {
                v = Long.parseLong(s.substring(start, pos));
            } catch (NumberFormatException e) {
                return EINVAL;
            }
            // Negative indexes have no meaning; libbpf's behaviour on them is undefined.
            if (v < 0 || v > Integer.MAX_VALUE) {
                return EINVAL;
            }
            if (spec.rawLen == MAX_LEN) {
                return E2BIG;
            }
            spec.raw[spec.rawLen++] = (int) v;
        }
        return 0;
    }

    /**
     * Parses relocation {@code relo} of {@code btf} into this spec ({@code bpf_core_parse_spec}):
     * 0, or a negative errno.
     */
    int parse(String progName, Btf local, BtfExt.CoreRelo relo, Consumer<String> log) {
        String s = relo.accessString();
        if (s.isEmpty() || s.charAt(0) == ':') {
            return EINVAL;
        }
        reset(local, relo.typeId(), relo.kind());
        if (isTypeBased(kind)) {
            return s.equals("0") ? 0 : EINVAL;
        }
        int err = parseIndexes(s, this);
        if (err != 0) {
            return err;
        }
        if (rawLen == 0) {
            return EINVAL;
        }
        int id = local.resolve(relo.typeId());
        BtfType t = typeOrVoid(local, id);
        int accessIdx = raw[0];
        push(id, accessIdx, null);
        if (isEnumvalBased(kind)) {
            if (!(t instanceof BtfType.Enumeration e) || rawLen > 1 || accessIdx >= e.values().size()) {
                return EINVAL;
            }
            accName[0] = e.values().get(accessIdx).name();
            return 0;
        }
        if (!isFieldBased(kind)) {
            return EINVAL;
        }
        long sz = resolveSize(local, id);
        if (sz < 0) {
            return (int) sz;
        }
        bitOffset = (int) (accessIdx * sz * 8);
        for (int i = 1; i < rawLen; i++) {
            id = local.resolve(id);
            t = typeOrVoid(local, id);
            accessIdx = raw[i];
            if (t instanceof BtfType.Composite c) {
                if (accessIdx >= c.members().size()) {
                    return EINVAL;
                }
                BtfType.Member m = c.members().get(accessIdx);
                bitOffset += m.bitOffset();
                if (!m.name().isEmpty()) {
                    push(id, accessIdx, m.name());
                }
                id = m.type();
            } else if (t instanceof BtfType.Array a) {
                id = local.resolve(a.type());
                boolean flex = isFlexArray(local, len - 1, a);
                if (!flex && Integer.compareUnsigned(accessIdx, a.length()) >= 0) {
                    return EINVAL;
                }
                push(id, accessIdx, null);
                sz = resolveSize(local, id);
                if (sz < 0) {
                    return (int) sz;
                }
                bitOffset += (int) (accessIdx * sz * 8);
            } else {
                log.accept(String.format("prog '%s': relo for [%d] %s (at idx %d) captures type [%d] of unexpected kind %s",
                        progName, relo.typeId(), s, i, id, kindName(t)));
                return EINVAL;
            }
        }
        return 0;
    }

    /** A zero-length array that is the last member of the struct accessor {@code acc} leads into. */
    boolean isFlexArray(Btf b, int acc, BtfType.Array a) {
        if (acc < 0 || accName[acc] == null || a.length() != 0) {
            return false;
        }
        return b.type(accType[acc]) instanceof BtfType.Composite c && accIdx[acc] == c.members().size() - 1;
    }

    /** libbpf's {@code bpf_core_format_spec}, cut to its 255-character buffer. */
    String format() {
        StringBuilder sb = new StringBuilder();
        BtfType t = typeOrVoid(btf, rootTypeId);
        String name = t == null ? "" : t.name();
        sb.append('<').append(kind.libbpfName()).append("> [").append(rootTypeId).append("] ").append(kindName(t)).append(' ')
                .append(name.isEmpty() ? "<anon>" : name);
        if (isTypeBased(kind)) {
            return cut(sb);
        }
        if (isEnumvalBased(kind)) {
            BtfType e = typeOrVoid(btf, btf.resolve(rootTypeId));
            if (e instanceof BtfType.Enumeration en && raw[0] < en.values().size()) {
                BtfType.EnumValue v = en.values().get(raw[0]);
                sb.append("::").append(v.name()).append(" = ");
                if (en instanceof BtfType.Enum) {
                    sb.append(en.signed() ? Integer.toString((int) v.value()) : Integer.toUnsignedString((int) v.value()));
                } else {
                    sb.append(en.signed() ? Long.toString(v.value()) : Long.toUnsignedString(v.value()));
                }
            }
            return cut(sb);
        }
        for (int i = 0; i < len; i++) {
            if (accName[i] != null) {
                sb.append('.').append(accName[i]);
            } else if (i > 0 || accIdx[i] > 0) {
                sb.append('[').append(Integer.toUnsignedString(accIdx[i])).append(']');
            }
        }
        sb.append(" (");
        for (int i = 0; i < rawLen; i++) {
            sb.append(i == 0 ? "" : ":").append(raw[i]);
        }
        long bits = Integer.toUnsignedLong(bitOffset);
        sb.append(" @ offset ").append(bits / 8);
        if (bits % 8 != 0) {
            sb.append('.').append(bits % 8);
        }
        sb.append(')');
        return cut(sb);
    }

    private static String cut(StringBuilder sb) {
        return sb.length() > 255 ? sb.substring(0, 255) : sb.toString();
    }
}
