package io.bpf4j.cli;

import io.bpf4j.BpfException;
import io.bpf4j.btf.Btf;
import io.bpf4j.kernel.KernelBtf;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.MapInfo;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A map with what printing its entries needs: its info and the BTF describing its key and
 * value (the map's own BTF object, or vmlinux's for struct_ops values), as bpftool gets them.
 */
record MapView(KernelMap map, MapInfo info, Btf btf) {

    static MapView of(KernelMap map) {
        MapInfo info = map.info();
        Btf btf = null;
        if (info.btfVmlinuxValueTypeId() != 0) {
            btf = Btf.read(Path.of(BtfCommand.VMLINUX), null);
        } else if (info.btfValueTypeId() != 0) {
            try (KernelBtf kernelBtf = KernelBtf.openById(info.btfId())) {
                btf = Btf.parse(kernelBtf.rawData());
            } catch (BpfException e) {
                throw new BpfException("failed to get btf: " + e.getMessage(), e);
            }
        }
        return new MapView(map, info, btf);
    }

    /** bpftool's do_dump_btf: the entry as an object of BTF-formatted key and value(s). */
    void dumpBtf(JsonWriter w, boolean plainText, byte[] key, byte[] value) {
        BtfValueDumper d = new BtfValueDumper(btf, w, plainText);
        w.startObject();
        boolean ok = true;
        if (info.btfKeyTypeId() != 0) {
            w.name("key");
            ok = d.dump(info.btfKeyTypeId(), key);
        }
        if (ok) {
            int valueType = info.btfVmlinuxValueTypeId() != 0 ? info.btfVmlinuxValueTypeId() : info.btfValueTypeId();
            if (!map.isPerCpu()) {
                w.name("value");
                d.dump(valueType, value);
            } else {
                int step = (info.valueSize() + 7) & ~7;
                w.name("values").startArray();
                for (int cpu = 0; cpu * step < value.length; cpu++) {
                    w.startObject().field("cpu", cpu).name("value");
                    boolean cpuOk = d.dump(valueType, Arrays.copyOfRange(value, cpu * step, cpu * step + step));
                    w.endObject();
                    if (!cpuOk) {
                        break;
                    }
                }
                w.endArray();
            }
        }
        w.endObject();
    }
}
