package io.bpf4j.btf;

import io.bpf4j.BpfFormatException;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Checks the types of a {@link Btf} beyond their encoding: ids in range, sizes a C
 * compiler could produce, and no loops (a type that contains itself, or a declarator
 * such as a pointer that points to itself). Afterwards every walk over the types ends.
 */
final class BtfValidator {
    /** Larger than any struct a BPF program or the kernel has (vmlinux's largest is about 240 KiB). */
    static final long MAX_COMPOSITE_SIZE = 16 << 20;

    private final Btf btf;
    private final BiFunction<Integer, String, BpfFormatException> error;
    private final int first;
    private final int count;

    BtfValidator(Btf btf, BiFunction<Integer, String, BpfFormatException> error) {
        this.btf = btf;
        this.error = error;
        this.first = btf.firstId();
        this.count = btf.typeCount();
    }

    void validate() {
        for (int id = first; id < count; id++) {
            checkType(id, btf.type(id));
        }
        findLoops(false);
        findLoops(true);
        for (int id = first; id < count; id++) {
            checkLayout(id, btf.type(id));
        }
    }

    private BpfFormatException fail(int id, String message) {
        return error.apply(id, message);
    }

    private void ref(int id, int target, String what, boolean voidAllowed) {
        if (target < 0 || target >= count) {
            throw fail(id, what + " refers to type id " + Integer.toUnsignedString(target) + ", but the last type id is " + (count - 1));
        }
        if (target == 0 && !voidAllowed) {
            throw fail(id, what + " refers to void");
        }
    }

    private void checkType(int id, BtfType t) {
        switch (t) {
            case BtfType.Int i -> {
                if (i.size() != 1 && i.size() != 2 && i.size() != 4 && i.size() != 8 && i.size() != 16) {
                    throw fail(id, "INT '" + i.name() + "' has impossible size " + Integer.toUnsignedString(i.size()));
                }
                if (i.bits() == 0 || i.bits() > 128 || i.bitOffset() + i.bits() > i.size() * 8) {
                    throw fail(id, "INT '" + i.name() + "' has " + i.bits() + " bits at bit offset " + i.bitOffset()
                            + ", which do not fit its " + i.size() + " bytes");
                }
            }
            case BtfType.Ptr p -> ref(id, p.type(), "PTR", true);
            case BtfType.Array a -> {
                ref(id, a.type(), "ARRAY element type", false);
                ref(id, a.indexType(), "ARRAY index type", false);
            }
            case BtfType.Composite c -> {
                if (Integer.toUnsignedLong(c.size()) > MAX_COMPOSITE_SIZE) {
                    throw fail(id, c.kind() + " '" + c.name() + "' has impossible size " + Integer.toUnsignedString(c.size()) + " (over 16 MiB)");
                }
                for (BtfType.Member m : c.members()) {
                    ref(id, m.type(), c.kind() + " member '" + m.name() + "'", false);
                }
            }
            case BtfType.Enumeration e -> {
                int s = e.size();
                if (s != 1 && s != 2 && s != 4 && s != 8) {
                    throw fail(id, e.kind() + " '" + e.name() + "' has impossible size " + Integer.toUnsignedString(s));
                }
            }
            case BtfType.Fwd f -> {
                if (f.name().isEmpty()) {
                    throw fail(id, "FWD has no name");
                }
            }
            case BtfType.Func f -> {
                ref(id, f.type(), "FUNC '" + f.name() + "'", false);
                if (!(btf.type(f.type()) instanceof BtfType.FuncProto)) {
                    throw fail(id, "FUNC '" + f.name() + "' refers to type [" + f.type() + "], which is not a FUNC_PROTO");
                }
            }
            case BtfType.Var v -> ref(id, v.type(), "VAR '" + v.name() + "'", false);
            case BtfType.DeclTag d -> {
                ref(id, d.type(), "DECL_TAG '" + d.name() + "'", false);
                int components = switch (btf.type(d.type())) {
                    case BtfType.Composite c -> c.members().size();
                    case BtfType.Func f when f.type() < count && btf.type(f.type()) instanceof BtfType.FuncProto p -> p.params().size();
                    default -> 0;
                };
                if (d.componentIdx() < -1 || d.componentIdx() >= components) {
                    throw fail(id, "DECL_TAG '" + d.name() + "' component index " + d.componentIdx() + " is out of range for type [" + d.type() + "]");
                }
            }
            case BtfType.Ref r -> ref(id, r.type(), r.kind().toString(), true);
            case BtfType.FuncProto p -> {
                ref(id, p.returnType(), "FUNC_PROTO return type", true);
                for (int i = 0; i < p.params().size(); i++) {
                    ref(id, p.params().get(i).type(), "FUNC_PROTO parameter " + i, i == p.params().size() - 1);
                }
            }
            case BtfType.Datasec d -> {
                for (BtfType.VarSecinfo v : d.vars()) {
                    ref(id, v.type(), "DATASEC '" + d.name() + "' variable", false);
                }
            }
            case BtfType.Float f -> {
                int s = f.size();
                if (s != 2 && s != 4 && s != 8 && s != 12 && s != 16) {
                    throw fail(id, "FLOAT '" + f.name() + "' has impossible size " + Integer.toUnsignedString(s));
                }
            }
        }
    }

    /**
     * Depth-first search for a cycle. Layout edges are the ones a size computation follows
     * (typedefs, qualifiers, array elements, members); declarator edges are the ones a C
     * declaration follows (pointers, qualifiers, arrays, function prototypes).
     */
    private void findLoops(boolean declarator) {
        int n = count - first;
        byte[] state = new byte[n]; // 0 new, 1 on the path, 2 done
        int[] stack = new int[16];
        int[] next = new int[16];
        for (int root = first; root < count; root++) {
            if (state[root - first] != 0) {
                continue;
            }
            int depth = 0;
            stack[0] = root;
            next[0] = 0;
            state[root - first] = 1;
            while (depth >= 0) {
                int id = stack[depth];
                int target = edge(btf.type(id), next[depth]++, declarator);
                if (target == END) {
                    state[id - first] = 2;
                    depth--;
                    continue;
                }
                if (target < first) {
                    continue;
                }
                int s = state[target - first];
                if (s == 1) {
                    throw fail(target, "type loop: " + btf.type(target).kind() + " [" + target + "] refers back to itself through [" + id + "]");
                }
                if (s == 0) {
                    state[target - first] = 1;
                    if (++depth == stack.length) {
                        stack = java.util.Arrays.copyOf(stack, depth * 2);
                        next = java.util.Arrays.copyOf(next, depth * 2);
                    }
                    stack[depth] = target;
                    next[depth] = 0;
                }
            }
        }
    }

    private static final int END = -1;

    // A switch on the kind, not on the record type: this runs for every edge of every type, cold.
    private static int edge(BtfType t, int i, boolean declarator) {
        return switch (t.kind()) {
            case VOLATILE, CONST, RESTRICT, TYPE_TAG -> i == 0 ? ((BtfType.Ref) t).type() : END;
            case ARRAY -> i == 0 ? ((BtfType.Array) t).type() : END;
            case PTR -> declarator && i == 0 ? ((BtfType.Ptr) t).type() : END;
            case FUNC_PROTO -> {
                List<BtfType.Param> params = ((BtfType.FuncProto) t).params();
                yield !declarator ? END : i == 0 ? ((BtfType.FuncProto) t).returnType() : i <= params.size() ? params.get(i - 1).type() : END;
            }
            case STRUCT, UNION -> {
                List<BtfType.Member> members = ((BtfType.Composite) t).members();
                yield !declarator && i < members.size() ? members.get(i).type() : END;
            }
            case DATASEC -> {
                List<BtfType.VarSecinfo> vars = ((BtfType.Datasec) t).vars();
                yield !declarator && i < vars.size() ? vars.get(i).type() : END;
            }
            case TYPEDEF, FUNC, VAR, DECL_TAG -> !declarator && i == 0 ? ((BtfType.Ref) t).type() : END;
            case INT, ENUM, ENUM64, FWD, FLOAT -> END;
        };
    }

    private void checkLayout(int id, BtfType t) {
        switch (t) {
            case BtfType.Array a -> {
                if (btf.sizeOrNegative(id) < 0 && btf.sizeOrNegative(a.type()) >= 0) {
                    throw fail(id, "ARRAY of " + Integer.toUnsignedString(a.length()) + " elements of type [" + a.type() + "] is larger than 4 GiB");
                }
            }
            case BtfType.Composite c -> {
                long limit = Integer.toUnsignedLong(c.size()) * 8;
                for (BtfType.Member m : c.members()) {
                    long off = Integer.toUnsignedLong(m.bitOffset());
                    long width = m.bitfieldSize() != 0 ? m.bitfieldSize() : Math.max(0, btf.sizeOrNegative(m.type())) * 8;
                    if (off + width > limit) {
                        throw fail(id, c.kind() + " '" + c.name() + "' member '" + m.name() + "' at bit " + off + " ends past the "
                                + Integer.toUnsignedString(c.size()) + "-byte size");
                    }
                }
            }
            default -> {}
        }
    }
}
