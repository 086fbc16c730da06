package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.BpfException;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfExt;
import io.bpf4j.btf.BtfKind;
import io.bpf4j.btf.BtfType;
import io.bpf4j.btf.CoreRelocationException;
import io.bpf4j.btf.CoreRelocator;
import io.bpf4j.btf.CoreTarget;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.Instructions;
import io.bpf4j.isa.PseudoSource;
import io.bpf4j.kernel.sys.Bpf;
import io.bpf4j.kernel.sys.BpfCmd;
import io.bpf4j.kernel.sys.Errno;
import io.bpf4j.kernel.sys.Layouts.ProgBindMap;
import io.bpf4j.object.ExternSpec;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import io.bpf4j.object.Reference;
import io.bpf4j.object.SectionDefinition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads an {@link ObjectSpec} into the kernel in the steps of libbpf's {@code bpf_object__load}:
 * externs resolved, BTF sanitized and loaded, maps created (or reused from their pins) and
 * filled, CO-RE relocations applied, map fds and kernel symbols patched into the code, every
 * autoloading program loaded with its BTF info and attach target, program arrays filled.
 * A failure undoes everything done so far (maps pinned by this load are unpinned again).
 */
final class ObjectLoader {
    private static final int FUNC_INFO_SIZE = 8;
    private static final int LINE_INFO_SIZE = 16;
    private static final Pattern POISONED = Pattern.compile("(?m)^(\\d+): \\(85\\) call unknown#" + CoreRelocator.POISON_HELPER
            + "\n" + "invalid func unknown#" + CoreRelocator.POISON_HELPER + "\n?");

    private final KernelBackend options;
    private final Consumer<String> log;
    private ObjectSpec spec;
    private final String object;
    private KernelBtf btf;
    private ObjectBtf kernelBtf;
    private final Map<String, KernelMap> maps = new LinkedHashMap<>();
    private final Map<String, KernelProgram> programs = new LinkedHashMap<>();
    private final List<Path> pinnedHere = new ArrayList<>();
    private final Map<String, Ksym> ksyms = new HashMap<>();
    private final List<Integer> fdArray = new ArrayList<>();
    private final KernelSymbols symbols = new KernelSymbols();
    private List<ObjectSpec.CoreDecision> decisions = List.of();
    private CoreRelocator describer;

    /** A resolved {@code __ksym}: a BTF id (and its module's BTF fd and fd_array index), or an address. */
    private record Ksym(int btfId, int btfObjFd, int fdIndex, long address, boolean set) {}

    private ObjectLoader(ObjectSpec spec, KernelBackend options) {
        this.spec = spec;
        this.options = options;
        this.log = options.log();
        this.object = spec.name();
    }

    static KernelCollection load(ObjectSpec spec, KernelBackend options) {
        ObjectLoader l = new ObjectLoader(spec, options);
        try (KernelSymbols ignored = l.symbols) {
            return l.load();
        } catch (RuntimeException e) {
            l.undo();
            options.log().accept("failed to load object '" + spec.name() + "'");
            throw e;
        }
    }

    private KernelCollection load() {
        if (spec.byteOrder() != ByteOrder.nativeOrder()) {
            throw new BpfException("object '" + object + "': endianness mismatch: the object is "
                    + (spec.byteOrder() == ByteOrder.BIG_ENDIAN ? "big" : "little") + "-endian, this machine is not");
        }
        log.accept(String.format("loading object '%s': %d programs, %d maps, %d externs", object, spec.programs().size(),
                spec.maps().size(), spec.externs().size()));
        for (ProgramSpec p : spec.programs()) {
            log.accept(String.format("sec '%s': program '%s': %s%s, %d insns, %d references, %d CO-RE relocations%s", p.sectionName(),
                    p.name(), p.type().bpftoolName(), p.attachType() == null ? "" : " (" + p.attachType().name().toLowerCase() + ")",
                    p.slotCount(), p.references().size(), p.coreRelos().size(), p.autoload() ? "" : ", autoload off"));
        }
        for (MapSpec m : spec.maps()) {
            log.accept(String.format("map '%s' (%s, section '%s'): %s, key %d, value %d, max_entries %d, flags 0x%x%s", m.name(),
                    m.kind(), m.sectionName(), m.type().bpftoolName(), m.keySize(), m.valueSize(), m.maxEntries(), m.flags(),
                    m.pinning() == MapSpec.PIN_BY_NAME ? ", pinned by name" : ""));
        }
        resolveExterns();
        loadBtf();
        createMaps();
        relocate();
        for (ProgramSpec p : spec.programs()) {
            if (p.autoload()) {
                programs.put(p.name(), loadProgram(p));
            } else {
                log.accept("prog '" + p.name() + "': skipped loading");
            }
        }
        fillSlots(true);
        KernelCollection c = new KernelCollection(spec, maps, programs, btf);
        btf = null;
        return c;
    }

    // ---- externs ----

    private void resolveExterns() {
        Optional<MapSpec> kconfig = spec.maps().stream().filter(m -> m.kind() == MapSpec.Kind.KCONFIG).findFirst();
        if (kconfig.isPresent()) {
            byte[] data = KconfigValues.resolve(spec.btf().orElseThrow(), spec.externs(), kconfig.get().valueSize(), log);
            spec = spec.withMap(kconfig.get().withData(data));
        }
        List<String> typeless = new ArrayList<>();
        for (ExternSpec e : spec.externs()) {
            switch (e.kind()) {
                case KSYM_VARIABLE -> {
                    Btf local = spec.btf().orElseThrow();
                    int type = local.resolve(((BtfType.Var) local.type(e.typeId())).type());
                    if (type == 0) {
                        typeless.add(e.name());
                    } else {
                        resolveTyped(e, BtfKind.VAR, type);
                    }
                }
                case KSYM_FUNCTION -> resolveTyped(e, BtfKind.FUNC, ((BtfType.Func) spec.btf().orElseThrow().type(e.typeId())).type());
                case KCONFIG -> {
                }
            }
        }
        if (!typeless.isEmpty()) {
            Map<String, Long> found = KernelSymbols.addresses(typeless);
            for (String name : typeless) {
                Long addr = found.get(name);
                if (addr != null) {
                    ksyms.put(name, new Ksym(0, 0, 0, addr, true));
                    log.accept(String.format("extern (ksym) '%s': set to 0x%x", name, addr));
                }
            }
        }
        for (ExternSpec e : spec.externs()) {
            if (e.kind() != ExternSpec.Kind.KCONFIG && !ksyms.containsKey(e.name())) {
                if (!e.weak()) {
                    throw new BpfException("object '" + object + "': extern '" + e.name() + "' (strong): not resolved");
                }
                log.accept("extern '" + e.name() + "' (weak): not resolved, defaulting to zero");
            }
        }
    }

    /** libbpf's {@code bpf_object__resolve_ksym_var_btf_id} and {@code ..._func_btf_id}. */
    private void resolveTyped(ExternSpec e, BtfKind kind, int localType) {
        String what = kind == BtfKind.VAR ? "var ksym" : "func ksym";
        Optional<KernelSymbols.Found> found = symbols.find(e.name(), kind);
        if (found.isEmpty()) {
            if (e.weak()) {
                return;
            }
            throw new BpfException("object '" + object + "': extern (" + what + ") '" + e.name() + "': not found in kernel"
                    + (kind == BtfKind.FUNC ? " or module BTFs" : " BTF"));
        }
        KernelSymbols.Found f = found.get();
        BtfType target = f.btf().type(f.id());
        int targetType = kind == BtfKind.VAR ? f.btf().resolve(((BtfType.Var) target).type()) : ((BtfType.Func) target).type();
        if (!core().typesCompatible(localType, f.btf(), targetType)) {
            throw new BpfException("object '" + object + "': extern (" + what + ") '" + e.name() + "': incompatible types, expected ["
                    + localType + "] but kernel has [" + targetType + "]");
        }
        int objFd = f.module() == null ? 0 : f.module().fd();
        int index = 0;
        if (kind == BtfKind.FUNC && f.module() != null) {
            if (fdArray.isEmpty()) {
                fdArray.add(0); // index 0 means vmlinux
            }
            index = fdArray.indexOf(objFd);
            if (index < 0) {
                index = fdArray.size();
                fdArray.add(objFd);
            }
        }
        ksyms.put(e.name(), new Ksym(f.id(), objFd, index, 0, true));
        log.accept(String.format("extern (%s) '%s': resolved to %s[%d]", what, e.name(), f.module() == null ? "kernel " : "module ",
                f.id()));
    }

    private CoreRelocator core() {
        if (describer == null) {
            describer = new CoreRelocator(spec.btf().orElseThrow(), coreTarget(), line -> {});
        }
        return describer;
    }

    private CoreTarget coreTarget() {
        return options.coreTarget() != null ? options.coreTarget() : VmlinuxBtf.target();
    }

    // ---- BTF ----

    private void loadBtf() {
        if (spec.btf().isEmpty()) {
            return;
        }
        boolean mandatory = spec.maps().stream().anyMatch(m -> m.kind() == MapSpec.Kind.STRUCT_OPS);
        try {
            kernelBtf = ObjectBtf.prepare(spec, log);
            btf = KernelBtf.load(kernelBtf.blob());
            log.accept("loaded BTF of " + kernelBtf.blob().length + " bytes: id " + btf.id());
        } catch (BpfException e) {
            kernelBtf = null;
            if (mandatory) {
                throw new BpfException("object '" + object + "': error loading .BTF into kernel (BTF is mandatory, can't proceed): "
                        + e.getMessage());
            }
            log.accept("Error loading .BTF into kernel: " + e.getMessage() + ". BTF is optional, ignoring.");
        }
    }

    // ---- maps ----

    private void createMaps() {
        for (MapSpec m : spec.maps()) {
            KernelMap map = null;
            Path pin = m.pinning() == MapSpec.PIN_BY_NAME ? options.pinRoot().resolve(m.name()) : null;
            if (pin != null) {
                map = reusePinned(m, pin);
            }
            if (map == null) {
                map = create(m);
                log.accept(String.format("map '%s': created successfully, fd=%d", m.name(), map.fd()));
                if (m.kind().isGlobalData() || m.kind() == MapSpec.Kind.KCONFIG) {
                    populate(m, map);
                }
                maps.put(m.name(), map);
                if (pin != null) {
                    pin(map, pin);
                }
            } else {
                maps.put(m.name(), map);
            }
        }
        fillSlots(false);
    }

    private KernelMap reusePinned(MapSpec m, Path pin) {
        if (!Files.exists(pin)) {
            log.accept("found no pinned map to reuse at '" + pin + "'");
            return null;
        }
        KernelMap old = KernelMap.openPinned(pin);
        MapInfo i = old.info();
        MapDefinition want = definition(m);
        if (i.typeId() != want.type().id() || i.keySize() != want.keySize() || i.valueSize() != want.valueSize()
                || i.maxEntries() != want.maxEntries() || i.mapFlags() != want.flags() || i.mapExtra() != want.mapExtra()) {
            old.close();
            throw new BpfException("map '" + m.name() + "': couldn't reuse pinned map at '" + pin + "': parameter mismatch (pinned: "
                    + MapType.ofId(i.typeId()).map(MapType::bpftoolName).orElse("type " + i.typeId()) + " key " + i.keySize()
                    + " value " + i.valueSize() + " max_entries " + i.maxEntries() + " flags 0x" + Integer.toHexString(i.mapFlags())
                    + "; object: " + want.type().bpftoolName() + " key " + want.keySize() + " value " + want.valueSize()
                    + " max_entries " + want.maxEntries() + " flags 0x" + Integer.toHexString(want.flags()) + ")");
        }
        log.accept("reused pinned map at '" + pin + "'");
        return old;
    }

    private void pin(KernelMap map, Path pin) {
        try {
            Files.createDirectories(pin.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("map '" + map.name() + "': cannot create " + pin.getParent(), e);
        }
        map.pin(pin);
        pinnedHere.add(pin);
        log.accept("pinned map '" + map.name() + "' at '" + pin + "'");
    }

    /** The map as libbpf creates it (without BTF and inner map, which {@link #create} adds). */
    private MapDefinition definition(MapSpec m) {
        int maxEntries = m.maxEntries();
        if (m.type() == MapType.PERF_EVENT_ARRAY && maxEntries == 0) {
            maxEntries = Kernel.possibleCpus();
            log.accept(String.format("map '%s': setting size to %d", m.name(), maxEntries));
        }
        int valueSize = m.valueSize();
        int vmlinuxValueType = 0;
        if (m.kind() == MapSpec.Kind.STRUCT_OPS) {
            String tname = spec.btf().orElseThrow().type(m.valueTypeId()).name();
            vmlinuxValueType = VmlinuxBtf.require("bpf_struct_ops_" + tname, BtfKind.STRUCT, "struct_ops map '" + m.name() + "'");
            valueSize = (int) VmlinuxBtf.get().sizeOf(vmlinuxValueType);
        }
        return new MapDefinition(m.type(), m.keySize(), valueSize, maxEntries, m.flags(), kernelName(m.name()), 0, m.numaNode(), 0, 0, 0,
                0, vmlinuxValueType, m.mapExtra());
    }

    private KernelMap create(MapSpec m) {
        MapDefinition d = definition(m);
        KernelMap inner = null;
        if (m.innerMap() != null) {
            inner = create(m.innerMap());
            d = d.withInnerMap(inner);
        }
        try {
            boolean btfIds = btf != null && (m.keyTypeId() != 0 || m.valueTypeId() != 0) && m.kind() != MapSpec.Kind.STRUCT_OPS
                    && !typeWithoutBtf(m.type());
            if (!btfIds) {
                return KernelMap.create(m.kind() == MapSpec.Kind.STRUCT_OPS && btf != null
                        ? new MapDefinition(d.type(), d.keySize(), d.valueSize(), d.maxEntries(), d.flags(), d.name(), d.innerMapFd(),
                                d.numaNode(), 0, btf.fd(), 0, 0, d.btfVmlinuxValueTypeId(), d.mapExtra())
                        : d);
            }
            try {
                return KernelMap.create(d.withBtf(btf, m.keyTypeId(), m.valueTypeId()));
            } catch (BpfSyscallException e) {
                log.accept(String.format("Error in bpf_create_map_xattr(%s):%s(%d). Retrying without BTF.", m.name(),
                        Errno.name(e.errno()), -e.errno()));
                return KernelMap.create(d);
            }
        } catch (BpfException e) {
            throw new BpfException("object '" + object + "': map '" + m.name() + "': failed to create: " + e.getMessage(), e);
        } finally {
            if (inner != null) {
                inner.close();
            }
        }
    }

    /** Map types libbpf creates without key/value BTF, because the kernel refuses it for them. */
    private static boolean typeWithoutBtf(MapType t) {
        return switch (t) {
            case PERF_EVENT_ARRAY, CGROUP_ARRAY, STACK_TRACE, ARRAY_OF_MAPS, HASH_OF_MAPS, DEVMAP, DEVMAP_HASH, CPUMAP, XSKMAP, SOCKMAP,
                    SOCKHASH, QUEUE, STACK -> true;
            default -> false;
        };
    }

    private void populate(MapSpec m, KernelMap map) {
        map.update(new byte[4], m.data(), 0);
        if (m.kind() == MapSpec.Kind.RODATA || m.kind() == MapSpec.Kind.KCONFIG) {
            map.freeze();
        }
    }

    /** Maps of maps (with {@code programs} false) or program arrays (true) get the fds their {@code values} name. */
    private void fillSlots(boolean programArrays) {
        for (MapSpec m : spec.maps()) {
            if (m.initialSlots().isEmpty() || m.kind() == MapSpec.Kind.STRUCT_OPS || (m.type() == MapType.PROG_ARRAY) != programArrays) {
                continue;
            }
            for (int i = 0; i < m.initialSlots().size(); i++) {
                String target = m.initialSlots().get(i);
                if (target == null) {
                    continue;
                }
                KernelObject o = programArrays ? programs.get(target) : maps.get(target);
                if (o == null) {
                    if (programArrays) {
                        continue; // not loaded: the slot stays empty, as with libbpf
                    }
                    throw new BpfException("object '" + object + "': map '" + m.name() + "': slot [" + i + "] names map '" + target
                            + "', which the object does not define");
                }
                ByteBuffer key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, i);
                ByteBuffer value = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, o.fd());
                maps.get(m.name()).update(key.array(), value.array(), 0);
                log.accept(String.format("map '%s': slot [%d] set to %s '%s' fd=%d", m.name(), i, programArrays ? "prog" : "map", target,
                        o.fd()));
            }
        }
    }

    static String kernelName(String name) {
        return name.length() > MapDefinition.MAX_NAME_LENGTH ? name.substring(0, MapDefinition.MAX_NAME_LENGTH) : name;
    }

    // ---- CO-RE ----

    private void relocate() {
        boolean any = spec.btfExt().map(e -> !e.coreRelos().isEmpty()).orElse(false) && spec.programs().stream()
                .anyMatch(ProgramSpec::autoload);
        if (!any) {
            return;
        }
        try {
            ObjectSpec.Relocated r = spec.relocate(coreTarget(), log);
            ObjectSpec relocated = r.spec();
            for (ProgramSpec before : spec.programs()) {
                // relocation re-links programs from their sections: keep types and attach types set on the spec
                ProgramSpec after = relocated.program(before.name()).orElseThrow();
                relocated = relocated.withProgram(new ProgramSpec(after.name(), after.sectionName(), before.type(), before.attachType(),
                        before.attachTarget(), before.flags(), before.autoload(), after.license(), after.kernelVersion(),
                        after.instructions(), after.references(), after.funcInfos(), after.lineInfos(), after.coreRelos()));
            }
            spec = relocated;
            decisions = r.decisions();
        } catch (CoreRelocationException e) {
            throw new BpfException("object '" + object + "': failed to perform CO-RE relocations: " + e.getMessage(), e);
        }
    }

    // ---- programs ----

    private KernelProgram loadProgram(ProgramSpec p) {
        if (p.type() == ProgramType.UNSPEC) {
            throw new BpfException("prog '" + p.name() + "': missing BPF prog type, check ELF section name '" + p.sectionName() + "'");
        }
        byte[] code = patch(p);
        ProgramDefinition d = ProgramDefinition.of(p.type(), kernelName(p.name()), code, p.license())
                .withKernVersion(spec.kernelVersion() != 0 ? spec.kernelVersion() : FeatureProbe.kernelVersionCode(Kernel.release()))
                .withFlags(programFlags(p));
        if (p.attachType() != null) {
            d = d.withExpectedAttachType(p.attachType());
        }
        if (btf != null && kernelBtf != null) {
            d = d.withBtf(btf, funcInfo(p), FUNC_INFO_SIZE, lineInfo(p), LINE_INFO_SIZE);
        }
        d = withAttachTarget(p, d);
        if (!fdArray.isEmpty()) {
            d = d.withFdArray(fdArray.stream().mapToInt(Integer::intValue).toArray());
        }
        KernelProgram loaded;
        try {
            loaded = KernelProgram.load(d);
        } catch (VerifierException e) {
            String fixed = explainPoison(p, e.log());
            log.accept("prog '" + p.name() + "': BPF program load failed: " + Errno.name(e.errno()));
            log.accept("prog '" + p.name() + "': -- BEGIN PROG LOAD LOG --\n" + fixed + "-- END PROG LOAD LOG --");
            throw new VerifierException(p.name(), e.errno(), fixed);
        } catch (BpfException e) {
            throw new BpfException("prog '" + p.name() + "': failed to load: " + e.getMessage(), e);
        }
        log.accept(String.format("prog '%s': loaded, fd=%d id=%d", p.name(), loaded.fd(), loaded.id()));
        for (MapSpec m : spec.maps()) {
            if (m.kind() == MapSpec.Kind.RODATA) {
                bindMap(p, loaded, maps.get(m.name()));
            }
        }
        return loaded;
    }

    private static int programFlags(ProgramSpec p) {
        int flags = p.flags() & SectionDefinition.SLEEPABLE;
        if (p.type() == ProgramType.XDP && (p.flags() & SectionDefinition.XDP_FRAGS) != 0) {
            flags |= SectionDefinition.XDP_FRAGS;
        }
        return flags;
    }

    /** {@code BPF_PROG_BIND_MAP}: keeps .rodata alive with the program even when its code no longer refers to it. */
    private void bindMap(ProgramSpec p, KernelProgram program, KernelMap map) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Sys.attr(arena, ProgBindMap.SIZE);
            ProgBindMap.PROG_FD.set(attr, program.fd());
            ProgBindMap.MAP_FD.set(attr, map.fd());
            long r = Bpf.call(BpfCmd.PROG_BIND_MAP, attr);
            if (r < 0) {
                log.accept("prog '" + p.name() + "': failed to bind map '" + map.name() + "': " + Errno.name((int) -r));
            }
        }
    }

    /** The program's code with map fds, global data offsets and kernel symbols filled in ({@code bpf_object__relocate_data}). */
    private byte[] patch(ProgramSpec p) {
        List<Instruction> code = p.resolve(name -> mapFd(p, name), (e, at) -> {
            Ksym k = ksyms.get(e.name());
            if (e.function()) {
                // an unresolved weak kfunc is called as BTF id 0, which the verifier refuses only if the call is reached
                return new Instruction.CallKfunc(k == null ? 0 : k.btfId(), (short) (k == null ? 0 : k.fdIndex()));
            }
            if (!(at instanceof Instruction.LoadImm64 ld)) {
                throw new BpfException("prog '" + p.name() + "': kernel symbol '" + e.name() + "' is used by an instruction that is not "
                        + "a 64-bit load");
            }
            if (k != null && k.btfId() != 0) {
                return new Instruction.LoadImm64(ld.dst(), PseudoSource.BTF_ID, (long) k.btfObjFd() << 32 | k.btfId() & 0xffff_ffffL);
            }
            return new Instruction.LoadImm64(ld.dst(), k == null ? 0 : k.address()); // typeless, or unresolved weak: NULL
        });
        for (Reference ref : p.references()) {
            log.accept(String.format("prog '%s': insn #%d: %s", p.name(), ref.slot(), switch (ref) {
                case Reference.MapFd m -> "map '" + m.map() + "' fd " + maps.get(m.map()).fd();
                case Reference.MapValue v -> "map '" + v.map() + "' fd " + maps.get(v.map()).fd() + " + " + v.offset();
                case Reference.Extern x -> (x.function() ? "kfunc '" : "ksym '") + x.name() + "' " + ksyms.get(x.name());
            }));
        }
        return Instructions.encode(code, ByteOrder.nativeOrder());
    }

    private int mapFd(ProgramSpec p, String name) {
        KernelMap m = maps.get(name);
        if (m == null) {
            throw new BpfException("prog '" + p.name() + "': refers to map '" + name + "', which object '" + object + "' does not define");
        }
        return m.fd();
    }

    private static byte[] funcInfo(ProgramSpec p) {
        ByteBuffer b = ByteBuffer.allocate(p.funcInfos().size() * FUNC_INFO_SIZE).order(ByteOrder.nativeOrder());
        for (BtfExt.FuncInfo f : p.funcInfos()) {
            b.putInt(f.insnOffset() / 8).putInt(f.typeId());
        }
        return b.array();
    }

    private byte[] lineInfo(ProgramSpec p) {
        ByteBuffer b = ByteBuffer.allocate(p.lineInfos().size() * LINE_INFO_SIZE).order(ByteOrder.nativeOrder());
        for (BtfExt.LineInfo l : p.lineInfos()) {
            b.putInt(l.insnOffset() / 8).putInt(kernelBtf.stringOffset(l.fileName())).putInt(kernelBtf.stringOffset(l.lineText()))
                    .putInt(l.line() << 10 | (l.column() & 0x3ff));
        }
        return b.array();
    }

    /** The BTF attach target of tracing, LSM, iterator and struct_ops programs ({@code libbpf_prepare_prog_load}). */
    private ProgramDefinition withAttachTarget(ProgramSpec p, ProgramDefinition d) {
        if (p.type() == ProgramType.STRUCT_OPS) {
            return structOpsTarget(p, d);
        }
        boolean byBtf = p.type() == ProgramType.EXT || p.type() == ProgramType.LSM || p.type() == ProgramType.TRACING;
        if (!byBtf) {
            return d;
        }
        int slash = p.sectionName().indexOf('/');
        if (slash < 0) {
            throw new BpfException("prog '" + p.name() + "': no BTF-based attach target is specified (section '" + p.sectionName()
                    + "' names none)");
        }
        if (p.type() == ProgramType.EXT) {
            throw new BpfException("prog '" + p.name() + "': attach program FD is not set (freplace programs need the program they "
                    + "replace)");
        }
        String name = p.sectionName().substring(slash + 1);
        AttachType at = p.attachType();
        String prefix = at == AttachType.TRACE_RAW_TP ? "btf_trace_" : at == AttachType.LSM_MAC || at == AttachType.LSM_CGROUP
                ? "bpf_lsm_" : at == AttachType.TRACE_ITER ? "bpf_iter_" : "";
        BtfKind kind = at == AttachType.TRACE_RAW_TP ? BtfKind.TYPEDEF : BtfKind.FUNC;
        KernelSymbols.Found f = symbols.find(prefix + name, kind).orElseThrow(() -> new BpfException("prog '" + p.name()
                + "': failed to find kernel BTF type ID of '" + name + "': the kernel's BTF has no " + kind.name().toLowerCase()
                + " '" + prefix + name + "' (ESRCH)"));
        log.accept(String.format("prog '%s': attach target '%s' is BTF id %d%s", p.name(), prefix + name, f.id(),
                f.module() == null ? "" : " of a module"));
        return d.withAttachTarget(f.id(), f.module() == null ? 0 : f.module().fd());
    }

    private ProgramDefinition structOpsTarget(ProgramSpec p, ProgramDefinition d) {
        Btf local = spec.btf().orElseThrow();
        for (MapSpec m : spec.maps()) {
            int member = m.kind() == MapSpec.Kind.STRUCT_OPS ? m.initialSlots().indexOf(p.name()) : -1;
            if (member < 0) {
                continue;
            }
            BtfType.Struct st = (BtfType.Struct) local.type(m.valueTypeId());
            String memberName = st.members().get(member).name();
            int kernId = VmlinuxBtf.require(st.name(), BtfKind.STRUCT, "struct_ops map '" + m.name() + "'");
            List<BtfType.Member> kernMembers = ((BtfType.Struct) VmlinuxBtf.get().type(kernId)).members();
            for (int k = 0; k < kernMembers.size(); k++) {
                if (kernMembers.get(k).name().equals(memberName)) {
                    return new ProgramDefinition(d.type(), d.name(), d.instructions(), d.license(), k, d.kernVersion(), d.flags(),
                            d.btfFd(), d.funcInfo(), d.funcInfoRecordSize(), d.lineInfo(), d.lineInfoRecordSize(), kernId, 0,
                            d.ifindex(), d.logLevel(), d.fdArray());
                }
            }
            throw new BpfException("struct_ops map '" + m.name() + "': the kernel's struct " + st.name() + " has no member '"
                    + memberName + "'");
        }
        return d;
    }

    /**
     * libbpf's {@code fixup_log_failed_core_relo}: a call of the poison helper that the
     * verifier reached is named as the CO-RE relocation that could not be resolved.
     */
    private String explainPoison(ProgramSpec p, String log) {
        Matcher m = POISONED.matcher(log);
        if (!m.find()) {
            return log;
        }
        int insn = Integer.parseInt(m.group(1));
        BtfExt.CoreRelo relo = p.coreRelos().stream().filter(r -> r.insnOffset() / 8 == insn).findFirst().orElse(null);
        if (relo == null) {
            return log;
        }
        ObjectSpec.CoreDecision decision = decisions.stream().filter(x -> x.result().poison() && x.relocation().typeId() == relo.typeId()
                && x.relocation().accessString().equals(relo.accessString()) && x.relocation().kind() == relo.kind()).findFirst()
                .orElse(null);
        String spec = core().describe(p.name(), relo);
        String patch = insn + ": <invalid CO-RE relocation>\nfailed to resolve CO-RE relocation " + spec + "\n";
        this.log.accept(String.format("prog '%s': relo #%s: insn #%d poisoned: failed to resolve CO-RE relocation %s", p.name(),
                decision == null ? "?" : Integer.toString(decision.index()), insn, spec));
        return log.substring(0, m.start()) + patch + log.substring(m.end());
    }

    // ---- failure ----

    private void undo() {
        programs.values().forEach(KernelProgram::close);
        maps.values().forEach(KernelMap::close);
        if (btf != null) {
            btf.close();
        }
        for (Path pin : pinnedHere) {
            try {
                Files.deleteIfExists(pin);
            } catch (IOException e) {
                log.accept("failed to unpin " + pin + ": " + e.getMessage());
            }
        }
    }
}
