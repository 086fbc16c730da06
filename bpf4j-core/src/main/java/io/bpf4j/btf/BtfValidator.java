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

    /** Whether {@code target} is no type id, or is void where void is not allowed. */
    private boolean badRef(int target, boolean voidAllowed) {
        return target < 0 || target >= count || target == 0 && !voidAllowed;
    }

    /** The error for a reference {@link #badRef} rejected; {@code what} describes the referrer. */
    private BpfFormatException refError(int id, int target, String what) {
        return target == 0 ? fail(id, what + " refers to void")
                : fail(id, what + " refers to type id " + Integer.toUnsignedString(target) + ", but the last type id is " + (count - 1));
    }

    // A switch on the kind, not on the record type, and the error text built only on failure:
    // this runs for every type of vmlinux (~100k) in a cold JVM at every tool's start.
    private void checkType(int id, BtfType t) {
        switch (t.kind()) {
            case INT -> {
                BtfType.Int i = (BtfType.Int) t;
                if (i.size() != 1 && i.size() != 2 && i.size() != 4 && i.size() != 8 && i.size() != 16) {
                    throw fail(id, "INT '" + i.name() + "' has impossible size " + Integer.toUnsignedString(i.size()));
                }
                if (i.bits() == 0 || i.bits() > 128 || i.bitOffset() + i.bits() > i.size() * 8) {
                    throw fail(id, "INT '" + i.name() + "' has " + i.bits() + " bits at bit offset " + i.bitOffset()
                            + ", which do not fit its " + i.size() + " bytes");
                }
            }
            case ARRAY -> {
                BtfType.Array a = (BtfType.Array) t;
                if (badRef(a.type(), false)) {
                    throw refError(id, a.type(), "ARRAY element type");
                }
                if (badRef(a.indexType(), false)) {
                    throw refError(id, a.indexType(), "ARRAY index type");
                }
            }
            case STRUCT, UNION -> {
                BtfType.Composite c = (BtfType.Composite) t;
                if (Integer.toUnsignedLong(c.size()) > MAX_COMPOSITE_SIZE) {
                    throw fail(id, c.kind() + " '" + c.name() + "' has impossible size " + Integer.toUnsignedString(c.size()) + " (over 16 MiB)");
                }
                for (BtfType.Member m : c.members()) {
                    if (badRef(m.type(), false)) {
                        throw refError(id, m.type(), c.kind() + " member '" + m.name() + "'");
                    }
                }
            }
            case ENUM, ENUM64 -> {
                BtfType.Enumeration e = (BtfType.Enumeration) t;
                int s = e.size();
                if (s != 1 && s != 2 && s != 4 && s != 8) {
                    throw fail(id, e.kind() + " '" + e.name() + "' has impossible size " + Integer.toUnsignedString(s));
                }
            }
            case FWD -> {
                if (t.name().isEmpty()) {
                    throw fail(id, "FWD has no name");
                }
            }
            case FUNC -> {
                BtfType.Func f = (BtfType.Func) t;
                if (badRef(f.type(), false)) {
                    throw refError(id, f.type(), "FUNC '" + f.name() + "'");
                }
                if (btf.type(f.type()).kind() != BtfKind.FUNC_PROTO) {
                    throw fail(id, "FUNC '" + f.name() + "' refers to type [" + f.type() + "], which is not a FUNC_PROTO");
                }
            }
            case VAR -> {
                BtfType.Var v = (BtfType.Var) t;
                if (badRef(v.type(), false)) {
                    throw refError(id, v.type(), "VAR '" + v.name() + "'");
                }
            }
            case DECL_TAG -> {
                BtfType.DeclTag d = (BtfType.DeclTag) t;
                if (badRef(d.type(), false)) {
                    throw refError(id, d.type(), "DECL_TAG '" + d.name() + "'");
                }
                int components = switch (btf.type(d.type())) {
                    case BtfType.Composite c -> c.members().size();
                    case BtfType.Func f when f.type() < count && btf.type(f.type()) instanceof BtfType.FuncProto p -> p.params().size();
                    default -> 0;
                };
                if (d.componentIdx() < -1 || d.componentIdx() >= components) {
                    throw fail(id, "DECL_TAG '" + d.name() + "' component index " + d.componentIdx() + " is out of range for type [" + d.type() + "]");
                }
            }
            case PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG -> {
                int target = ((BtfType.Ref) t).type();
                if (badRef(target, true)) {
                    throw refError(id, target, t.kind().toString());
                }
            }
            case FUNC_PROTO -> {
                BtfType.FuncProto p = (BtfType.FuncProto) t;
                if (badRef(p.returnType(), true)) {
                    throw refError(id, p.returnType(), "FUNC_PROTO return type");
                }
                List<BtfType.Param> params = p.params();
                for (int i = 0; i < params.size(); i++) {
                    int target = params.get(i).type();
                    if (badRef(target, i == params.size() - 1)) {
                        throw refError(id, target, "FUNC_PROTO parameter " + i);
                    }
                }
            }
            case DATASEC -> {
                BtfType.Datasec d = (BtfType.Datasec) t;
                for (BtfType.VarSecinfo v : d.vars()) {
                    if (badRef(v.type(), false)) {
                        throw refError(id, v.type(), "DATASEC '" + d.name() + "' variable");
                    }
                }
            }
            case FLOAT -> {
                int s = ((BtfType.Float) t).size();
                if (s != 2 && s != 4 && s != 8 && s != 12 && s != 16) {
                    throw fail(id, "FLOAT '" + t.name() + "' has impossible size " + Integer.toUnsignedString(s));
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
        switch (t.kind()) {
            case ARRAY -> {
                BtfType.Array a = (BtfType.Array) t;
                if (btf.sizeOrNegative(id) < 0 && btf.sizeOrNegative(a.type()) >= 0) {
                    throw fail(id, "ARRAY of " + Integer.toUnsignedString(a.length()) + " elements of type [" + a.type() + "] is larger than 4 GiB");
                }
            }
            case STRUCT, UNION -> {
                BtfType.Composite c = (BtfType.Composite) t;
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
