package io.bpf4j.cli;

import io.bpf4j.BpfException;
import io.bpf4j.MapType;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfType;
import io.bpf4j.kernel.KernelBtf;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.MapInfo;
import io.bpf4j.kernel.ProgramInfo;
import java.util.Optional;

/**
 * A program's metadata as bpftool shows it: the {@code bpf_metadata_*} variables of the first
 * {@code .rodata} map the program uses, printed through their BTF types.
 */
final class ProgMetadata {
    private static final String PREFIX = "bpf_metadata_";

    private ProgMetadata() {}

    /** The .rodata value with its BTF datasec, or null when the program has no metadata map. */
    private record Rodata(Btf btf, BtfType.Datasec section, byte[] value) {
        /** The value's bytes from {@code offset} on. */
        byte[] at(int offset) {
            return java.util.Arrays.copyOfRange(value, offset, value.length);
        }
    }

    static void plain(StringBuilder out, ProgramInfo info) {
        Rodata r = find(info);
        if (r == null) {
            return;
        }
        boolean header = false;
        for (BtfType.VarSecinfo vsi : r.section().vars()) {
            BtfType.Var v = (BtfType.Var) r.btf().type(vsi.type());
            if (!v.name().startsWith(PREFIX)) {
                continue;
            }
            if (!header) {
                out.append("\tmetadata:");
                header = true;
            }
            out.append("\n\t\t").append(v.name().substring(PREFIX.length())).append(" = ");
            new BtfValueDumper(r.btf(), new JsonWriter(out, false), true).dump(v.type(), r.at(vsi.offset()));
        }
        if (header) {
            out.append('\n');
        }
    }

    static void json(JsonWriter w, ProgramInfo info) {
        Rodata r = find(info);
        if (r == null) {
            return;
        }
        boolean header = false;
        BtfValueDumper d = new BtfValueDumper(r.btf(), w, false);
        for (BtfType.VarSecinfo vsi : r.section().vars()) {
            BtfType.Var v = (BtfType.Var) r.btf().type(vsi.type());
            if (!v.name().startsWith(PREFIX)) {
                continue;
            }
            if (!header) {
                w.name("metadata").startObject();
                header = true;
            }
            w.name(v.name().substring(PREFIX.length()));
            if (!d.dump(v.type(), r.at(vsi.offset()))) {
                break;
            }
        }
        if (header) {
            w.endObject();
        }
    }

    private static Rodata find(ProgramInfo info) {
        for (int id : info.mapIds()) {
            try (KernelMap m = Handles.openMapIfPresent(id)) {
                if (m == null) {
                    return null;
                }
                MapInfo mi = m.info();
                if (mi.typeId() != MapType.ARRAY.id() || mi.keySize() != 4 || mi.maxEntries() != 1
                        || mi.btfValueTypeId() == 0 || !mi.name().contains(".rodata")) {
                    continue;
                }
                Optional<byte[]> value = m.lookup(new byte[4]);
                if (value.isEmpty()) {
                    return null;
                }
                try (KernelBtf kernelBtf = KernelBtf.openById(mi.btfId())) {
                    Btf btf = Btf.parse(kernelBtf.rawData());
                    return btf.type(mi.btfValueTypeId()) instanceof BtfType.Datasec d ? new Rodata(btf, d, value.get()) : null;
                } catch (BpfException e) {
                    return null;
                }
            }
        }
        return null;
    }
}
