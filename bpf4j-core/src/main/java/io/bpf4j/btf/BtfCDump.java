package io.bpf4j.btf;

import io.bpf4j.BpfFormatException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Prints BTF types as compilable C declarations, the way {@code bpftool btf dump file FILE
 * format c} writes a {@code vmlinux.h}: types are ordered so that each is defined before
 * it is embedded, forward declarations break pointer cycles, padding and packing
 * reproduce every struct's layout, and clashing names get {@code ___2}-style suffixes.
 *
 * <pre>{@code
 * StringBuilder header = new StringBuilder();
 * BtfCDump.dumpHeader(Btf.read(Path.of("/sys/kernel/btf/vmlinux"), null), header);
 * }</pre>
 */
public final class BtfCDump {
    private static final byte NEW = 0;
    private static final byte IN_PROGRESS = 1;
    private static final byte DONE = 2;
    private static final String TABS = "\t\t\t\t\t\t\t\t\t\t\t\t\t";

    private final Btf btf;
    private final StringBuilder out;
    private final boolean enumModes;
    private final int ptrBits;
    private final byte[] orderState;
    private final byte[] emitState;
    private final boolean[] fwdEmitted;
    private final boolean[] nameResolved;
    private final boolean[] referenced;
    private final String[] uniqueName;
    private final Map<String, Integer> typeNames = new HashMap<>();
    private final Map<String, Integer> identNames = new HashMap<>();
    private int[] queue = new int[64];
    private int queued;

    private BtfCDump(Btf btf, StringBuilder out, boolean enumModes) {
        this.btf = btf;
        this.out = out;
        this.enumModes = enumModes;
        this.ptrBits = btf.pointerSize() * 8;
        int n = btf.typeCount();
        orderState = new byte[n];
        emitState = new byte[n];
        fwdEmitted = new boolean[n];
        nameResolved = new boolean[n];
        referenced = new boolean[n];
        uniqueName = new String[n];
        orderState[0] = DONE;
        emitState[0] = DONE;
        markReferenced();
    }

    /**
     * Appends a whole header: include guard, the {@code preserve_access_index} pragma, and
     * every type of {@code btf} and its base, exactly as bpftool 7.1's {@code format c}.
     */
    public static void dumpHeader(Btf btf, StringBuilder out) {
        dumpHeader(btf, out, false);
    }

    /**
     * As {@link #dumpHeader(Btf, StringBuilder)}; with {@code enumModes}, enums of 1 or 8
     * bytes get {@code __attribute__((mode(byte)))} or {@code mode(word)} so that C gives
     * them their BTF size (as later bpftool versions do). bpftool 7.1 leaves them 4 bytes,
     * which moves the members after them in structs such as the kernel's {@code inode}.
     */
    public static void dumpHeader(Btf btf, StringBuilder out, boolean enumModes) {
        out.append("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n");
        out.append("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n");
        out.append("#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n");
        BtfCDump d = new BtfCDump(btf, out, enumModes);
        for (int id = 1; id < btf.typeCount(); id++) {
            d.dumpType(id);
        }
        out.append("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n#endif /* __VMLINUX_H__ */\n");
    }

    /** Appends the C definitions of the given types and of everything they need, each once. */
    public static void dumpTypes(Btf btf, List<Integer> ids, StringBuilder out) {
        BtfCDump d = new BtfCDump(btf, out, false);
        for (int id : ids) {
            d.dumpType(id);
        }
    }

    private BtfType t(int id) {
        return btf.type(id);
    }

    private void dumpType(int id) {
        queued = 0;
        orderType(id, false);
        for (int i = 0; i < queued; i++) {
            emitType(queue[i], 0);
        }
    }

    /** Marks types referenced by others: a top-level anonymous enum is one nothing refers to. */
    private void markReferenced() {
        for (int id = 1; id < btf.typeCount(); id++) {
            switch (t(id)) {
                case BtfType.Ref r -> referenced[r.type()] = true;
                case BtfType.Array a -> {
                    referenced[a.indexType()] = true;
                    referenced[a.type()] = true;
                }
                case BtfType.Composite c -> {
                    for (BtfType.Member m : c.members()) {
                        referenced[m.type()] = true;
                    }
                }
                case BtfType.FuncProto p -> {
                    for (BtfType.Param param : p.params()) {
                        referenced[param.type()] = true;
                    }
                }
                case BtfType.Datasec d -> {
                    for (BtfType.VarSecinfo v : d.vars()) {
                        referenced[v.type()] = true;
                    }
                }
                default -> {}
            }
        }
    }

    private void enqueue(int id) {
        if (queued == queue.length) {
            queue = Arrays.copyOf(queue, queued * 2);
        }
        queue[queued++] = id;
    }

    /**
     * Topological sort: queues the named definitions {@code id} needs before itself.
     * Returns true for a strong link (the definition must come first), false when a
     * forward declaration is enough (reached through a pointer).
     */
    private boolean orderType(int id, boolean throughPtr) {
        if (orderState[id] == DONE) {
            return true;
        }
        BtfType type = t(id);
        if (orderState[id] == IN_PROGRESS) {
            if (type instanceof BtfType.Composite && throughPtr && !type.name().isEmpty()) {
                return false;
            }
            throw new BpfFormatException("BTF type [" + id + "]: unsatisfiable type cycle for C output");
        }
        switch (type) {
            case BtfType.Int i -> {
                orderState[id] = DONE;
                return false;
            }
            case BtfType.Float f -> {
                orderState[id] = DONE;
                return false;
            }
            case BtfType.Ptr p -> {
                boolean strong = orderType(p.type(), true);
                orderState[id] = DONE;
                return strong;
            }
            case BtfType.Array a -> {
                return orderType(a.type(), false);
            }
            case BtfType.Composite c -> {
                if (throughPtr && !c.name().isEmpty()) {
                    return false;
                }
                orderState[id] = IN_PROGRESS;
                for (BtfType.Member m : c.members()) {
                    orderType(m.type(), false);
                }
                if (!c.name().isEmpty()) {
                    enqueue(id);
                }
                orderState[id] = DONE;
                return true;
            }
            case BtfType.Enumeration e -> {
                return orderNamedOrTopLevel(id, e);
            }
            case BtfType.Fwd f -> {
                return orderNamedOrTopLevel(id, f);
            }
            case BtfType.Typedef td -> {
                boolean strong = orderType(td.type(), throughPtr);
                if (throughPtr && !strong) {
                    return false;
                }
                enqueue(id);
                orderState[id] = DONE;
                return true;
            }
            case BtfType.Modifier m -> {
                return orderType(m.type(), throughPtr);
            }
            case BtfType.FuncProto p -> {
                boolean strong = orderType(p.returnType(), throughPtr);
                for (BtfType.Param param : p.params()) {
                    strong |= orderType(param.type(), throughPtr);
                }
                return strong;
            }
            default -> {
                orderState[id] = DONE;
                return false;
            }
        }
    }

    private boolean orderNamedOrTopLevel(int id, BtfType type) {
        if (!type.name().isEmpty() || !referenced[id]) {
            enqueue(id);
        }
        orderState[id] = DONE;
        return true;
    }

    private static boolean blacklisted(BtfType type) {
        // A compiler built-in: defining it again breaks compilation.
        return type.name().equals("__builtin_va_list");
    }

    private void endDecl() {
        out.append(";\n\n");
    }

    /** Emits {@code id} and what it needs; {@code containerId} is the struct being defined (0 at top level). */
    private void emitType(int id, int containerId) {
        if (emitState[id] == DONE) {
            return;
        }
        BtfType type = t(id);
        boolean topLevel = containerId == 0;
        if (emitState[id] == IN_PROGRESS) {
            if (fwdEmitted[id]) {
                return;
            }
            switch (type) {
                case BtfType.Composite c -> {
                    if (id == containerId || c.name().isEmpty()) {
                        return;
                    }
                    emitStructFwd(id, c);
                    endDecl();
                    fwdEmitted[id] = true;
                }
                case BtfType.Typedef td -> {
                    if (!blacklisted(td)) {
                        emitTypedefDef(id, td, 0);
                        endDecl();
                    }
                    fwdEmitted[id] = true;
                }
                default -> {}
            }
            return;
        }
        switch (type) {
            case BtfType.Int i -> {
                emitMissingAlias(id);
                emitState[id] = DONE;
            }
            case BtfType.Enumeration e -> {
                if (topLevel) {
                    emitEnumDef(id, e, 0);
                    endDecl();
                }
                emitState[id] = DONE;
            }
            case BtfType.Ptr p -> emitType(p.type(), containerId);
            case BtfType.Modifier m -> emitType(m.type(), containerId);
            case BtfType.Array a -> emitType(a.type(), containerId);
            case BtfType.Fwd f -> {
                emitFwdDef(id, f);
                endDecl();
                emitState[id] = DONE;
            }
            case BtfType.Typedef td -> {
                emitState[id] = IN_PROGRESS;
                emitType(td.type(), id);
                if (!fwdEmitted[id] && !blacklisted(td)) {
                    emitTypedefDef(id, td, 0);
                    endDecl();
                }
                emitState[id] = DONE;
            }
            case BtfType.Composite c -> {
                emitState[id] = IN_PROGRESS;
                boolean anonymous = c.name().isEmpty();
                if (topLevel || anonymous) {
                    int container = anonymous ? containerId : id;
                    for (BtfType.Member m : c.members()) {
                        emitType(m.type(), container);
                    }
                } else if (!fwdEmitted[id] && id != containerId) {
                    emitStructFwd(id, c);
                    endDecl();
                    fwdEmitted[id] = true;
                }
                if (topLevel) {
                    emitStructDef(id, c, 0);
                    endDecl();
                    emitState[id] = DONE;
                } else {
                    emitState[id] = NEW;
                }
            }
            case BtfType.FuncProto p -> {
                emitType(p.returnType(), containerId);
                for (BtfType.Param param : p.params()) {
                    emitType(param.type(), containerId);
                }
            }
            default -> {}
        }
    }

    private static final String[][] MISSING_BASE_TYPES = {
        // GCC's internal types of Arm SIMD intrinsics, aliased to standard ones.
        {"__Poly8_t", "unsigned char"},
        {"__Poly16_t", "unsigned short"},
        {"__Poly64_t", "unsigned long long"},
        {"__Poly128_t", "unsigned __int128"},
    };

    private void emitMissingAlias(int id) {
        String name = typeName(id);
        for (String[] alias : MISSING_BASE_TYPES) {
            if (alias[0].equals(name)) {
                out.append("typedef ").append(alias[1]).append(' ').append(name).append(";\n\n");
                return;
            }
        }
    }

    private void indent(int level) {
        out.append(TABS, 0, Math.min(level, TABS.length()));
    }

    private void newline(int level) {
        out.append('\n');
        indent(level);
    }

    private static String keyword(BtfType.Composite c) {
        return c instanceof BtfType.Struct ? "struct" : "union";
    }

    private void emitStructFwd(int id, BtfType.Composite c) {
        out.append(keyword(c)).append(c.name().isEmpty() ? "" : " ").append(typeName(id));
    }

    /** Whether the layout of struct {@code c} can only come from {@code __attribute__((packed))}. */
    private boolean isPacked(BtfType.Composite c) {
        int maxAlign = 1;
        for (BtfType.Member m : c.members()) {
            int align = btf.alignOrZero(m.type());
            if (align != 0 && m.bitfieldSize() == 0 && Integer.toUnsignedLong(m.bitOffset()) % (8L * align) != 0) {
                return true;
            }
            maxAlign = Math.max(align, maxAlign);
        }
        return Integer.toUnsignedLong(c.size()) % maxAlign != 0;
    }

    private void emitStructDef(int id, BtfType.Composite c, int level) {
        boolean isStruct = c instanceof BtfType.Struct;
        boolean packed = isStruct && isPacked(c);
        int align = btf.alignOrZero(id);
        out.append(keyword(c)).append(c.name().isEmpty() ? "" : " ").append(typeName(id)).append(" {");
        long off = 0;
        boolean prevBitfield = false;
        for (BtfType.Member m : c.members()) {
            int bits = m.bitfieldSize();
            long mOff = Integer.toUnsignedLong(m.bitOffset());
            int mAlign = packed ? 1 : btf.alignOrZero(m.type());
            emitBitPadding(off, mOff, mAlign, prevBitfield && bits != 0, level + 1);
            newline(level + 1);
            emitTypeDecl(m.type(), m.name(), level + 1);
            if (bits != 0) {
                out.append(": ").append(bits);
                off = mOff + bits;
                prevBitfield = true;
            } else {
                off = mOff + Math.max(0, btf.sizeOrNegative(m.type())) * 8;
                prevBitfield = false;
            }
            out.append(';');
        }
        if (isStruct) {
            emitBitPadding(off, Integer.toUnsignedLong(c.size()) * 8, align, false, level + 1);
        }
        if (!c.members().isEmpty() || c.size() != 0) {
            newline(level);
        }
        out.append('}');
        if (packed) {
            out.append(" __attribute__((packed))");
        }
    }

    private static long roundUp(long x, long to) {
        return to == 0 ? x : (x + to - 1) / to * to;
    }

    private static final String[] PAD_TYPES = {"long", "int", "short", "char"};

    /**
     * Fills the gap from bit {@code cur} to bit {@code next} with unnamed bitfields, relying
     * on natural alignment where the compiler would insert the same gap by itself.
     */
    private void emitBitPadding(long cur, long next, int nextAlign, boolean inBitfield, int level) {
        if (cur >= next) {
            return;
        }
        int[] padBits = {ptrBits, 32, 16, 8};
        int i = 0;
        long newOff = 0;
        for (; i < padBits.length; i++) {
            newOff = roundUp(cur, padBits[i]);
            if (newOff <= next) {
                break;
            }
        }
        i = Math.min(i, padBits.length - 1);
        int bits = padBits[i];
        String type = PAD_TYPES[i];
        if (newOff > cur && newOff <= next) {
            if (inBitfield
                    || (newOff == next && roundUp(cur, nextAlign * 8L) != newOff)
                    || (newOff != next && next - newOff <= newOff - cur)) {
                newline(level);
                out.append(type).append(": ").append(inBitfield ? newOff - cur : 0).append(';');
            }
            cur = newOff;
        }
        while (cur != next) {
            long gap = Math.min(next - cur, bits);
            if (gap == bits) {
                newline(level);
                out.append(type).append(": ").append(bits).append(';');
                cur += gap;
                continue;
            }
            for (int j = padBits.length - 1; j >= 0; j--) {
                if (padBits[j] < gap) {
                    continue;
                }
                type = PAD_TYPES[j];
                bits = padBits[j];
                newline(level);
                out.append(type).append(": ").append(gap).append(';');
                cur += gap;
                break;
            }
        }
    }

    private void emitEnumDef(int id, BtfType.Enumeration e, int level) {
        out.append("enum").append(e.name().isEmpty() ? "" : " ").append(typeName(id));
        List<BtfType.EnumValue> values = e.values();
        if (values.isEmpty()) {
            return;
        }
        out.append(" {");
        boolean enum64 = e instanceof BtfType.Enum64;
        for (BtfType.EnumValue v : values) {
            newline(level + 1);
            out.append(v.name());
            int dups = nameDups(identNames, v.name());
            if (dups > 1) {
                out.append("___").append(dups);
            }
            out.append(" = ");
            if (!enum64) {
                out.append(e.signed() ? (int) v.value() : Integer.toUnsignedLong((int) v.value()));
            } else if (e.signed()) {
                out.append(v.value()).append("LL");
            } else {
                out.append(Long.toUnsignedString(v.value())).append("ULL");
            }
            out.append(',');
        }
        newline(level);
        out.append('}');
        if (!enumModes) {
            return;
        }
        if (e.size() == 1) {
            out.append(" __attribute__((mode(byte)))");
        } else if (e.size() == 8 && ptrBits == 64) {
            // A 32-bit enum needs mode(word) to be 8 bytes; an enum64 only if no value needs 64 bits.
            if (!enum64 || values.stream().allMatch(v -> (v.value() >>> 32) == 0)) {
                out.append(" __attribute__((mode(word)))");
            }
        }
    }

    private void emitFwdDef(int id, BtfType.Fwd f) {
        out.append(f.union() ? "union " : "struct ").append(typeName(id));
    }

    private void emitTypedefDef(int id, BtfType.Typedef td, int level) {
        String name = identName(id);
        // Old GCC emits __gnuc_va_list as a typedef of void; the compiler knows the real one.
        if (td.type() == 0 && name.equals("__gnuc_va_list")) {
            out.append("typedef __builtin_va_list __gnuc_va_list");
            return;
        }
        out.append("typedef ");
        emitTypeDecl(td.type(), name, level);
    }

    /** A chain of declarator types, innermost (the base type) on top. */
    private static final class Decls {
        int[] ids = new int[8];
        int count;

        void push(int id) {
            if (count == ids.length) {
                ids = Arrays.copyOf(ids, count * 2);
            }
            ids[count++] = id;
        }

        int top() {
            return ids[count - 1];
        }
    }

    /** Emits the declaration of {@code name} with type {@code id} in C syntax (pointers, arrays, function pointers). */
    private void emitTypeDecl(int id, String name, int level) {
        Decls decls = new Decls();
        while (true) {
            decls.push(id);
            if (id == 0) {
                break;
            }
            BtfType type = t(id);
            if (type instanceof BtfType.Ptr p) {
                id = p.type();
            } else if (type instanceof BtfType.Modifier m) {
                id = m.type();
            } else if (type instanceof BtfType.FuncProto p) {
                id = p.returnType();
            } else if (type instanceof BtfType.Array a) {
                id = a.type();
            } else {
                break;
            }
        }
        emitTypeChain(decls, name, level);
    }

    private boolean isQualifier(int id) {
        return id != 0 && t(id) instanceof BtfType.Modifier;
    }

    /** Prefix qualifiers (const, volatile, restrict) that apply to the base type just popped. */
    private void emitMods(Decls decls) {
        while (decls.count > 0 && decls.top() != 0) {
            switch (t(decls.top())) {
                case BtfType.Volatile v -> out.append("volatile ");
                case BtfType.Const c -> out.append("const ");
                case BtfType.Restrict r -> out.append("restrict ");
                default -> {
                    return;
                }
            }
            decls.count--;
        }
    }

    private void dropMods(Decls decls) {
        while (decls.count > 0 && isQualifier(decls.top())) {
            decls.count--;
        }
    }

    private void emitName(String name, boolean lastWasPtr) {
        if (!name.isEmpty() && !lastWasPtr) {
            out.append(' ');
        }
        out.append(name);
    }

    private void emitTypeChain(Decls decls, String name, int level) {
        boolean lastWasPtr = true;
        while (decls.count > 0) {
            int id = decls.ids[--decls.count];
            if (id == 0) {
                emitMods(decls);
                out.append("void");
                lastWasPtr = false;
                continue;
            }
            BtfType type = t(id);
            switch (type) {
                case BtfType.Int i -> {
                    emitMods(decls);
                    out.append(i.name());
                }
                case BtfType.Float f -> {
                    emitMods(decls);
                    out.append(f.name());
                }
                case BtfType.Composite c -> {
                    emitMods(decls);
                    if (c.name().isEmpty()) {
                        emitStructDef(id, c, level);
                    } else {
                        emitStructFwd(id, c);
                    }
                }
                case BtfType.Enumeration e -> {
                    emitMods(decls);
                    if (e.name().isEmpty()) {
                        emitEnumDef(id, e, level);
                    } else {
                        out.append("enum ").append(typeName(id));
                    }
                }
                case BtfType.Fwd f -> {
                    emitMods(decls);
                    emitFwdDef(id, f);
                }
                case BtfType.Typedef td -> {
                    emitMods(decls);
                    out.append(identName(id));
                }
                case BtfType.Ptr p -> out.append(lastWasPtr ? "*" : " *");
                case BtfType.Volatile v -> out.append(" volatile");
                case BtfType.Const c -> out.append(" const");
                case BtfType.Restrict r -> out.append(" restrict");
                case BtfType.TypeTag tag -> {
                    emitMods(decls);
                    out.append(" __attribute__((btf_type_tag(\"").append(tag.name()).append("\")))");
                }
                case BtfType.Array a -> {
                    // GCC adds the element's qualifiers to arrays; they mean nothing there.
                    dropMods(decls);
                    if (decls.count == 0) {
                        emitName(name, lastWasPtr);
                        out.append('[').append(Integer.toUnsignedLong(a.length())).append(']');
                        return;
                    }
                    int next = decls.top();
                    boolean multiDim = next != 0 && t(next) instanceof BtfType.Array;
                    if (!name.isEmpty() && !lastWasPtr) {
                        out.append(' ');
                    }
                    if (!multiDim) {
                        out.append('(');
                    }
                    emitTypeChain(decls, name, level);
                    if (!multiDim) {
                        out.append(')');
                    }
                    out.append('[').append(Integer.toUnsignedLong(a.length())).append(']');
                    return;
                }
                case BtfType.FuncProto p -> {
                    // GCC marks noreturn function pointers volatile; drop it as for arrays.
                    dropMods(decls);
                    if (decls.count > 0) {
                        out.append(" (");
                        emitTypeChain(decls, name, level);
                        out.append(')');
                    } else {
                        emitName(name, lastWasPtr);
                    }
                    out.append('(');
                    List<BtfType.Param> params = p.params();
                    // No parameters, or clang's single void parameter: f(void).
                    if (params.isEmpty() || (params.size() == 1 && params.getFirst().type() == 0)) {
                        out.append("void)");
                        return;
                    }
                    for (int i = 0; i < params.size(); i++) {
                        if (i > 0) {
                            out.append(", ");
                        }
                        BtfType.Param param = params.get(i);
                        if (i == params.size() - 1 && param.type() == 0) {
                            out.append("...");
                            break;
                        }
                        emitTypeDecl(param.type(), param.name(), level);
                    }
                    out.append(')');
                    return;
                }
                default -> {
                    return;
                }
            }
            lastWasPtr = type instanceof BtfType.Ptr;
        }
        emitName(name, lastWasPtr);
    }

    /** Counts one more use of {@code name} and returns the count so far. */
    private static int nameDups(Map<String, Integer> names, String name) {
        return names.merge(name, 1, Integer::sum);
    }

    private String resolveName(int id, Map<String, Integer> names) {
        BtfType type = t(id);
        String name = type.name();
        if (name.isEmpty()) {
            return "";
        }
        if (nameResolved[id]) {
            String unique = uniqueName[id];
            return unique != null ? unique : name;
        }
        nameResolved[id] = true;
        if (type instanceof BtfType.Fwd || (type instanceof BtfType.Enum e && e.values().isEmpty())) {
            return name;
        }
        int dups = nameDups(names, name);
        if (dups > 1) {
            uniqueName[id] = name + "___" + dups;
            return uniqueName[id];
        }
        return name;
    }

    /** Name of a struct, union, enum or forward declaration, unique among those. */
    private String typeName(int id) {
        return resolveName(id, typeNames);
    }

    /** Name of a typedef, unique among typedefs and enumerators. */
    private String identName(int id) {
        return resolveName(id, identNames);
    }
}
