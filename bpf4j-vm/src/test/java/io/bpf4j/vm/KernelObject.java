package io.bpf4j.vm;

import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.MapDefinition;
import io.bpf4j.kernel.ProgramDefinition;
import io.bpf4j.kernel.VerifierException;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An {@link ObjectSpec} loaded into the kernel the way {@link VmObject} loads it into the
 * VM (same map creation, same linking through {@link VmObject#linked}), one program at a
 * time, so that a program the verifier refuses does not keep its siblings out. The
 * kernel side of the object differential tests; the kernel backend's own object loader
 * will replace it.
 */
final class KernelObject implements AutoCloseable {
    final Map<String, KernelMap> maps = new LinkedHashMap<>();
    final Map<String, KernelProgram> programs = new LinkedHashMap<>();
    /** Programs the verifier refused, with its log. */
    final Map<String, String> refused = new LinkedHashMap<>();
    private final List<KernelMap> templates = new ArrayList<>();

    KernelObject(ObjectSpec spec) {
        try {
            for (MapSpec m : spec.maps()) {
                maps.put(m.name(), create(m));
            }
            for (ProgramSpec p : spec.programs()) {
                if (!p.autoload()) {
                    continue;
                }
                byte[] code = VmObject.linked(spec, p, name -> maps.get(name).fd());
                ProgramDefinition d = ProgramDefinition.of(p.type(), shortName(p.name()), code, p.license());
                if (p.attachType() != null) {
                    d = d.withExpectedAttachType(p.attachType());
                }
                try {
                    programs.put(p.name(), KernelProgram.load(d.withFlags(p.flags())));
                } catch (VerifierException e) {
                    refused.put(p.name(), e.log());
                }
            }
            for (MapSpec m : spec.maps()) {
                List<String> slots = m.initialSlots();
                for (int i = 0; i < slots.size(); i++) {
                    String target = slots.get(i);
                    int fd = target == null ? -1 : m.type() == MapType.PROG_ARRAY
                            ? (programs.containsKey(target) ? programs.get(target).fd() : -1)
                            : maps.get(target).fd();
                    if (fd >= 0) {
                        maps.get(m.name()).update(MapsTest.u32(i), MapsTest.u32(fd), BpfMap.UPDATE_ANY);
                    }
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private KernelMap create(MapSpec m) {
        // As libbpf: a perf event array without max_entries gets one slot per possible CPU.
        int maxEntries = m.type() == io.bpf4j.MapType.PERF_EVENT_ARRAY && m.maxEntries() == 0
                ? io.bpf4j.kernel.Kernel.possibleCpus() : m.maxEntries();
        MapDefinition d = MapDefinition.of(m.type(), m.keySize(), m.valueSize(), maxEntries).withFlags(m.flags())
                .withName(shortName(m.name()));
        if (m.innerMap() != null) {
            KernelMap template = create(m.innerMap());
            templates.add(template);
            d = d.withInnerMap(template);
        }
        KernelMap map = KernelMap.create(d);
        if (m.kind().isGlobalData()) {
            map.update(new byte[4], java.util.Arrays.copyOf(m.data(), m.valueSize()), BpfMap.UPDATE_ANY);
            if (m.kind() == MapSpec.Kind.RODATA) {
                map.freeze();
            }
        }
        return map;
    }

    private static String shortName(String name) {
        return name.length() > MapDefinition.MAX_NAME_LENGTH ? name.substring(0, MapDefinition.MAX_NAME_LENGTH) : name;
    }

    @Override
    public void close() {
        programs.values().forEach(KernelProgram::close);
        maps.values().forEach(KernelMap::close);
        templates.forEach(KernelMap::close);
    }
}
