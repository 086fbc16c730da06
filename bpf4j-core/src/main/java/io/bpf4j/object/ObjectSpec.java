package io.bpf4j.object;

import io.bpf4j.BpfFormatException;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfExt;
import io.bpf4j.btf.CoreRelocationException;
import io.bpf4j.btf.CoreRelocator;
import io.bpf4j.btf.CoreTarget;
import io.bpf4j.elf.ElfFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Everything a clang-built BPF object file defines, independent of any kernel: programs
 * (linked, with their subprograms), maps, global variables, externs, license, BTF and
 * BTF.ext. Read as libbpf opens objects, so names, types and layouts are the ones libbpf
 * would give. Immutable: the {@code with...} methods return modified copies, and
 * {@link #relocate} returns a copy whose instructions are CO-RE-relocated for a target kernel.
 *
 * <pre>{@code
 * ObjectSpec spec = ObjectSpec.read(Path.of("trace.bpf.o"));
 * ObjectSpec tuned = spec.withVariable("target_pid", intBytes(1234)).withAutoload("debug_prog", false);
 * ObjectSpec.Relocated r = tuned.relocate(CoreTarget.kernel(), line -> {});
 * for (ProgramSpec p : r.spec().programs()) System.out.println(p.name() + ": " + p.instructions().size());
 * }</pre>
 */
public final class ObjectSpec {
    private final String file;
    private final String name;
    private final ByteOrder byteOrder;
    private final String license;
    private final int kernelVersion;
    private final Btf btf;
    private final BtfExt btfExt;
    private final List<Function> functions;
    private final List<ProgramSpec> programs;
    private final List<MapSpec> maps;
    private final List<VariableSpec> variables;
    private final List<ExternSpec> externs;

    private ObjectSpec(String file, String name, ByteOrder byteOrder, String license, int kernelVersion, Btf btf, BtfExt btfExt,
            List<Function> functions, List<ProgramSpec> programs, List<MapSpec> maps, List<VariableSpec> variables,
            List<ExternSpec> externs) {
        this.file = file;
        this.name = name;
        this.byteOrder = byteOrder;
        this.license = license;
        this.kernelVersion = kernelVersion;
        this.btf = btf;
        this.btfExt = btfExt;
        this.functions = List.copyOf(functions);
        this.programs = List.copyOf(programs);
        this.maps = List.copyOf(maps);
        this.variables = List.copyOf(variables);
        this.externs = List.copyOf(externs);
    }

    /** Builds the programs of freshly parsed functions: section definitions, then linking. */
    static ObjectSpec create(String file, String name, ByteOrder order, String license, int kernelVersion, Btf btf, BtfExt ext,
            List<Function> functions, List<MapSpec> maps, List<VariableSpec> variables, List<ExternSpec> externs) {
        Map<String, Boolean> autoload = new HashMap<>();
        for (Function f : functions) {
            autoload.put(f.name(), !f.sectionName().startsWith("?"));
        }
        return new ObjectSpec(file, name, order, license, kernelVersion, btf, ext, functions,
                link(file, order, license, kernelVersion, ext, functions, autoload), maps, variables, externs);
    }

    private static List<ProgramSpec> link(String file, ByteOrder order, String license, int kernelVersion, BtfExt ext,
            List<Function> functions, Map<String, Boolean> autoload) {
        Linker linker = new Linker(file, functions, ext, order);
        List<ProgramSpec> out = new ArrayList<>();
        for (Function f : functions) {
            if (f.subprogram()) {
                continue;
            }
            String section = f.sectionName().startsWith("?") ? f.sectionName().substring(1) : f.sectionName();
            SectionDefinition def = SectionDefinition.find(section).orElseThrow(() -> new BpfFormatException(file + ": program '"
                    + f.name() + "' is in section '" + f.sectionName() + "', which is no known program section (as SEC(\"kprobe/...\"),"
                    + " SEC(\"xdp\"), SEC(\"tracepoint/...\")...)"));
            Linker.Linked l = linker.link(f);
            out.add(new ProgramSpec(f.name(), section, def.type(), def.attachType(), def.attachTarget(section), def.flags(),
                    autoload.get(f.name()), license, kernelVersion, l.instructions(), l.references(), l.funcInfos(), l.lineInfos(),
                    l.coreRelos()));
        }
        return out;
    }

    /** Reads and parses an object file. */
    public static ObjectSpec read(Path file) throws IOException {
        return parse(file.toString(), Files.readAllBytes(file));
    }

    /** Parses an object from a stream; {@code name} names it in errors and gives global data maps their prefix. */
    public static ObjectSpec read(InputStream in, String name) throws IOException {
        return parse(name, in.readAllBytes());
    }

    /** Parses an object held in memory; {@code name} (a file name) names it in errors and gives global data maps their prefix. */
    public static ObjectSpec parse(String name, byte[] bytes) {
        return ObjectParser.parse(name, ElfFile.parse(name, bytes));
    }

    /** The object's name as libbpf derives it from the file name ({@code xdp_counter} for {@code xdp_counter.bpf.o}). */
    public String name() {
        return name;
    }

    /** The byte order of the object's code and data. */
    public ByteOrder byteOrder() {
        return byteOrder;
    }

    /** The {@code license} section, "" if none. */
    public String license() {
        return license;
    }

    /** The {@code version} section, 0 if none. */
    public int kernelVersion() {
        return kernelVersion;
    }

    /** The object's BTF, if it has a {@code .BTF} section. */
    public Optional<Btf> btf() {
        return Optional.ofNullable(btf);
    }

    /** The object's {@code .BTF.ext}, if any. */
    public Optional<BtfExt> btfExt() {
        return Optional.ofNullable(btfExt);
    }

    /** Entry-point programs, ordered by section and offset (libbpf's order). */
    public List<ProgramSpec> programs() {
        return programs;
    }

    /** Maps in libbpf's order: legacy, BTF-defined, global data, {@code .kconfig}, struct_ops. */
    public List<MapSpec> maps() {
        return maps;
    }

    /** Global variables of the global data maps. */
    public List<VariableSpec> variables() {
        return variables;
    }

    /** Externs: Kconfig values first (in their {@code .kconfig} layout order), then kernel symbols by name. */
    public List<ExternSpec> externs() {
        return externs;
    }

    /** All functions before linking, in libbpf's order (by section, then offset). */
    List<Function> functions() {
        return functions;
    }

    /** Names of the subprograms (functions of {@code .text}). */
    public List<String> subprograms() {
        return functions.stream().filter(Function::subprogram).map(Function::name).toList();
    }

    public Optional<ProgramSpec> program(String programName) {
        return programs.stream().filter(p -> p.name().equals(programName)).findFirst();
    }

    public Optional<MapSpec> map(String mapName) {
        return maps.stream().filter(m -> m.name().equals(mapName)).findFirst();
    }

    public Optional<VariableSpec> variable(String variableName) {
        return variables.stream().filter(v -> v.name().equals(variableName)).findFirst();
    }

    private ObjectSpec with(List<Function> newFunctions, List<ProgramSpec> newPrograms, List<MapSpec> newMaps,
            List<VariableSpec> newVariables) {
        return new ObjectSpec(file, name, byteOrder, license, kernelVersion, btf, btfExt, newFunctions, newPrograms, newMaps,
                newVariables, externs);
    }

    /**
     * This object with {@code map} in place of the map of the same name.
     *
     * @throws IllegalArgumentException if there is no such map
     */
    public ObjectSpec withMap(MapSpec map) {
        List<MapSpec> newMaps = new ArrayList<>(maps);
        int i = indexOf(maps.stream().map(MapSpec::name).toList(), map.name(), "map");
        newMaps.set(i, Objects.requireNonNull(map));
        return with(functions, programs, newMaps, variables);
    }

    /**
     * This object with {@code program} in place of the program of the same name (another
     * type or attach type, as {@code bpftool prog load ... type T} sets them).
     *
     * @throws IllegalArgumentException if there is no such program
     */
    public ObjectSpec withProgram(ProgramSpec program) {
        List<ProgramSpec> newPrograms = new ArrayList<>(programs);
        newPrograms.set(indexOf(programs.stream().map(ProgramSpec::name).toList(), program.name(), "program"), program);
        return with(functions, newPrograms, maps, variables);
    }

    /** This object with program {@code programName} loaded or not. */
    public ObjectSpec withAutoload(String programName, boolean autoload) {
        List<ProgramSpec> newPrograms = new ArrayList<>(programs);
        int i = indexOf(programs.stream().map(ProgramSpec::name).toList(), programName, "program");
        newPrograms.set(i, programs.get(i).withAutoload(autoload));
        return with(functions, newPrograms, maps, variables);
    }

    /**
     * This object with global variable {@code variableName} initialised to {@code value}
     * (which must have the variable's size), in the variable and in its map's data: the way
     * to set {@code const volatile} (.rodata) parameters before loading.
     */
    public ObjectSpec withVariable(String variableName, byte[] value) {
        int i = indexOf(variables.stream().map(VariableSpec::name).toList(), variableName, "variable");
        VariableSpec v = variables.get(i);
        if (value.length != v.size()) {
            throw new IllegalArgumentException("variable '" + variableName + "' has " + v.size() + " bytes, not " + value.length);
        }
        MapSpec m = map(v.map()).orElseThrow();
        byte[] data = m.data();
        System.arraycopy(value, 0, data, v.offset(), value.length);
        List<VariableSpec> newVariables = new ArrayList<>(variables);
        newVariables.set(i, new VariableSpec(v.name(), v.map(), v.offset(), v.size(), v.typeId(), v.global(), value));
        List<MapSpec> newMaps = new ArrayList<>(maps);
        newMaps.set(maps.indexOf(m), m.withData(data));
        return with(functions, programs, newMaps, newVariables);
    }

    private static int indexOf(List<String> names, String wanted, String what) {
        int i = names.indexOf(wanted);
        if (i < 0) {
            throw new IllegalArgumentException("no " + what + " '" + wanted + "'; there are " + names);
        }
        return i;
    }

    /**
     * One CO-RE decision: relocation {@code index} of its section, applied to slot {@code slot}
     * of function {@code function} (a program or subprogram, before linking, as libbpf numbers it).
     */
    public record CoreDecision(String function, int index, int slot, BtfExt.CoreRelo relocation, CoreRelocator.Result result) {}

    /** A relocated copy of an object and the decisions that made it. */
    public record Relocated(ObjectSpec spec, List<CoreDecision> decisions) {
        public Relocated {
            decisions = List.copyOf(decisions);
        }
    }

    /**
     * Applies the CO-RE relocations of every program that autoloads (and of every subprogram)
     * against {@code target}, as libbpf does at load: same order, same candidate narrowing,
     * same values and poisoning. {@code log} receives libbpf's debug lines, e.g.
     * {@code prog 'P': relo #0: patched insn #1 (LDX/ST/STX) off 8 -> 16}.
     *
     * @throws CoreRelocationException where libbpf would fail the load
     */
    public Relocated relocate(CoreTarget target, Consumer<String> log) {
        if (btfExt == null || btfExt.coreRelos().isEmpty()) {
            return new Relocated(this, List.of());
        }
        CoreRelocator core = new CoreRelocator(btf, target, log);
        Map<Function, byte[]> patched = new HashMap<>();
        List<CoreDecision> decisions = new ArrayList<>();
        for (Map.Entry<String, List<BtfExt.CoreRelo>> e : btfExt.coreRelos().entrySet()) {
            String section = e.getKey();
            List<BtfExt.CoreRelo> records = e.getValue();
            log.accept(String.format("sec '%s': found %d CO-RE relocations", section, records.size()));
            for (int i = 0; i < records.size(); i++) {
                BtfExt.CoreRelo relo = records.get(i);
                if (relo.insnOffset() % 8 != 0) {
                    throw new CoreRelocationException(String.format("sec '%s': CO-RE relocation #%d at byte offset %d is not on an instruction",
                            section, i, Integer.toUnsignedLong(relo.insnOffset())), -22);
                }
                long slot = Integer.toUnsignedLong(relo.insnOffset()) / 8;
                Function f = functions.stream().filter(g -> g.sectionName().equals(section) && slot >= g.slotOffset()
                        && slot < g.slotOffset() + g.slotCount()).findFirst().orElse(null);
                if (f == null) {
                    log.accept(String.format("sec '%s': skipping CO-RE relocation #%d for insn #%d belonging to eliminated weak subprogram",
                            section, i, slot));
                    continue;
                }
                if (!f.subprogram() && !program(f.name()).map(ProgramSpec::autoload).orElse(true)) {
                    continue;
                }
                int local = (int) slot - f.slotOffset();
                CoreRelocator.Result r;
                try {
                    r = core.resolve(f.name(), i, relo);
                } catch (CoreRelocationException x) {
                    log.accept(String.format("prog '%s': relo #%d: failed to relocate: %d", f.name(), i, x.errno()));
                    throw x;
                }
                try {
                    core.patch(f.name(), patched.computeIfAbsent(f, g -> g.code().clone()), byteOrder, local, i, r);
                } catch (CoreRelocationException x) {
                    log.accept(String.format("prog '%s': relo #%d: failed to patch insn #%d: %d", f.name(), i, local, x.errno()));
                    throw x;
                }
                decisions.add(new CoreDecision(f.name(), i, local, relo, r));
            }
        }
        List<Function> newFunctions = functions.stream().map(f -> patched.containsKey(f) ? f.withCode(patched.get(f)) : f).toList();
        Map<String, Boolean> autoload = new HashMap<>();
        for (Function f : newFunctions) {
            autoload.put(f.name(), program(f.name()).map(ProgramSpec::autoload).orElse(true));
        }
        List<ProgramSpec> newPrograms = link(file, byteOrder, license, kernelVersion, btfExt, newFunctions, autoload);
        return new Relocated(with(newFunctions, newPrograms, maps, variables), decisions);
    }

    @Override
    public String toString() {
        return "ObjectSpec[" + name + ": " + programs.size() + " programs, " + maps.size() + " maps]";
    }
}
