package io.bpf4j.cli;

import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfExt;
import io.bpf4j.btf.BtfType;

/** BTF types as the JSON of {@code bpftool -j btf dump ... format raw}: same keys, same order. */
final class BtfJsonDump {
    private BtfJsonDump() {}

    /** The types, and with {@code ext} (bpf4j's addition) its records in arrays "func_info", "line_info", "core_relos". */
    static void dump(Btf btf, BtfExt ext, JsonWriter w) {
        w.startObject().name("types").startArray();
        for (int id = btf.firstId(); id < btf.typeCount(); id++) {
            type(btf, id, w);
        }
        w.endArray();
        if (ext != null) {
            w.name("func_info").startArray();
            ext.funcInfos().forEach((sec, infos) -> infos.forEach(f -> w.startObject().field("section", sec)
                    .field("insn_off", u32(f.insnOffset())).field("type_id", f.typeId()).endObject()));
            w.endArray().name("line_info").startArray();
            ext.lineInfos().forEach((sec, infos) -> infos.forEach(l -> w.startObject().field("section", sec)
                    .field("insn_off", u32(l.insnOffset())).field("file", l.fileName()).field("line", l.line())
                    .field("col", l.column()).field("text", l.lineText()).endObject()));
            w.endArray().name("core_relos").startArray();
            ext.coreRelos().forEach((sec, relos) -> relos.forEach(r -> w.startObject().field("section", sec)
                    .field("insn_off", u32(r.insnOffset())).field("type_id", r.typeId()).field("access", r.accessString())
                    .field("kind", r.kind().libbpfName()).endObject()));
            w.endArray();
        }
        w.endObject();
    }

    private static String name(String name) {
        return name.isEmpty() ? "(anon)" : name;
    }

    private static long u32(int v) {
        return Integer.toUnsignedLong(v);
    }

    private static void type(Btf btf, int id, JsonWriter w) {
        BtfType t = btf.type(id);
        w.startObject().field("id", id).field("kind", t.kind().name()).field("name", name(t.name()));
        switch (t) {
            case BtfType.Int i -> w.field("size", u32(i.size())).field("bits_offset", i.bitOffset()).field("nr_bits", i.bits())
                    .field("encoding", switch (i.encoding()) {
                        case 0 -> "(none)";
                        case BtfType.Int.SIGNED -> "SIGNED";
                        case BtfType.Int.CHAR -> "CHAR";
                        default -> "BOOL";
                    });
            case BtfType.Array a -> w.field("type_id", u32(a.type())).field("index_type_id", u32(a.indexType())).field("nr_elems", u32(a.length()));
            case BtfType.Composite c -> {
                w.field("size", u32(c.size())).field("vlen", c.members().size()).name("members").startArray();
                for (BtfType.Member m : c.members()) {
                    w.startObject().field("name", name(m.name())).field("type_id", u32(m.type())).field("bits_offset", u32(m.bitOffset()));
                    if (m.bitfieldSize() != 0) {
                        w.field("bitfield_size", m.bitfieldSize());
                    }
                    w.endObject();
                }
                w.endArray();
            }
            case BtfType.Enumeration e -> {
                w.field("encoding", e.signed() ? "SIGNED" : "UNSIGNED").field("size", u32(e.size())).field("vlen", e.values().size());
                w.name("values").startArray();
                for (BtfType.EnumValue v : e.values()) {
                    w.startObject().field("name", name(v.name())).name("val");
                    // bpftool widens a 32-bit value as signed before printing it unsigned.
                    long value = e instanceof BtfType.Enum ? (int) v.value() : v.value();
                    if (e.signed()) {
                        w.value(value);
                    } else {
                        w.unsigned(value);
                    }
                    w.endObject();
                }
                w.endArray();
            }
            case BtfType.Fwd f -> w.field("fwd_kind", f.union() ? "union" : "struct");
            case BtfType.Func f -> w.field("type_id", u32(f.type())).field("linkage", f.linkage().bpftoolName());
            case BtfType.FuncProto p -> {
                w.field("ret_type_id", u32(p.returnType())).field("vlen", p.params().size()).name("params").startArray();
                for (BtfType.Param param : p.params()) {
                    w.startObject().field("name", name(param.name())).field("type_id", u32(param.type())).endObject();
                }
                w.endArray();
            }
            case BtfType.Var v -> w.field("type_id", u32(v.type())).field("linkage", v.linkage().bpftoolName());
            case BtfType.Datasec d -> {
                w.field("size", u32(d.size())).field("vlen", d.vars().size()).name("vars").startArray();
                for (BtfType.VarSecinfo v : d.vars()) {
                    w.startObject().field("type_id", u32(v.type())).field("offset", u32(v.offset())).field("size", u32(v.size())).endObject();
                }
                w.endArray();
            }
            case BtfType.Float f -> w.field("size", u32(f.size()));
            case BtfType.DeclTag d -> w.field("type_id", u32(d.type())).field("component_idx", d.componentIdx());
            case BtfType.Ref r -> w.field("type_id", u32(r.type()));
        }
        w.endObject();
    }
}
