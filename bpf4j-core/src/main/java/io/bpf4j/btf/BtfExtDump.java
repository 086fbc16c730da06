package io.bpf4j.btf;

import java.util.List;
import java.util.Map;

/**
 * Prints the records of a {@link BtfExt}, one per line, grouped by kind and section:
 * <pre>
 * func_info 'xdp' insn=0 type_id=7 (FUNC 'prog0')
 * line_info 'xdp' insn=0 file='/src/prog.c' line=12 col=5 '	return XDP_PASS;'
 * core_relo 'kprobe/do_exit' insn=3 type_id=34 (STRUCT 'task_struct') access='0:12' kind=byte_off
 * </pre>
 * {@code insn} is the instruction index in its section (the byte offset divided by 8).
 */
public final class BtfExtDump {
    private BtfExtDump() {}

    public static void dump(Btf btf, BtfExt ext, StringBuilder out) {
        each(ext.funcInfos(), (sec, f) -> {
            head(out, "func_info", sec, f.insnOffset()).append(" type_id=").append(f.typeId());
            typeNote(btf, f.typeId(), out).append('\n');
        });
        each(ext.lineInfos(), (sec, l) -> head(out, "line_info", sec, l.insnOffset())
                .append(" file='").append(l.fileName()).append("' line=").append(l.line()).append(" col=").append(l.column())
                .append(" '").append(l.lineText()).append("'\n"));
        each(ext.coreRelos(), (sec, r) -> {
            head(out, "core_relo", sec, r.insnOffset()).append(" type_id=").append(r.typeId());
            typeNote(btf, r.typeId(), out).append(" access='").append(r.accessString()).append("' kind=").append(r.kind().libbpfName()).append('\n');
        });
    }

    private interface Printer<T> {
        void print(String section, T record);
    }

    private static <T> void each(Map<String, List<T>> bySection, Printer<T> printer) {
        bySection.forEach((section, records) -> records.forEach(r -> printer.print(section, r)));
    }

    private static StringBuilder head(StringBuilder out, String what, String section, int insnOffset) {
        return out.append(what).append(" '").append(section).append("' insn=").append(Integer.toUnsignedLong(insnOffset) / 8);
    }

    private static StringBuilder typeNote(Btf btf, int id, StringBuilder out) {
        BtfType t = btf.type(id);
        return out.append(" (").append(t.kind().name()).append(" '").append(BtfRawDump.name(t.name())).append("')");
    }
}
