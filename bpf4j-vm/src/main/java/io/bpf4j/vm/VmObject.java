package io.bpf4j.vm;

import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.Instructions;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToIntFunction;

/**
 * An {@link ObjectSpec} loaded into a {@link Vm}: its maps created (global data sections
 * as single-element arrays holding their initial bytes, {@code .rodata} read-only to
 * programs), its programs' map references resolved to those maps, program arrays and maps
 * of maps filled as the object declares. CO-RE relocation is the spec's business: relocate
 * it against a target BTF first ({@link ObjectSpec#relocate}), or load it as compiled.
 *
 * <pre>{@code
 * try (Vm vm = Vm.create(); VmObject obj = vm.load(ObjectSpec.read(Path.of("xdp_counter.bpf.o")))) {
 *     TestRunResult r = obj.program("count_packets").orElseThrow().testRun(TestRun.ofData(packet));
 *     byte[] count = obj.map("proto_count").orElseThrow().lookup(key).orElseThrow();
 * }
 * }</pre>
 */
public final class VmObject implements AutoCloseable {
    private final String name;
    private final Map<String, VmMap> maps;
    private final Map<String, VmProgram> programs;
    /** Inner-map templates of maps of maps: the object's, though not among its named maps. */
    private final List<VmMap> templates;

    private VmObject(String name, Map<String, VmMap> maps, Map<String, VmProgram> programs, List<VmMap> templates) {
        this.name = name;
        this.maps = Collections.unmodifiableMap(maps);
        this.programs = Collections.unmodifiableMap(programs);
        this.templates = templates;
    }

    static VmObject load(Vm vm, ObjectSpec spec) {
        Map<String, VmMap> maps = new LinkedHashMap<>();
        Map<String, VmProgram> programs = new LinkedHashMap<>();
        List<VmMap> templates = new ArrayList<>();
        try {
            for (MapSpec m : spec.maps()) {
                maps.put(m.name(), createMap(vm, spec, m, templates));
            }
            for (ProgramSpec p : spec.programs()) {
                if (p.autoload()) {
                    programs.put(p.name(), vm.load(p.name(), p.type(), linked(spec, p, name -> map(spec, p, maps, name).fd())));
                }
            }
            for (MapSpec m : spec.maps()) {
                fillSlots(spec, m, maps, programs);
            }
        } catch (RuntimeException e) {
            programs.values().forEach(VmProgram::close);
            maps.values().forEach(VmMap::close);
            templates.forEach(VmMap::close);
            throw e;
        }
        return new VmObject(spec.name(), maps, programs, templates);
    }

    private static VmMap createMap(Vm vm, ObjectSpec spec, MapSpec m, List<VmMap> templates) {
        if (m.kind() == MapSpec.Kind.STRUCT_OPS) {
            throw new VmMapException("create map '" + m.name() + "' of " + spec.name(), Errno.EINVAL,
                    "struct_ops maps need the kernel");
        }
        VmMap template = null;
        if (m.innerMap() != null) {
            template = createMap(vm, spec, m.innerMap(), templates);
            templates.add(template);
        }
        // libbpf sizes a perf event array that gives no max_entries to the number of CPUs.
        int entries = m.type() == MapType.PERF_EVENT_ARRAY && m.maxEntries() == 0 ? vm.cpus() : m.maxEntries();
        VmMapSpec s = new VmMapSpec(m.name(), m.type(), m.keySize(), m.valueSize(), entries, m.flags(), template);
        VmMap map = vm.createMap(s);
        if (m.kind().isGlobalData() && map instanceof ArrayMap array) {
            byte[] data = m.data();
            System.arraycopy(data, 0, array.storage(), 0, Math.min(data.length, m.valueSize()));
        }
        return map;
    }

    /**
     * The program's instruction bytes with each map reference pointing at the file
     * descriptor {@code mapFd} gives for the map's name; kernel functions and non-weak
     * kernel symbols are refused, weak ones load as NULL (as with libbpf).
     */
    static byte[] linked(ObjectSpec spec, ProgramSpec p, ToIntFunction<String> mapFd) {
        return Instructions.encode(p.resolve(mapFd, (e, at) -> {
            if (e.function()) {
                throw VmException.of(VmException.Kind.INVALID_PROGRAM, "program '" + p.name() + "' of " + spec.name()
                        + " calls kernel function '" + e.name() + "', which the VM does not have");
            }
            if (!e.weak() || !(at instanceof Instruction.LoadImm64 ld)) {
                throw VmException.of(VmException.Kind.INVALID_PROGRAM, "program '" + p.name() + "' of " + spec.name()
                        + " uses kernel symbol '" + e.name() + "', which the VM does not have");
            }
            return new Instruction.LoadImm64(ld.dst(), 0); // an unresolved weak symbol is NULL, as with libbpf
        }), ByteOrder.LITTLE_ENDIAN);
    }

    private static VmMap map(ObjectSpec spec, ProgramSpec p, Map<String, VmMap> maps, String name) {
        VmMap map = maps.get(name);
        if (map == null) {
            throw VmException.of(VmException.Kind.INVALID_PROGRAM, "program '" + p.name() + "' of " + spec.name()
                    + " refers to map '" + name + "', which the object does not define");
        }
        return map;
    }

    /** Program arrays and maps of maps start with the programs and maps the object names for their slots. */
    private static void fillSlots(ObjectSpec spec, MapSpec m, Map<String, VmMap> maps, Map<String, VmProgram> programs) {
        Map<Integer, Integer> fds = m.initialSlotFds(name -> programs.containsKey(name) ? programs.get(name).fd() : -1, name -> {
            VmMap inner = maps.get(name);
            if (inner == null) {
                throw new VmMapException("fill map '" + m.name() + "' of " + spec.name(), Errno.ENOENT,
                        "a slot names map '" + name + "', which the object does not define");
            }
            return inner.fd();
        });
        fds.forEach((slot, fd) -> {
            byte[] key = new byte[4];
            byte[] value = new byte[4];
            Memory.putInt(key, 0, slot);
            Memory.putInt(value, 0, fd);
            maps.get(m.name()).update(key, value, BpfMap.UPDATE_ANY);
        });
    }

    /** The object's name (its file name). */
    public String name() {
        return name;
    }

    /** The loaded programs, by name, in the object's order. */
    public Map<String, VmProgram> programs() {
        return programs;
    }

    /** The maps, by name ({@code .rodata} and friends by libbpf's names, e.g. {@code xdp_coun.rodata}). */
    public Map<String, VmMap> maps() {
        return maps;
    }

    public Optional<VmProgram> program(String programName) {
        return Optional.ofNullable(programs.get(programName));
    }

    public Optional<VmMap> map(String mapName) {
        return Optional.ofNullable(maps.get(mapName));
    }

    /** Closes the object's programs and maps. */
    @Override
    public void close() {
        programs.values().forEach(VmProgram::close);
        maps.values().forEach(VmMap::close);
        templates.forEach(VmMap::close);
    }
}
