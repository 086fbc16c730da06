package io.bpf4j.gen;

import io.bpf4j.BpfFormatException;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Chooses the Java type of each BTF type an object's maps, globals and events use, and
 * collects the records its structs and unions become.
 */
final class TypeMapper {
    /** Records use at most this many parameter slots (the JVM allows 255 with {@code this}). */
    private static final int MAX_SLOTS = 250;
    /** Names a component of a generated record may not have: Object's methods, the record's own members. */
    private static final Set<String> RESERVED_COMPONENTS = Set.of("hashCode", "toString", "getClass", "equals", "wait", "notify",
            "notifyAll", "clone", "finalize", "encode", "decode", "SIZE", "CODEC");
    /** A union's record also has its {@code bytes}. */
    private static final Set<String> RESERVED_MEMBERS = plus(RESERVED_COMPONENTS, "bytes");

    private static Set<String> plus(Set<String> names, String more) {
        Set<String> all = new HashSet<>(names);
        all.add(more);
        return Set.copyOf(all);
    }

    private final Btf btf;
    private final String objectName;
    private final Names.Scope typeNames;
    private final Map<Integer, RecordModel> byId = new HashMap<>();
    private final Map<String, RecordModel> records = new LinkedHashMap<>();

    TypeMapper(Btf btf, String objectName, Names.Scope typeNames) {
        this.btf = btf;
        this.objectName = objectName;
        this.typeNames = typeNames;
    }

    /** The records made so far, each after the records it contains. */
    List<RecordModel> records() {
        return new ArrayList<>(records.values());
    }

    /**
     * The Java type of BTF type {@code id}, or empty for a type with no value (void,
     * functions, incomplete structs) or with no size. {@code hint} names an anonymous struct.
     */
    Optional<JavaType> map(int id, String hint) {
        int resolved = id;
        String name = hint;
        while (resolved != 0) {
            BtfType t = btf.type(resolved);
            if (t instanceof BtfType.Typedef td) {
                name = Names.pascal(td.name(), name);
                resolved = td.type();
            } else if (t instanceof BtfType.Modifier m) {
                resolved = m.type();
            } else {
                break;
            }
        }
        if (resolved == 0) {
            return Optional.empty();
        }
        return switch (btf.type(resolved)) {
            case BtfType.Int i -> Optional.of(integer(i));
            case BtfType.Float f -> Optional.of(f.size() == 4 ? scalar(JavaType.Primitive.FLOAT)
                    : f.size() == 8 ? scalar(JavaType.Primitive.DOUBLE) : new JavaType.Raw(f.size(), btf.alignOf(resolved)));
            case BtfType.Enumeration e -> Optional.of(sized(e.size(), btf.alignOf(resolved)));
            case BtfType.Ptr p -> Optional.of(sized(btf.pointerSize(), btf.pointerSize()));
            case BtfType.Array a -> array(a, name);
            case BtfType.Composite c -> Optional.of(composite(resolved, c, name));
            default -> Optional.empty();
        };
    }

    /** The Java type of {@code id}, or raw bytes of {@code size} when it has none. */
    JavaType mapOrRaw(int id, String hint, int size) {
        return map(id, hint).filter(t -> t.size() == size).orElseGet(() -> new JavaType.Raw(size, 1));
    }

    private static JavaType scalar(JavaType.Primitive p) {
        return new JavaType.Scalar(p);
    }

    private static JavaType sized(int size, int alignment) {
        return switch (size) {
            case 1, 2, 4, 8 -> scalar(JavaType.Primitive.ofSize(size));
            default -> new JavaType.Raw(size, alignment);
        };
    }

    private static JavaType integer(BtfType.Int i) {
        if ((i.encoding() & BtfType.Int.BOOL) != 0 && i.size() == 1) {
            return scalar(JavaType.Primitive.BOOLEAN);
        }
        return sized(i.size(), Math.min(i.size(), 8));
    }

    /** Whether {@code id} is C's {@code char} (not {@code signed char} or {@code unsigned char}: those hold numbers). */
    private boolean isChar(int id) {
        return btf.type(btf.resolve(id)) instanceof BtfType.Int i && i.size() == 1
                && (i.name().equals("char") || (i.encoding() & BtfType.Int.CHAR) != 0 && !i.name().contains("signed"));
    }

    private Optional<JavaType> array(BtfType.Array a, String hint) {
        if (a.length() == 0) {
            return Optional.empty();
        }
        if (isChar(a.type())) {
            return Optional.of(new JavaType.Text(a.length()));
        }
        Optional<JavaType> element = map(a.type(), hint + "Element");
        if (element.isEmpty()) {
            return Optional.empty();
        }
        JavaType e = element.get();
        if (e instanceof JavaType.Scalar s && (s.primitive() == JavaType.Primitive.BYTE || s.primitive() == JavaType.Primitive.BOOLEAN)) {
            return Optional.of(new JavaType.Raw(a.length(), 1));
        }
        long size = (long) e.size() * a.length();
        return size > Integer.MAX_VALUE ? Optional.empty() : Optional.of(new JavaType.ArrayOf(e, a.length()));
    }

    /** The record of struct or union {@code id}, made on first use. */
    private JavaType composite(int id, BtfType.Composite c, String hint) {
        RecordModel known = byId.get(id);
        if (known != null) {
            return new JavaType.Composite(known);
        }
        boolean union = c instanceof BtfType.Union;
        String kind = union ? "union" : "struct";
        String javaName = typeNames.unique(Names.pascal(c.name(), hint), union ? "Union" : "Struct");
        String cName = kind + " " + (c.name().isEmpty() ? "(anonymous)" : c.name());
        List<RecordModel.Field> fields = new ArrayList<>();
        Names.Scope components = new Names.Scope(union ? RESERVED_MEMBERS : RESERVED_COMPONENTS);
        int slots = 0;
        for (BtfType.Member m : c.members()) {
            RecordModel.Field f = field(c, m, javaName, components, union);
            if (f != null) {
                fields.add(f);
                slots += f.type() instanceof JavaType.Scalar s && s.size() == 8 ? 2 : 1;
            }
        }
        if (slots > MAX_SLOTS && !union) {
            return new JavaType.Raw(c.size(), btf.alignOf(id));
        }
        RecordModel model = new RecordModel(javaName, cName, union, c.size(), btf.alignOf(id), fields);
        byId.put(id, model);
        records.put(javaName, model);
        return new JavaType.Composite(model);
    }

    private RecordModel.Field field(BtfType.Composite owner, BtfType.Member m, String ownerName, Names.Scope components,
            boolean union) {
        long bitOffset = Integer.toUnsignedLong(m.bitOffset());
        int bits = m.bitfieldSize();
        int typeId = btf.resolve(m.type());
        BtfType t = typeId == 0 ? null : btf.type(typeId);
        if (!owner.kindFlag() && t instanceof BtfType.Int i && (i.bitOffset() != 0 || i.bits() != i.size() * 8)) {
            // Old-style bitfield: the int type itself carries the width and a bit offset.
            bitOffset += i.bitOffset();
            bits = i.bits();
        }
        String anonymous = t instanceof BtfType.Union ? "Union" : "Struct";
        String javaName = components.unique(Names.camel(m.name(), "anon" + anonymous), "_");
        String where = owner.name().isEmpty() ? ownerName : owner.name();
        if (bits != 0 || bitOffset % 8 != 0) {
            int width = bits != 0 ? bits : (int) btf.sizeOf(typeId) * 8;
            boolean signed = t instanceof BtfType.Int i ? i.isSigned() : t instanceof BtfType.Enumeration e && e.signed();
            JavaType.Primitive p;
            if (t instanceof BtfType.Int i && (i.encoding() & BtfType.Int.BOOL) != 0) {
                p = JavaType.Primitive.BOOLEAN;
            } else if (t instanceof BtfType.Int || t instanceof BtfType.Enumeration) {
                p = btf.sizeOf(typeId) == 8 || width > 32 ? JavaType.Primitive.LONG : JavaType.Primitive.INT;
            } else {
                throw new BpfFormatException(objectName + ": " + owner.kind().name().toLowerCase(Locale.ROOT) + " " + where
                        + " member '" + m.name() + "' is a bitfield of a " + (t == null ? "void" : t.kind()) + ", not of an integer");
            }
            if (width > 64 || bitOffset % 8 + width > 64) {
                return null;
            }
            return new RecordModel.Field(javaName, m.name(), new JavaType.Scalar(p), (int) (bitOffset / 8), (int) (bitOffset % 8), width,
                    signed, CTypes.name(btf, m.type()) + " " + m.name() + ":" + width);
        }
        Optional<JavaType> type = map(m.type(), ownerName + Names.pascal(m.name(), anonymous));
        if (type.isEmpty() || type.get().size() == 0) {
            return null; // flexible array members, empty structs, incomplete types: nothing to read
        }
        return new RecordModel.Field(javaName, m.name(), type.get(), (int) (bitOffset / 8), 0, 0, false,
                (CTypes.name(btf, m.type()) + " " + m.name()).strip());
    }
}
