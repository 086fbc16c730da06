package io.bpf4j.btf;

/**
 * Prints BTF types one per line (members, values and parameters on indented lines
 * below) exactly as {@code bpftool btf dump file FILE format raw} does.
 *
 * <pre>{@code
 * StringBuilder sb = new StringBuilder();
 * BtfRawDump.dump(btf, sb);   // "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n" ...
 * }</pre>
 */
public final class BtfRawDump {
    private BtfRawDump() {}

    /** Appends every type of {@code btf} (not its base's) to {@code out}. */
    public static void dump(Btf btf, StringBuilder out) {
        for (int id = btf.firstId(); id < btf.typeCount(); id++) {
            dump(btf, id, out);
        }
    }

    /** Name as bpftool prints it. */
    static String name(String name) {
        return name.isEmpty() ? "(anon)" : name;
    }

    /** bpftool's name of an INT encoding. */
    static String encoding(int encoding) {
        return switch (encoding) {
            case 0 -> "(none)";
            case BtfType.Int.SIGNED -> "SIGNED";
            case BtfType.Int.CHAR -> "CHAR";
            case BtfType.Int.BOOL -> "BOOL";
            default -> "UNKN";
        };
    }

    /** Appends type {@code id} and its newline. */
    public static void dump(Btf btf, int id, StringBuilder out) {
        BtfType type = btf.type(id);
        out.append('[').append(id).append("] ").append(type.kind().name()).append(" '").append(name(type.name())).append('\'');
        switch (type) {
            case BtfType.Int i -> out.append(" size=").append(u32(i.size())).append(" bits_offset=").append(i.bitOffset())
                    .append(" nr_bits=").append(i.bits()).append(" encoding=").append(encoding(i.encoding()));
            case BtfType.Array a -> out.append(" type_id=").append(u32(a.type())).append(" index_type_id=").append(u32(a.indexType()))
                    .append(" nr_elems=").append(u32(a.length()));
            case BtfType.Composite c -> {
                out.append(" size=").append(u32(c.size())).append(" vlen=").append(c.members().size());
                for (BtfType.Member m : c.members()) {
                    out.append("\n\t'").append(name(m.name())).append("' type_id=").append(u32(m.type()))
                            .append(" bits_offset=").append(u32(m.bitOffset()));
                    if (m.bitfieldSize() != 0) {
                        out.append(" bitfield_size=").append(m.bitfieldSize());
                    }
                }
            }
            case BtfType.Enum e -> {
                enumHead(e, out);
                for (BtfType.EnumValue v : e.values()) {
                    out.append("\n\t'").append(name(v.name())).append("' val=").append(e.signed() ? (int) v.value() : u32((int) v.value()));
                }
            }
            case BtfType.Enum64 e -> {
                enumHead(e, out);
                for (BtfType.EnumValue v : e.values()) {
                    out.append("\n\t'").append(name(v.name())).append("' val=");
                    if (e.signed()) {
                        out.append(v.value()).append("LL");
                    } else {
                        out.append(Long.toUnsignedString(v.value())).append("ULL");
                    }
                }
            }
            case BtfType.Fwd f -> out.append(" fwd_kind=").append(f.union() ? "union" : "struct");
            case BtfType.Func f -> out.append(" type_id=").append(u32(f.type())).append(" linkage=").append(f.linkage().bpftoolName());
            case BtfType.FuncProto p -> {
                out.append(" ret_type_id=").append(u32(p.returnType())).append(" vlen=").append(p.params().size());
                for (BtfType.Param param : p.params()) {
                    out.append("\n\t'").append(name(param.name())).append("' type_id=").append(u32(param.type()));
                }
            }
            case BtfType.Var v -> out.append(" type_id=").append(u32(v.type())).append(", linkage=").append(v.linkage().bpftoolName());
            case BtfType.Datasec d -> {
                out.append(" size=").append(u32(d.size())).append(" vlen=").append(d.vars().size());
                for (BtfType.VarSecinfo v : d.vars()) {
                    out.append("\n\ttype_id=").append(u32(v.type())).append(" offset=").append(u32(v.offset()))
                            .append(" size=").append(u32(v.size()));
                    BtfType vt = btf.type(v.type());
                    out.append(" (").append(vt.kind().name()).append(" '").append(name(vt.name())).append("')");
                }
            }
            case BtfType.Float f -> out.append(" size=").append(u32(f.size()));
            case BtfType.DeclTag d -> out.append(" type_id=").append(u32(d.type())).append(" component_idx=").append(d.componentIdx());
            case BtfType.Ref r -> out.append(" type_id=").append(u32(r.type()));
        }
        out.append('\n');
    }

    private static void enumHead(BtfType.Enumeration e, StringBuilder out) {
        out.append(" encoding=").append(e.signed() ? "SIGNED" : "UNSIGNED").append(" size=").append(u32(e.size()))
                .append(" vlen=").append(e.values().size());
    }

    static long u32(int v) {
        return Integer.toUnsignedLong(v);
    }
}
