package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfBuilder;
import io.bpf4j.btf.BtfType;
import io.bpf4j.object.ExternSpec;
import io.bpf4j.object.ObjectSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * An object's BTF as the loader hands it to the kernel, made the way libbpf makes it:
 * extern sections turned into allocated variables ({@code .ksyms} externs become 4-byte ints,
 * kfuncs point at a {@code dummy_ksym} variable; {@code .kconfig} variables get their offsets),
 * then kinds this kernel does not know replaced by ones it does ({@code bpf_object__sanitize_btf}).
 */
final class ObjectBtf {
    /** BTF kinds and flags that kernels added over time, each probed once by loading a tiny BTF. */
    enum Feature {
        FUNC, GLOBAL_FUNC, DATASEC, FLOAT, DECL_TAG, TYPE_TAG, ENUM64
    }

    private static final Map<Feature, Boolean> SUPPORTED = new EnumMap<>(Feature.class);

    private final byte[] blob;
    private final Map<String, Integer> strings;

    private ObjectBtf(byte[] blob) {
        this.blob = blob;
        this.strings = stringOffsets(blob);
    }

    /** The raw BTF to load for {@code spec}; {@code log} hears what was changed. */
    static ObjectBtf prepare(ObjectSpec spec, java.util.function.Consumer<String> log) {
        Btf btf = spec.btf().orElseThrow();
        BtfBuilder b = BtfBuilder.from(btf);
        allocateExterns(btf, b, spec.externs());
        List<String> replaced = sanitize(b, btf.typeCount());
        if (!replaced.isEmpty()) {
            log.accept("sanitized BTF for this kernel: " + String.join(", ", replaced));
        }
        return new ObjectBtf(b.build().toBytes(ByteOrder.nativeOrder()));
    }

    byte[] blob() {
        return blob;
    }

    /** The offset of {@code s} in the string section, for line_info records. */
    int stringOffset(String s) {
        Integer off = strings.get(s);
        if (off == null) {
            throw new BpfException("BTF string '" + s + "' of a line_info record is not in the object's BTF");
        }
        return off;
    }

    private static Map<String, Integer> stringOffsets(byte[] blob) {
        ByteBuffer h = ByteBuffer.wrap(blob).order(ByteOrder.nativeOrder());
        int hdrLen = h.getInt(4);
        int strOff = hdrLen + h.getInt(16);
        int strLen = h.getInt(20);
        Map<String, Integer> out = new HashMap<>();
        int start = 0;
        for (int i = 0; i < strLen; i++) {
            if (blob[strOff + i] == 0) {
                out.putIfAbsent(new String(blob, strOff + start, i - start, StandardCharsets.UTF_8), start);
                start = i + 1;
            }
        }
        return out;
    }

    /** libbpf's {@code bpf_object__collect_externs} rewriting of {@code .ksyms} and {@code .kconfig}. */
    private static void allocateExterns(Btf btf, BtfBuilder b, List<ExternSpec> externs) {
        int intId = 0;
        for (int id = 1; id < btf.typeCount() && intId == 0; id++) {
            if (btf.type(id) instanceof BtfType.Int i && i.bits() == 32) {
                intId = id;
            }
        }
        for (int id = 1; id < btf.typeCount(); id++) {
            if (!(btf.type(id) instanceof BtfType.Datasec d)) {
                continue;
            }
            if (d.name().equals(".ksyms")) {
                allocateKsyms(btf, b, id, d, intId);
            } else if (d.name().equals(".kconfig")) {
                allocateKconfig(btf, b, id, d, externs);
            }
        }
    }

    private static void allocateKsyms(Btf btf, BtfBuilder b, int secId, BtfType.Datasec d, int intId) {
        boolean hasFunc = d.vars().stream().anyMatch(v -> btf.type(v.type()) instanceof BtfType.Func);
        int dummy = hasFunc ? b.add(new BtfType.Var("dummy_ksym", intId, BtfType.Linkage.GLOBAL)) : 0;
        List<BtfType.VarSecinfo> vars = new ArrayList<>();
        int off = 0;
        for (BtfType.VarSecinfo vs : d.vars()) {
            int type = vs.type();
            switch (btf.type(vs.type())) {
                case BtfType.Func f -> {
                    if (btf.type(f.type()) instanceof BtfType.FuncProto p) {
                        b.set(f.type(), new BtfType.FuncProto(p.returnType(), p.params().stream()
                                .map(q -> q.type() != 0 && q.name().isEmpty() ? new BtfType.Param("dummy_ksym", q.type()) : q).toList()));
                    }
                    b.set(vs.type(), new BtfType.Func(f.name(), f.type(), BtfType.Linkage.GLOBAL));
                    type = dummy;
                }
                case BtfType.Var v -> b.set(vs.type(), new BtfType.Var(v.name(), intId, BtfType.Linkage.GLOBAL));
                default -> {
                }
            }
            vars.add(new BtfType.VarSecinfo(type, off, 4));
            off += 4;
        }
        b.set(secId, new BtfType.Datasec(d.name(), off, vars));
    }

    private static void allocateKconfig(Btf btf, BtfBuilder b, int secId, BtfType.Datasec d, List<ExternSpec> externs) {
        Map<String, ExternSpec> byName = new HashMap<>();
        int size = 0;
        for (ExternSpec e : externs) {
            if (e.kind() == ExternSpec.Kind.KCONFIG) {
                byName.put(e.name(), e);
                size = Math.max(size, e.offset() + e.size());
            }
        }
        List<BtfType.VarSecinfo> vars = new ArrayList<>();
        for (BtfType.VarSecinfo vs : d.vars()) {
            if (btf.type(vs.type()) instanceof BtfType.Var v) {
                ExternSpec e = byName.get(v.name());
                if (e == null) {
                    throw new BpfException("failed to find extern definition for BTF var '" + v.name() + "'");
                }
                b.set(vs.type(), new BtfType.Var(v.name(), v.type(), BtfType.Linkage.GLOBAL));
                vars.add(new BtfType.VarSecinfo(vs.type(), e.offset(), vs.size()));
            } else {
                vars.add(vs);
            }
        }
        vars.sort(Comparator.comparingInt(BtfType.VarSecinfo::offset));
        b.set(secId, new BtfType.Datasec(d.name(), size, vars));
    }

    /** Replaces what this kernel's BTF lacks, as libbpf does; returns what was replaced. */
    private static List<String> sanitize(BtfBuilder b, int count) {
        boolean func = supported(Feature.FUNC);
        boolean globalFunc = supported(Feature.GLOBAL_FUNC);
        boolean datasec = supported(Feature.DATASEC);
        boolean floats = supported(Feature.FLOAT);
        boolean declTag = supported(Feature.DECL_TAG);
        boolean typeTag = supported(Feature.TYPE_TAG);
        boolean enum64 = supported(Feature.ENUM64);
        List<String> replaced = new ArrayList<>();
        if (func && globalFunc && datasec && floats && declTag && typeTag && enum64) {
            return replaced;
        }
        int placeholder = 0;
        for (int id = 1; id < count; id++) {
            BtfType t = b.get(id);
            BtfType fixed = switch (t) {
                case BtfType.Var v when !datasec -> new BtfType.Int(v.name(), 1, 0, 0, 8);
                case BtfType.DeclTag d when !declTag -> new BtfType.Int(d.name(), 1, 0, 0, 8);
                case BtfType.Datasec d when !datasec -> new BtfType.Struct(d.name().replace('.', '_'), d.size(), d.vars().stream()
                        .map(v -> new BtfType.Member(b.get(v.type()).name(), v.type(), v.offset() * 8, 0)).toList(), false);
                case BtfType.FuncProto p when !func -> new BtfType.Enum("", 4, false, p.params().stream()
                        .map(q -> new BtfType.EnumValue(q.name(), q.type())).toList());
                case BtfType.Func f when !func -> new BtfType.Typedef(f.name(), f.type());
                case BtfType.Func f when !globalFunc && f.linkage() != BtfType.Linkage.STATIC ->
                        new BtfType.Func(f.name(), f.type(), BtfType.Linkage.STATIC);
                case BtfType.Float f when !floats -> new BtfType.Struct("", f.size(), List.of(), false);
                case BtfType.TypeTag tag when !typeTag -> new BtfType.Const(tag.type());
                case BtfType.Enum e when !enum64 && e.signed() -> new BtfType.Enum(e.name(), e.size(), false, e.values());
                case BtfType.Enum64 e when !enum64 -> {
                    if (placeholder == 0) {
                        placeholder = b.add(new BtfType.Int("enum64_placeholder", 1, 0, 0, 8));
                    }
                    int p = placeholder;
                    yield new BtfType.Union(e.name(), e.size(), e.values().stream().map(v -> new BtfType.Member(v.name(), p, 0, 0))
                            .toList(), false);
                }
                default -> t;
            };
            if (fixed != t) {
                b.set(id, fixed);
                replaced.add("[" + id + "] " + t.kind() + " -> " + fixed.kind());
            }
        }
        return replaced;
    }

    /** Whether the kernel accepts BTF using {@code f}; probed once per process. */
    static boolean supported(Feature f) {
        synchronized (SUPPORTED) {
            return SUPPORTED.computeIfAbsent(f, ObjectBtf::probe);
        }
    }

    private static boolean probe(Feature f) {
        Supplier<BtfBuilder> withInt = () -> {
            BtfBuilder b = new BtfBuilder();
            b.add(new BtfType.Int("int", 4, BtfType.Int.SIGNED, 0, 32));
            return b;
        };
        BtfBuilder b = withInt.get();
        switch (f) {
            case FUNC, GLOBAL_FUNC -> {
                int proto = b.add(new BtfType.FuncProto(1, List.of(new BtfType.Param("x", 1))));
                b.add(new BtfType.Func("f", proto, f == Feature.FUNC ? BtfType.Linkage.STATIC : BtfType.Linkage.GLOBAL));
            }
            case DATASEC -> {
                int v = b.add(new BtfType.Var("x", 1, BtfType.Linkage.STATIC));
                b.add(new BtfType.Datasec(".data", 4, List.of(new BtfType.VarSecinfo(v, 0, 4))));
            }
            case FLOAT -> b.add(new BtfType.Float("float", 4));
            case DECL_TAG -> {
                int v = b.add(new BtfType.Var("x", 1, BtfType.Linkage.GLOBAL));
                b.add(new BtfType.DeclTag("tag", v, -1, false));
            }
            case TYPE_TAG -> {
                int tag = b.add(new BtfType.TypeTag("tag", 1, false));
                b.add(new BtfType.Ptr(tag));
            }
            case ENUM64 -> b.add(new BtfType.Enum64("e", 8, false, List.of(new BtfType.EnumValue("v", 1L << 40))));
        }
        try (KernelBtf loaded = KernelBtf.load(b.build().toBytes(ByteOrder.nativeOrder()))) {
            return loaded.id() > 0;
        } catch (BpfSyscallException e) {
            return false;
        }
    }
}
