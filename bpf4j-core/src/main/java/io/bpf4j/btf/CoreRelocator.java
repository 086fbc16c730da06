package io.bpf4j.btf;

import static io.bpf4j.btf.CoreSpec.E2BIG;
import static io.bpf4j.btf.CoreSpec.EINVAL;
import static io.bpf4j.btf.CoreSpec.EOPNOTSUPP;
import static io.bpf4j.btf.CoreSpec.ERANGE;
import static io.bpf4j.btf.CoreSpec.EUCLEAN;
import static io.bpf4j.btf.CoreSpec.kindName;
import static io.bpf4j.btf.CoreSpec.typeOrVoid;

import io.bpf4j.btf.BtfExt.CoreRelo;
import io.bpf4j.btf.BtfExt.CoreReloKind;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The CO-RE engine: resolves the relocations of one object's BTF against a {@link CoreTarget}
 * and patches instructions, deciding exactly as libbpf 1.1 does. Candidates are found by
 * name without flavor suffix ({@code task_struct___v2} matches {@code task_struct}), checked
 * for compatibility member by member, and, per local type, narrowed to those that matched
 * earlier relocations, so the order of calls matters as it does in libbpf. A relocation that
 * finds nothing poisons its instruction into a call of the invalid helper {@code 0xbad2310}.
 * Every step is told to {@code log} in libbpf's wording.
 *
 * <pre>{@code
 * CoreRelocator core = new CoreRelocator(objectBtf, CoreTarget.kernel(), System.out::println);
 * CoreRelocator.Result r = core.resolve("handle_exec", 0, relo);
 * core.patch("handle_exec", code, ByteOrder.LITTLE_ENDIAN, relo.insnOffset() / 8, 0, r);
 * }</pre>
 */
public final class CoreRelocator {
    /** The helper id a poisoned instruction calls: 0xbad2310, "bad relo". */
    public static final int POISON_HELPER = 195896080;

    private static final int RECURSION_LEVEL = 32;

    /**
     * The decision for one relocation: the value the compiler assumed and the value for the
     * target (offset, size, existence, enumerator value...), or {@code poison}.
     */
    public record Result(
            long originalValue,
            long newValue,
            boolean poison,
            boolean validate,
            boolean failMemSizeAdjust,
            int originalSize,
            int newSize,
            int originalTypeId,
            int newTypeId) {}

    private record Candidate(Btf btf, int id) {}

    private final Btf local;
    private final CoreTarget target;
    private final Consumer<String> log;
    private final Map<Integer, List<Candidate>> candidateCache = new HashMap<>();

    public CoreRelocator(Btf local, CoreTarget target, Consumer<String> log) {
        this.local = Objects.requireNonNull(local);
        this.target = Objects.requireNonNull(target);
        this.log = Objects.requireNonNull(log);
    }

    private CoreRelocationException fail(String message, int errno) {
        log.accept(message);
        return new CoreRelocationException(message, errno);
    }

    /**
     * Resolves relocation number {@code reloIndex} (of its section) of program {@code prog}
     * ({@code bpf_core_resolve_relo}).
     *
     * @throws CoreRelocationException where libbpf fails the load; libbpf's own message for it, if
     *     it has one, has gone to the log
     */
    public Result resolve(String prog, int reloIndex, CoreRelo relo) {
        BtfType localType = local.type(relo.typeId());
        List<Candidate> cands = null;
        if (relo.kind() != CoreReloKind.TYPE_ID_LOCAL) {
            cands = candidateCache.get(relo.typeId());
            if (cands == null) {
                if (localType.name().isEmpty()) {
                    throw fail(String.format("prog '%s': relo #%d: target candidate search failed for [%d] %s %s: %d", prog, reloIndex,
                            relo.typeId(), kindName(localType), localType.name(), EINVAL), EINVAL);
                }
                cands = findCandidates(relo.typeId(), localType);
                candidateCache.put(relo.typeId(), cands);
            }
        }
        return calcReloInsn(prog, reloIndex, relo, cands);
    }

    private List<Candidate> findCandidates(int localId, BtfType localType) {
        List<Candidate> cands = new ArrayList<>();
        addCandidates(localId, localType, target.main(), "vmlinux", 1, cands);
        if (cands.isEmpty()) {
            for (CoreTarget.Source m : target.modules()) {
                addCandidates(localId, localType, m.btf(), m.name(), m.firstId(), cands);
            }
        }
        return cands;
    }

    private void addCandidates(int localId, BtfType localType, Btf btf, String btfName, int firstId, List<Candidate> out) {
        String essential = localType.name().substring(0, CoreSpec.essentialLength(localType.name()));
        for (int id : target.idsByEssentialName(btf, firstId, essential)) {
            BtfType t = btf.type(id);
            if (!kindCompat(t, localType)) {
                continue;
            }
            log.accept(String.format("CO-RE relocating [%d] %s %s: found target candidate [%d] %s %s in [%s]", localId,
                    kindName(localType), localType.name(), id, kindName(t), t.name(), btfName));
            out.add(new Candidate(btf, id));
        }
    }

    private static boolean isAnyEnum(BtfType t) {
        return t instanceof BtfType.Enumeration;
    }

    /** libbpf's {@code btf_kind_core_compat}; null is void. */
    private static boolean kindCompat(BtfType a, BtfType b) {
        if (a == null || b == null) {
            return a == b;
        }
        return a.kind() == b.kind() || (isAnyEnum(a) && isAnyEnum(b));
    }

    private Result calcReloInsn(String prog, int reloIndex, CoreRelo relo, List<Candidate> cands) {
        BtfType localType = local.type(relo.typeId());
        CoreSpec localSpec = new CoreSpec();
        int err = localSpec.parse(prog, local, relo, log);
        if (err != 0) {
            throw fail(String.format("prog '%s': relo #%d: parsing [%d] %s %s + %s failed: %d", prog, reloIndex, relo.typeId(),
                    kindName(localType), localType.name().isEmpty() ? "<anon>" : localType.name(), relo.accessString(), err), EINVAL);
        }
        log.accept(String.format("prog '%s': relo #%d: %s", prog, reloIndex, localSpec.format()));
        if (relo.kind() == CoreReloKind.TYPE_ID_LOCAL) {
            return new Result(localSpec.rootTypeId, localSpec.rootTypeId, false, false, false, 0, 0, 0, 0);
        }
        if (localType.name().isEmpty()) {
            throw fail(String.format("prog '%s': relo #%d: <%s> (%d) relocation doesn't support anonymous types", prog, reloIndex,
                    relo.kind().libbpfName(), CoreSpec.kindId(relo.kind())), EOPNOTSUPP);
        }
        CoreSpec candSpec = new CoreSpec();
        CoreSpec targSpec = new CoreSpec();
        Result targ = null;
        List<Candidate> kept = new ArrayList<>();
        for (int i = 0; i < cands.size(); i++) {
            Candidate c = cands.get(i);
            err = specMatch(localSpec, c.btf(), c.id(), candSpec);
            if (err < 0) {
                throw fail(String.format("prog '%s': relo #%d: error matching candidate #%d %s: %d", prog, reloIndex, i,
                        candSpec.format(), err), err);
            }
            log.accept(String.format("prog '%s': relo #%d: %s candidate #%d %s", prog, reloIndex, err == 0 ? "non-matching" : "matching",
                    i, candSpec.format()));
            if (err == 0) {
                continue;
            }
            Result candRes = calcRelo(prog, relo, reloIndex, localSpec, candSpec);
            if (targ == null) {
                targ = candRes;
                targSpec.copyFrom(candSpec);
            } else if (candSpec.bitOffset != targSpec.bitOffset) {
                throw fail(String.format("prog '%s': relo #%d: field offset ambiguity: %d != %d", prog, reloIndex,
                        Integer.toUnsignedLong(candSpec.bitOffset), Integer.toUnsignedLong(targSpec.bitOffset)), EINVAL);
            } else if (candRes.poison() != targ.poison() || candRes.newValue() != targ.newValue()) {
                throw fail(String.format("prog '%s': relo #%d: relocation decision ambiguity: %s %s != %s %s", prog, reloIndex,
                        candRes.poison() ? "failure" : "success", Long.toUnsignedString(candRes.newValue()),
                        targ.poison() ? "failure" : "success", Long.toUnsignedString(targ.newValue())), EINVAL);
            }
            kept.add(c);
        }
        if (!kept.isEmpty()) {
            candidateCache.put(relo.typeId(), kept);
            return targ;
        }
        log.accept(String.format("prog '%s': relo #%d: no matching targets found", prog, reloIndex));
        return calcRelo(prog, relo, reloIndex, localSpec, null);
    }

    /**
     * Whether local type {@code localId} is compatible with type {@code targetId} of {@code targetBtf}
     * as libbpf's {@code bpf_core_types_are_compat} decides for {@code __ksym} externs.
     */
    public boolean typesCompatible(int localId, Btf targetBtf, int targetId) {
        return typesAreCompat(local, localId, targetBtf, targetId, RECURSION_LEVEL) > 0;
    }

    /**
     * The relocation as libbpf names it in errors, e.g. {@code <byte_off> [77] struct inet_sock.freebind
     * (0:14 @ offset 792.2)}; the raw access string if it cannot be parsed.
     */
    public String describe(String prog, CoreRelo relo) {
        CoreSpec spec = new CoreSpec();
        return spec.parse(prog, local, relo, line -> {}) == 0 ? spec.format() : "[" + relo.typeId() + "] + " + relo.accessString();
    }

    // ---- matching (relo_core.c) ----

    private int typesAreCompat(Btf lb, int localId, Btf tb, int targId, int level) {
        if (!kindCompat(typeOrVoid(lb, localId), typeOrVoid(tb, targId))) {
            return 0;
        }
        int depth = 32;
        while (true) {
            if (--depth < 0) {
                return EINVAL;
            }
            localId = lb.resolve(localId);
            targId = tb.resolve(targId);
            BtfType lt = typeOrVoid(lb, localId);
            BtfType tt = typeOrVoid(tb, targId);
            if (!kindCompat(lt, tt)) {
                return 0;
            }
            if (lt == null) {
                return 1;
            }
            switch (lt) {
                case BtfType.Composite _, BtfType.Enumeration _, BtfType.Fwd _ -> {
                    return 1;
                }
                case BtfType.Int li -> {
                    return plainInts(li, tt);
                }
                case BtfType.Ptr p -> {
                    localId = p.type();
                    targId = ((BtfType.Ptr) tt).type();
                }
                case BtfType.Array a -> {
                    localId = a.type();
                    targId = ((BtfType.Array) tt).type();
                }
                case BtfType.FuncProto lp -> {
                    BtfType.FuncProto tp = (BtfType.FuncProto) tt;
                    if (lp.params().size() != tp.params().size()) {
                        return 0;
                    }
                    for (int i = 0; i < lp.params().size(); i++) {
                        if (level <= 0) {
                            return EINVAL;
                        }
                        int err = typesAreCompat(lb, lb.resolve(lp.params().get(i).type()), tb, tb.resolve(tp.params().get(i).type()),
                                level - 1);
                        if (err <= 0) {
                            return err;
                        }
                    }
                    localId = lb.resolve(lp.returnType());
                    targId = tb.resolve(tp.returnType());
                }
                default -> {
                    log.accept(String.format("unexpected kind %s relocated, local [%d], target [%d]", kindName(lt), localId, targId));
                    return 0;
                }
            }
        }
    }

    private static int fieldsAreCompat(Btf lb, int localId, Btf tb, int targId) {
        while (true) {
            localId = lb.resolve(localId);
            targId = tb.resolve(targId);
            BtfType lt = typeOrVoid(lb, localId);
            BtfType tt = typeOrVoid(tb, targId);
            if (lt instanceof BtfType.Composite && tt instanceof BtfType.Composite) {
                return 1;
            }
            if (!kindCompat(lt, tt) || lt == null) {
                return 0;
            }
            switch (lt) {
                case BtfType.Ptr _, BtfType.Float _ -> {
                    return 1;
                }
                case BtfType.Fwd _, BtfType.Enumeration _ -> {
                    return namesCompat(lt.name(), tt.name());
                }
                case BtfType.Int li -> {
                    return plainInts(li, tt);
                }
                case BtfType.Array a -> {
                    localId = a.type();
                    targId = ((BtfType.Array) tt).type();
                }
                default -> {
                    return 0;
                }
            }
        }
    }

    /** Integers are compatible unless one is an old-style bitfield integer (with a bit offset). */
    private static int plainInts(BtfType.Int local, BtfType target) {
        return local.bitOffset() == 0 && ((BtfType.Int) target).bitOffset() == 0 ? 1 : 0;
    }

    /** One of the names anonymous, or both the same without flavor. */
    private static int namesCompat(String a, String b) {
        int la = CoreSpec.essentialLength(a);
        int lb = CoreSpec.essentialLength(b);
        return la == 0 || lb == 0 || (la == lb && a.regionMatches(0, b, 0, la)) ? 1 : 0;
    }

    /**
     * Finds the member named as local accessor {@code acc} in target composite {@code targId},
     * descending into anonymous members; extends {@code spec}. Returns 1, 0, or an errno; the
     * id of the member's type goes to {@code next[0]}.
     */
    private static int matchMember(CoreSpec localSpec, int acc, Btf tb, int targId, CoreSpec spec, int[] next) {
        targId = tb.resolve(targId);
        if (!(typeOrVoid(tb, targId) instanceof BtfType.Composite tc)) {
            return 0;
        }
        BtfType.Composite lc = (BtfType.Composite) localSpec.btf.type(localSpec.accType[acc]);
        BtfType.Member localMember = lc.members().get(localSpec.accIdx[acc]);
        String localName = localMember.name();
        List<BtfType.Member> members = tc.members();
        for (int i = 0; i < members.size(); i++) {
            BtfType.Member m = members.get(i);
            if (spec.rawLen == CoreSpec.MAX_LEN) {
                return E2BIG;
            }
            spec.bitOffset += m.bitOffset();
            spec.raw[spec.rawLen++] = i;
            if (m.name().isEmpty()) {
                int found = matchMember(localSpec, acc, tb, m.type(), spec, next);
                if (found != 0) {
                    return found;
                }
            } else if (localName.equals(m.name())) {
                spec.push(targId, i, m.name());
                next[0] = m.type();
                int found = fieldsAreCompat(localSpec.btf, localMember.type(), tb, m.type());
                if (found == 0) {
                    spec.len--;
                }
                return found;
            }
            spec.bitOffset -= m.bitOffset();
            spec.rawLen--;
        }
        return 0;
    }

    private int specMatch(CoreSpec localSpec, Btf tb, int targId, CoreSpec targ) {
        targ.reset(tb, targId, localSpec.kind);
        CoreReloKind kind = localSpec.kind;
        if (CoreSpec.isTypeBased(kind)) {
            return kind == CoreReloKind.TYPE_MATCHES
                    ? typesMatch(localSpec.btf, localSpec.rootTypeId, tb, targId, false, RECURSION_LEVEL)
                    : typesAreCompat(localSpec.btf, localSpec.rootTypeId, tb, targId, RECURSION_LEVEL);
        }
        if (CoreSpec.isEnumvalBased(kind)) {
            targId = tb.resolve(targId);
            if (!(typeOrVoid(tb, targId) instanceof BtfType.Enumeration e)) {
                return 0;
            }
            String localName = localSpec.accName[0];
            for (int i = 0; i < e.values().size(); i++) {
                String name = e.values().get(i).name();
                if (CoreSpec.essentialNamesEqual(localName, name)) {
                    targ.push(targId, i, name);
                    targ.raw[targ.rawLen++] = i;
                    return 1;
                }
            }
            return 0;
        }
        if (!CoreSpec.isFieldBased(kind)) {
            return EINVAL;
        }
        int[] next = new int[1];
        for (int i = 0; i < localSpec.len; i++) {
            targId = tb.resolve(targId);
            BtfType tt = typeOrVoid(tb, targId);
            if (localSpec.accName[i] != null) {
                int matched = matchMember(localSpec, i, tb, targId, targ, next);
                if (matched <= 0) {
                    return matched;
                }
                targId = next[0];
            } else {
                int idx = localSpec.accIdx[i];
                if (i > 0) {
                    if (!(tt instanceof BtfType.Array a)) {
                        return 0;
                    }
                    boolean flex = targ.isFlexArray(tb, i - 1, a);
                    if (!flex && Integer.compareUnsigned(idx, a.length()) >= 0) {
                        return 0;
                    }
                    targId = tb.resolve(a.type());
                }
                if (targ.rawLen == CoreSpec.MAX_LEN) {
                    return E2BIG;
                }
                targ.push(targId, idx, null);
                targ.raw[targ.rawLen++] = idx;
                long sz = CoreSpec.resolveSize(tb, targId);
                if (sz < 0) {
                    return (int) sz;
                }
                targ.bitOffset += (int) (idx * sz * 8);
            }
        }
        return 1;
    }

    private static boolean namesMatch(String local, String targ) {
        if (targ.isEmpty()) {
            return local.isEmpty();
        }
        return CoreSpec.essentialNamesEqual(local, targ);
    }

    private int typesMatch(Btf lb, int localId, Btf tb, int targId, boolean behindPtr, int level) {
        if (level <= 0) {
            return EINVAL;
        }
        int depth = 32;
        while (true) {
            if (--depth < 0) {
                return EINVAL;
            }
            localId = lb.resolve(localId);
            targId = tb.resolve(targId);
            BtfType lt = typeOrVoid(lb, localId);
            BtfType tt = typeOrVoid(tb, targId);
            if (!namesMatch(lt == null ? "" : lt.name(), tt == null ? "" : tt.name())) {
                return 0;
            }
            if (lt == null) {
                return tt == null ? 1 : 0;
            }
            BtfKind lk = lt.kind();
            BtfKind tk = tt == null ? null : tt.kind();
            switch (lt) {
                case BtfType.Fwd lf -> {
                    if (behindPtr) {
                        if (lk == tk) {
                            return lf.union() == ((BtfType.Fwd) tt).union() ? 1 : 0;
                        }
                        return (tk == BtfKind.STRUCT && !lf.union()) || (tk == BtfKind.UNION && lf.union()) ? 1 : 0;
                    }
                    if (lk != tk) {
                        return 0;
                    }
                    return lf.union() == ((BtfType.Fwd) tt).union() ? 1 : 0;
                }
                case BtfType.Enumeration le -> {
                    if (!(tt instanceof BtfType.Enumeration te)) {
                        return 0;
                    }
                    return enumsMatch(le, te);
                }
                case BtfType.Composite lc -> {
                    if (behindPtr) {
                        if (lk == tk) {
                            return 1;
                        }
                        if (!(tt instanceof BtfType.Fwd tf)) {
                            return 0;
                        }
                        return (lk == BtfKind.UNION) == tf.union() ? 1 : 0;
                    }
                    if (lk != tk) {
                        return 0;
                    }
                    return compositesMatch(lb, lc, tb, (BtfType.Composite) tt, behindPtr, level);
                }
                case BtfType.Int li -> {
                    if (!(tt instanceof BtfType.Int ti)) {
                        return 0;
                    }
                    return li.size() == ti.size() && li.isSigned() == ti.isSigned() ? 1 : 0;
                }
                case BtfType.Ptr lp -> {
                    if (!(tt instanceof BtfType.Ptr tp)) {
                        return 0;
                    }
                    behindPtr = true;
                    localId = lp.type();
                    targId = tp.type();
                }
                case BtfType.Array la -> {
                    if (!(tt instanceof BtfType.Array ta) || la.length() != ta.length()) {
                        return 0;
                    }
                    localId = la.type();
                    targId = ta.type();
                }
                case BtfType.FuncProto lp -> {
                    if (!(tt instanceof BtfType.FuncProto tp) || lp.params().size() != tp.params().size()) {
                        return 0;
                    }
                    for (int i = 0; i < lp.params().size(); i++) {
                        int err = typesMatch(lb, lp.params().get(i).type(), tb, tp.params().get(i).type(), behindPtr, level - 1);
                        if (err <= 0) {
                            return err;
                        }
                    }
                    localId = lp.returnType();
                    targId = tp.returnType();
                }
                default -> {
                    log.accept(String.format("unexpected kind %s relocated, local [%d], target [%d]", kindName(lt), localId, targId));
                    return 0;
                }
            }
        }
    }

    private static int enumsMatch(BtfType.Enumeration l, BtfType.Enumeration t) {
        if (l.size() != t.size() || l.values().size() > t.values().size()) {
            return 0;
        }
        for (BtfType.EnumValue lv : l.values()) {
            boolean matched = false;
            for (BtfType.EnumValue tv : t.values()) {
                if (namesMatch(lv.name(), tv.name())) {
                    matched = true;
                    break;
                }
            }
            if (!matched) {
                return 0;
            }
        }
        return 1;
    }

    private int compositesMatch(Btf lb, BtfType.Composite l, Btf tb, BtfType.Composite t, boolean behindPtr, int level) {
        if (l.members().size() > t.members().size()) {
            return 0;
        }
        for (BtfType.Member lm : l.members()) {
            boolean matched = false;
            for (BtfType.Member tm : t.members()) {
                if (!namesMatch(lm.name(), tm.name())) {
                    continue;
                }
                int err = typesMatch(lb, lm.type(), tb, tm.type(), behindPtr, level - 1);
                if (err < 0) {
                    return err;
                }
                if (err > 0) {
                    matched = true;
                    break;
                }
            }
            if (!matched) {
                return 0;
            }
        }
        return 1;
    }

    // ---- values (relo_core.c bpf_core_calc_*) ----

    /** Mutable outputs of one field calculation. */
    private static final class FieldValue {
        long val;
        int size;
        int typeId;
        boolean validate = true;
    }

    /** What a {@code struct btf_type}'s size/type union holds. */
    private static int sizeOrTypeField(BtfType t) {
        return switch (t) {
            case BtfType.Int i -> i.size();
            case BtfType.Enumeration e -> e.size();
            case BtfType.Composite c -> c.size();
            case BtfType.Float f -> f.size();
            case BtfType.Datasec d -> d.size();
            case BtfType.Ref r -> r.type();
            default -> 0;
        };
    }

    private int calcField(String prog, CoreRelo relo, CoreSpec spec, FieldValue out, boolean setValidate) {
        out.size = 0;
        if (relo.kind() == CoreReloKind.FIELD_EXISTS) {
            out.val = spec != null ? 1 : 0;
            return 0;
        }
        if (spec == null) {
            return EUCLEAN;
        }
        int last = spec.len - 1;
        if (spec.accName[last] == null) {
            if (relo.kind() == CoreReloKind.FIELD_BYTE_OFFSET) {
                out.val = Integer.toUnsignedLong(spec.bitOffset) / 8;
                long sz = CoreSpec.resolveSize(spec.btf, spec.accType[last]);
                if (sz < 0) {
                    return EINVAL;
                }
                out.size = (int) sz;
                out.typeId = spec.accType[last];
            } else if (relo.kind() == CoreReloKind.FIELD_BYTE_SIZE) {
                long sz = CoreSpec.resolveSize(spec.btf, spec.accType[last]);
                if (sz < 0) {
                    return EINVAL;
                }
                out.val = sz;
            } else {
                log.accept(String.format("prog '%s': relo %d at insn #%d can't be applied to array access", prog,
                        CoreSpec.kindId(relo.kind()), Integer.toUnsignedLong(relo.insnOffset()) / 8));
                return EINVAL;
            }
            if (setValidate) {
                out.validate = true;
            }
            return 0;
        }
        BtfType.Composite t = (BtfType.Composite) spec.btf.type(spec.accType[last]);
        BtfType.Member m = t.members().get(spec.accIdx[last]);
        int fieldTypeId = spec.btf.resolve(m.type());
        BtfType mt = typeOrVoid(spec.btf, fieldTypeId);
        long bitOff = Integer.toUnsignedLong(spec.bitOffset);
        long bitSz = m.bitfieldSize();
        boolean bitfield = bitSz > 0;
        long byteSz;
        long byteOff;
        if (bitfield) {
            byteSz = mt == null ? 0 : Integer.toUnsignedLong(sizeOrTypeField(mt));
            if (byteSz == 0) {
                return EINVAL;
            }
            byteOff = bitOff / 8 / byteSz * byteSz;
            while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
                if (byteSz >= 8) {
                    log.accept(String.format("prog '%s': relo %d at insn #%d can't be satisfied for bitfield", prog,
                            CoreSpec.kindId(relo.kind()), Integer.toUnsignedLong(relo.insnOffset()) / 8));
                    return E2BIG;
                }
                byteSz *= 2;
                byteOff = bitOff / 8 / byteSz * byteSz;
            }
        } else {
            long sz = CoreSpec.resolveSize(spec.btf, fieldTypeId);
            if (sz < 0) {
                return EINVAL;
            }
            byteSz = sz;
            byteOff = bitOff / 8;
            bitSz = byteSz * 8;
        }
        if (setValidate) {
            out.validate = !bitfield;
        }
        switch (relo.kind()) {
            case FIELD_BYTE_OFFSET -> {
                out.val = byteOff;
                if (!bitfield) {
                    out.size = (int) byteSz;
                    out.typeId = fieldTypeId;
                }
            }
            case FIELD_BYTE_SIZE -> out.val = byteSz;
            case FIELD_SIGNED -> {
                // libbpf 1.1 reads an int encoding even from other kinds; for those it is 0 in practice.
                out.val = (mt instanceof BtfType.Enumeration e && e.signed()) || (mt instanceof BtfType.Int i && i.isSigned()) ? 1 : 0;
                if (setValidate) {
                    out.validate = true;
                }
            }
            // 32-bit unsigned arithmetic, as in libbpf; the shift for a little-endian host.
            case FIELD_LSHIFT_U64 -> out.val = (64 - (bitOff + bitSz - byteOff * 8)) & 0xffff_ffffL;
            case FIELD_RSHIFT_U64 -> {
                out.val = (64 - bitSz) & 0xffff_ffffL;
                if (setValidate) {
                    out.validate = true;
                }
            }
            default -> {
                return EOPNOTSUPP;
            }
        }
        return 0;
    }

    private static int calcType(CoreRelo relo, CoreSpec spec, FieldValue out) {
        out.validate = true;
        if (spec == null) {
            out.val = 0;
            return 0;
        }
        switch (relo.kind()) {
            case TYPE_ID_TARGET -> {
                out.val = spec.rootTypeId;
                out.validate = false;
            }
            case TYPE_EXISTS, TYPE_MATCHES -> out.val = 1;
            case TYPE_SIZE -> {
                long sz = CoreSpec.resolveSize(spec.btf, spec.rootTypeId);
                if (sz < 0) {
                    return EINVAL;
                }
                out.val = sz;
            }
            default -> {
                return EOPNOTSUPP;
            }
        }
        return 0;
    }

    private static int calcEnumval(CoreRelo relo, CoreSpec spec, FieldValue out) {
        switch (relo.kind()) {
            case ENUMVAL_EXISTS -> out.val = spec != null ? 1 : 0;
            case ENUMVAL_VALUE -> {
                if (spec == null) {
                    return EUCLEAN;
                }
                BtfType.Enumeration e = (BtfType.Enumeration) spec.btf.type(spec.accType[0]);
                long v = e.values().get(spec.accIdx[0]).value();
                // A 32-bit enumerator is a signed int in libbpf, sign-extended to 64 bits.
                out.val = e instanceof BtfType.Enum ? (int) v : v;
            }
            default -> {
                return EOPNOTSUPP;
            }
        }
        return 0;
    }

    private Result calcRelo(String prog, CoreRelo relo, int reloIndex, CoreSpec localSpec, CoreSpec targSpec) {
        FieldValue orig = new FieldValue();
        FieldValue now = new FieldValue();
        int err;
        boolean failMemSize = false;
        CoreReloKind kind = relo.kind();
        if (CoreSpec.isFieldBased(kind)) {
            err = calcField(prog, relo, localSpec, orig, true);
            if (err == 0) {
                err = calcField(prog, relo, targSpec, now, false);
            }
            if (err == 0 && orig.size != now.size) {
                BtfType ot = typeOrVoid(localSpec.btf, orig.typeId);
                BtfType nt = typeOrVoid(targSpec.btf, now.typeId);
                boolean pointers = ot instanceof BtfType.Ptr && nt instanceof BtfType.Ptr;
                boolean unsignedInts = ot instanceof BtfType.Int oi && nt instanceof BtfType.Int ni && oi.encoding() != BtfType.Int.SIGNED
                        && ni.encoding() != BtfType.Int.SIGNED;
                failMemSize = !pointers && !unsignedInts;
            }
        } else if (CoreSpec.isTypeBased(kind)) {
            err = calcType(relo, localSpec, orig);
            if (err == 0) {
                err = calcType(relo, targSpec, now);
            }
        } else {
            err = calcEnumval(relo, localSpec, orig);
            if (err == 0) {
                err = calcEnumval(relo, targSpec, now);
            }
        }
        if (err == EUCLEAN) {
            return new Result(orig.val, 0, true, orig.validate, false, orig.size, 0, orig.typeId, 0);
        }
        if (err == EOPNOTSUPP) {
            throw fail(String.format("prog '%s': relo #%d: unrecognized CO-RE relocation %s (%d) at insn #%d", prog, reloIndex,
                    kind.libbpfName(), CoreSpec.kindId(kind), Integer.toUnsignedLong(relo.insnOffset()) / 8), err);
        }
        if (err != 0) {
            throw new CoreRelocationException(String.format("prog '%s': relo #%d: cannot calculate the relocation: %d", prog, reloIndex,
                    err), err);
        }
        return new Result(orig.val, now.val, false, orig.validate, failMemSize, orig.size, now.size, orig.typeId, now.typeId);
    }

    // ---- patching (bpf_core_patch_insn) ----

    private static final int LD = 0x00;
    private static final int LDX = 0x01;
    private static final int ST = 0x02;
    private static final int STX = 0x03;
    private static final int ALU = 0x04;
    private static final int ALU64 = 0x07;
    private static final int LDIMM64 = 0x18;
    private static final int CALL = 0x85;

    /** Raw fields of the slots of bytecode in either byte order. */
    private record Code(ByteBuffer buf) {
        int opcode(int slot) {
            return buf.get(slot * 8) & 0xff;
        }

        int regs(int slot) {
            return buf.get(slot * 8 + 1) & 0xff;
        }

        int dst(int slot) {
            return buf.order() == ByteOrder.LITTLE_ENDIAN ? regs(slot) & 0xf : regs(slot) >>> 4;
        }

        int src(int slot) {
            return buf.order() == ByteOrder.LITTLE_ENDIAN ? regs(slot) >>> 4 : regs(slot) & 0xf;
        }

        short off(int slot) {
            return buf.getShort(slot * 8 + 2);
        }

        int imm(int slot) {
            return buf.getInt(slot * 8 + 4);
        }

        void opcode(int slot, int v) {
            buf.put(slot * 8, (byte) v);
        }

        void off(int slot, int v) {
            buf.putShort(slot * 8 + 2, (short) v);
        }

        void imm(int slot, int v) {
            buf.putInt(slot * 8 + 4, v);
        }

        void poison(int slot) {
            buf.put(slot * 8, (byte) CALL);
            buf.put(slot * 8 + 1, (byte) 0);
            buf.putShort(slot * 8 + 2, (short) 0);
            buf.putInt(slot * 8 + 4, POISON_HELPER);
        }
    }

    /**
     * Applies decision {@code res} to the instruction at {@code slot} of {@code code}
     * (bytecode of the function that holds it, in {@code order}).
     *
     * @throws CoreRelocationException if the instruction is not of a form CO-RE can patch
     */
    public void patch(String prog, byte[] code, ByteOrder order, int slot, int reloIndex, Result res) {
        int slots = code.length / 8;
        if (slot < 0 || slot >= slots) {
            throw fail(String.format("prog '%s': relo #%d: insn #%d is outside the program (%d insns)", prog, reloIndex, slot, slots), EINVAL);
        }
        Code c = new Code(ByteBuffer.wrap(code).order(order));
        int opcode = c.opcode(slot);
        if (res.poison()) {
            poison(prog, reloIndex, slot, c, slots);
            return;
        }
        long orig = res.originalValue();
        long now = res.newValue();
        switch (opcode & 0x07) {
            case ALU, ALU64 -> {
                if ((opcode & 0x08) != 0) {
                    throw new CoreRelocationException(String.format("prog '%s': relo #%d: insn #%d (ALU/ALU64) has a register operand",
                            prog, reloIndex, slot), EINVAL);
                }
                long imm = c.imm(slot);
                if (res.validate() && imm != orig) {
                    throw fail(String.format("prog '%s': relo #%d: unexpected insn #%d (ALU/ALU64) value: got %s, exp %s -> %s", prog,
                            reloIndex, slot, Integer.toUnsignedString((int) imm), u64(orig), u64(now)), EINVAL);
                }
                c.imm(slot, (int) now);
                log.accept(String.format("prog '%s': relo #%d: patched insn #%d (ALU/ALU64) imm %s -> %s", prog, reloIndex, slot, u64(imm),
                        u64(now)));
            }
            case LDX, ST, STX -> {
                long off = c.off(slot);
                if (res.validate() && off != orig) {
                    throw fail(String.format("prog '%s': relo #%d: unexpected insn #%d (LDX/ST/STX) value: got %s, exp %s -> %s", prog,
                            reloIndex, slot, Integer.toUnsignedString((int) off), u64(orig), u64(now)), EINVAL);
                }
                if (Long.compareUnsigned(now, Short.MAX_VALUE) > 0) {
                    throw fail(String.format("prog '%s': relo #%d: insn #%d (LDX/ST/STX) value too big: %s", prog, reloIndex, slot, u64(now)),
                            ERANGE);
                }
                if (res.failMemSizeAdjust()) {
                    log.accept(String.format("prog '%s': relo #%d: insn #%d (LDX/ST/STX) accesses field incorrectly. Make sure you are"
                            + " accessing pointers, unsigned integers, or fields of matching type and size.", prog, reloIndex, slot));
                    poison(prog, reloIndex, slot, c, slots);
                    return;
                }
                c.off(slot, (int) now);
                log.accept(String.format("prog '%s': relo #%d: patched insn #%d (LDX/ST/STX) off %s -> %s", prog, reloIndex, slot, u64(off),
                        u64(now)));
                if (res.newSize() != res.originalSize()) {
                    int bytes = switch (opcode & 0x18) {
                        case 0x00 -> 4;
                        case 0x08 -> 2;
                        case 0x10 -> 1;
                        default -> 8;
                    };
                    if (bytes != res.originalSize()) {
                        throw fail(String.format("prog '%s': relo #%d: insn #%d (LDX/ST/STX) unexpected mem size: got %d, exp %d", prog,
                                reloIndex, slot, bytes, res.originalSize()), EINVAL);
                    }
                    int sizeCode = switch (res.newSize()) {
                        case 8 -> 0x18;
                        case 4 -> 0x00;
                        case 2 -> 0x08;
                        case 1 -> 0x10;
                        default -> throw fail(String.format("prog '%s': relo #%d: insn #%d (LDX/ST/STX) invalid new mem size: %d", prog,
                                reloIndex, slot, Integer.toUnsignedLong(res.newSize())), EINVAL);
                    };
                    c.opcode(slot, (opcode & 0xe0) | sizeCode | (opcode & 0x07));
                    log.accept(String.format("prog '%s': relo #%d: patched insn #%d (LDX/ST/STX) mem_sz %d -> %d", prog, reloIndex, slot,
                            res.originalSize(), res.newSize()));
                }
            }
            case LD -> {
                if (opcode != LDIMM64 || slot + 1 >= slots || c.src(slot) != 0 || c.off(slot) != 0 || c.opcode(slot + 1) != 0
                        || c.regs(slot + 1) != 0 || c.off(slot + 1) != 0) {
                    throw fail(String.format("prog '%s': relo #%d: insn #%d (LDIMM64) has unexpected form", prog, reloIndex, slot), EINVAL);
                }
                long imm = Integer.toUnsignedLong(c.imm(slot)) | ((long) c.imm(slot + 1) << 32);
                if (res.validate() && imm != orig) {
                    throw fail(String.format("prog '%s': relo #%d: unexpected insn #%d (LDIMM64) value: got %s, exp %s -> %s", prog,
                            reloIndex, slot, u64(imm), u64(orig), u64(now)), EINVAL);
                }
                c.imm(slot, (int) now);
                c.imm(slot + 1, (int) (now >>> 32));
                log.accept(String.format("prog '%s': relo #%d: patched insn #%d (LDIMM64) imm64 %s -> %s", prog, reloIndex, slot, u64(imm),
                        u64(now)));
            }
            default -> throw fail(String.format(
                    "prog '%s': relo #%d: trying to relocate unrecognized insn #%d, code:0x%x, src:0x%x, dst:0x%x, off:0x%x, imm:0x%x", prog,
                    reloIndex, slot, opcode, c.src(slot), c.dst(slot), (int) c.off(slot), c.imm(slot)), EINVAL);
        }
    }

    private void poison(String prog, int reloIndex, int slot, Code c, int slots) {
        if (c.opcode(slot) == LDIMM64 && slot + 1 < slots) {
            log.accept(String.format("prog '%s': relo #%d: substituting insn #%d w/ invalid insn", prog, reloIndex, slot + 1));
            c.poison(slot + 1);
        }
        log.accept(String.format("prog '%s': relo #%d: substituting insn #%d w/ invalid insn", prog, reloIndex, slot));
        c.poison(slot);
    }

    private static String u64(long v) {
        return Long.toUnsignedString(v);
    }
}
