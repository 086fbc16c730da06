package io.bpf4j.bcc;

import io.bpf4j.BpfException;
import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import io.bpf4j.btf.CoreTarget;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.Instructions;
import io.bpf4j.isa.PseudoSource;
import io.bpf4j.isa.SlotMap;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.MapDefinition;
import io.bpf4j.kernel.ProgramDefinition;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import io.bpf4j.object.Reference;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An object's maps and programs in the kernel, by name.
 *
 * <p>Interim: the kernel backend's own object loader (issue 6) replaces the loading here
 * when it lands; until then this creates the maps (global data filled, {@code .rodata}
 * frozen), CO-RE-relocates against the running kernel, patches map references and loads
 * every autoload program, without BTF for maps or func/line info for programs.
 */
final class LoadedObject implements AutoCloseable {
    private final ObjectSpec spec;
    private final Map<String, KernelMap> maps = new LinkedHashMap<>();
    private final Map<String, KernelProgram> programs = new LinkedHashMap<>();

    private LoadedObject(ObjectSpec spec) {
        this.spec = spec;
    }

    static LoadedObject load(ObjectSpec spec) {
        ObjectSpec relocated = spec.relocate(CoreTarget.kernel(), line -> {}).spec();
        LoadedObject o = new LoadedObject(relocated);
        try {
            for (MapSpec m : relocated.maps()) {
                o.maps.put(m.name(), create(m));
            }
            for (ProgramSpec p : relocated.programs()) {
                if (p.autoload()) {
                    o.programs.put(p.name(), o.loadProgram(p));
                }
            }
            return o;
        } catch (RuntimeException e) {
            o.close();
            throw e;
        }
    }

    private static KernelMap create(MapSpec m) {
        if (m.innerMap() != null || m.kind() == MapSpec.Kind.STRUCT_OPS || m.kind() == MapSpec.Kind.KCONFIG) {
            throw new BpfException("map '" + m.name() + "': maps of maps, struct_ops and .kconfig are not loaded by bpf4j-bcc yet");
        }
        int maxEntries = m.type() == MapType.PERF_EVENT_ARRAY && m.maxEntries() == 0
                ? Runtime.getRuntime().availableProcessors() : m.maxEntries();
        String name = m.name().length() > MapDefinition.MAX_NAME_LENGTH ? m.name().substring(0, MapDefinition.MAX_NAME_LENGTH)
                : m.name();
        KernelMap map = KernelMap.create(MapDefinition.of(m.type(), m.keySize(), m.valueSize(), maxEntries)
                .withFlags(m.flags()).withName(name));
        try {
            if (m.kind().isGlobalData()) {
                map.update(new byte[4], Arrays.copyOf(m.data(), m.valueSize()), BpfMap.UPDATE_ANY);
                if (m.kind() == MapSpec.Kind.RODATA) {
                    map.freeze();
                }
            }
            return map;
        } catch (RuntimeException e) {
            map.close();
            throw e;
        }
    }

    private KernelProgram loadProgram(ProgramSpec p) {
        List<Instruction> insns = new ArrayList<>(p.instructions());
        SlotMap slots = SlotMap.of(insns);
        for (Reference ref : p.references()) {
            int index = slots.index(ref.slot());
            if (!(insns.get(index) instanceof Instruction.LoadImm64 ld)) {
                throw new BpfException("program '" + p.name() + "' of " + spec.name() + ": reference " + ref
                        + " is not on a 64-bit load");
            }
            insns.set(index, switch (ref) {
                case Reference.MapFd r -> new Instruction.LoadImm64(ld.dst(), PseudoSource.MAP_FD, map(r.map()).fd());
                case Reference.MapValue r -> new Instruction.LoadImm64(ld.dst(), PseudoSource.MAP_VALUE,
                        (long) r.offset() << 32 | map(r.map()).fd() & 0xffff_ffffL);
                case Reference.Extern r -> throw new BpfException("program '" + p.name() + "' of " + spec.name()
                        + " uses kernel symbol '" + r.name() + "': .ksyms externs are not loaded by bpf4j-bcc yet");
            });
        }
        String name = p.name().length() > MapDefinition.MAX_NAME_LENGTH ? p.name().substring(0, MapDefinition.MAX_NAME_LENGTH)
                : p.name();
        ProgramDefinition d = ProgramDefinition.of(p.type(), name, Instructions.encode(insns, ByteOrder.nativeOrder()),
                p.license()).withFlags(p.flags());
        if (p.attachType() != null) {
            d = d.withExpectedAttachType(p.attachType());
        }
        return KernelProgram.load(d);
    }

    ObjectSpec spec() {
        return spec;
    }

    /** The map called {@code name} (global data maps by their libbpf name, e.g. {@code "hello.bss"}). */
    KernelMap map(String name) {
        KernelMap m = maps.get(name);
        if (m == null) {
            throw new BpfException(spec.name() + " has no map '" + name + "'; its maps are " + maps.keySet());
        }
        return m;
    }

    /** The loaded program called {@code name}. */
    KernelProgram program(String name) {
        KernelProgram p = programs.get(name);
        if (p == null) {
            boolean exists = spec.program(name).isPresent();
            throw new BpfException(spec.name() + (exists ? ": program '" + name + "' was not loaded (autoload off)"
                    : " has no program '" + name + "'; its programs are " + programs.keySet()));
        }
        return p;
    }

    @Override
    public void close() {
        programs.values().forEach(KernelProgram::close);
        maps.values().forEach(KernelMap::close);
    }
}
