package io.bpf4j.gen;

import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfType;
import java.util.Locale;

/** How C writes a BTF type, for the documentation of generated code: {@code __u32}, {@code struct flow_key}, {@code char[16]}. */
final class CTypes {
    private CTypes() {}

    static String name(Btf btf, int id) {
        if (id == 0) {
            return "void";
        }
        return switch (btf.type(id)) {
            case BtfType.Int i -> i.name();
            case BtfType.Float f -> f.name();
            case BtfType.Typedef t -> t.name();
            case BtfType.Struct s -> "struct " + orAnonymous(s.name());
            case BtfType.Union u -> "union " + orAnonymous(u.name());
            case BtfType.Enumeration e -> "enum " + orAnonymous(e.name());
            case BtfType.Fwd f -> (f.union() ? "union " : "struct ") + f.name();
            case BtfType.Ptr p -> btf.resolve(p.type()) != 0 && btf.type(btf.resolve(p.type())) instanceof BtfType.FuncProto
                    ? "function pointer"
                    : name(btf, p.type()) + " *";
            case BtfType.Array a -> array(btf, a);
            case BtfType.Const c -> "const " + name(btf, c.type());
            case BtfType.Volatile v -> "volatile " + name(btf, v.type());
            case BtfType.Restrict r -> name(btf, r.type());
            case BtfType.TypeTag t -> name(btf, t.type());
            case BtfType.FuncProto _ -> "function";
            default -> btf.type(id).kind().name().toLowerCase(Locale.ROOT);
        };
    }

    /** {@code int[3][4][5]}: the outermost length first, as C declares it. */
    private static String array(Btf btf, BtfType.Array a) {
        StringBuilder dims = new StringBuilder();
        BtfType.Array at = a;
        while (true) {
            dims.append('[').append(Integer.toUnsignedString(at.length())).append(']');
            if (at.type() != 0 && btf.type(at.type()) instanceof BtfType.Array inner) {
                at = inner;
            } else {
                return name(btf, at.type()) + dims;
            }
        }
    }

    private static String orAnonymous(String name) {
        return name.isEmpty() ? "(anonymous)" : name;
    }
}
