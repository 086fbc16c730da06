package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.AbstractBpfCollection;
import io.bpf4j.BpfEventReader;
import io.bpf4j.BpfException;
import io.bpf4j.BpfLink;
import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.Instructions;
import io.bpf4j.kernel.sys.Libc;
import io.bpf4j.kernel.sys.Posix;
import io.bpf4j.object.ExternSpec;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

/** An {@link ObjectSpec} loaded into the kernel by {@link KernelBackend}: its maps, programs, links, mappings and readers. */
final class KernelCollection extends AbstractBpfCollection {
    /** Pages per CPU of the perf buffers {@link #events} opens. */
    private static final int PERF_PAGES_PER_CPU = 8;

    private final Map<String, KernelMap> maps;
    private final Map<String, KernelProgram> programs;
    private final List<KernelMap> templates;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private final Map<String, MemorySegment> mappings = new LinkedHashMap<>();
    private final List<MemorySegment> rawMappings = new ArrayList<>();
    private final Arena mappingArena = Arena.ofShared();

    private KernelCollection(ObjectSpec spec, Map<String, KernelMap> maps, Map<String, KernelProgram> programs,
            List<KernelMap> templates) {
        super(spec);
        this.maps = Collections.unmodifiableMap(maps);
        this.programs = Collections.unmodifiableMap(programs);
        this.templates = templates;
    }

    static KernelCollection load(ObjectSpec spec, Path pinRoot) {
        for (ExternSpec e : spec.externs()) {
            if (e.kind() == ExternSpec.Kind.KCONFIG && !e.weak()) {
                throw new BpfException(spec.name() + ": extern '" + e.name() + "' needs a Kconfig value, which the kernel backend"
                        + " does not supply yet");
            }
        }
        Map<String, KernelMap> maps = new LinkedHashMap<>();
        Map<String, KernelProgram> programs = new LinkedHashMap<>();
        List<KernelMap> templates = new ArrayList<>();
        // The kernel keeps its own reference to the BTF of each map and program loaded with it.
        try (KernelBtf btf = objectBtf(spec)) {
            for (MapSpec m : spec.maps()) {
                maps.put(m.name(), map(spec, m, pinRoot, templates, btf));
            }
            for (ProgramSpec p : spec.programs()) {
                if (p.autoload()) {
                    programs.put(p.name(), program(spec, p, maps, btf));
                }
            }
            for (MapSpec m : spec.maps()) {
                fillSlots(spec, m, maps, programs);
            }
        } catch (RuntimeException e) {
            programs.values().forEach(KernelProgram::close);
            maps.values().forEach(KernelMap::close);
            templates.forEach(KernelMap::close);
            throw e;
        }
        return new KernelCollection(spec, maps, programs, templates);
    }

    /**
     * The object's BTF loaded into the kernel, or null when it has none, or in another byte
     * order, or the kernel refuses it (as libbpf, loading goes on without BTF then: only maps
     * and programs that need it fail, and say so).
     */
    private static KernelBtf objectBtf(ObjectSpec spec) {
        if (spec.btf().isEmpty() || spec.byteOrder() != ByteOrder.nativeOrder()) {
            return null;
        }
        try {
            return KernelBtf.load(spec.btf().get().toBytes());
        } catch (BpfException e) {
            return null;
        }
    }

    /** Map types the kernel takes key and value BTF for. */
    private static boolean takesBtf(MapType type) {
        return switch (type) {
            case HASH, ARRAY, PERCPU_HASH, PERCPU_ARRAY, LRU_HASH, LRU_PERCPU_HASH, LPM_TRIE, SK_STORAGE, INODE_STORAGE,
                    TASK_STORAGE, CGRP_STORAGE, CGROUP_STORAGE, PERCPU_CGROUP_STORAGE, QUEUE, STACK, BLOOM_FILTER -> true;
            default -> false;
        };
    }

    private static KernelMap map(ObjectSpec spec, MapSpec m, Path pinRoot, List<KernelMap> templates, KernelBtf btf) {
        if (m.kind() == MapSpec.Kind.STRUCT_OPS) {
            throw new BpfException(spec.name() + ": map '" + m.name() + "' is a struct_ops map, which the kernel backend does not"
                    + " load yet");
        }
        Path pin = pinRoot.resolve(m.name());
        if (m.pinning() == MapSpec.PIN_BY_NAME && Files.exists(pin)) {
            KernelMap reused = KernelMap.openPinned(pin);
            if (reused.type() != m.type() || reused.keySize() != m.keySize() || reused.valueSize() != m.valueSize()) {
                reused.close();
                throw new BpfException(spec.name() + ": map '" + m.name() + "' is pinned at " + pin + " as another map ("
                        + reused.type().bpftoolName() + ", key " + reused.keySize() + ", value " + reused.valueSize() + ")");
            }
            return reused;
        }
        // libbpf sizes a perf event array that gives no max_entries to the number of possible CPUs.
        int entries = m.type() == MapType.PERF_EVENT_ARRAY && m.maxEntries() == 0 ? Kernel.possibleCpus() : m.maxEntries();
        MapDefinition d = MapDefinition.of(m.type(), m.keySize(), m.valueSize(), entries).withFlags(m.flags())
                .withName(m.name().length() > MapDefinition.MAX_NAME_LENGTH ? m.name().substring(0, MapDefinition.MAX_NAME_LENGTH)
                        : m.name())
                .withMapExtra(m.mapExtra());
        if (m.numaNode() != 0) {
            d = d.withNumaNode(m.numaNode());
        }
        if (m.innerMap() != null) {
            KernelMap template = map(spec, m.innerMap(), pinRoot, templates, btf);
            templates.add(template);
            d = d.withInnerMap(template);
        }
        KernelMap map;
        if (btf != null && takesBtf(m.type()) && (m.keyTypeId() != 0 || m.valueTypeId() != 0)) {
            try {
                map = KernelMap.create(d.withBtf(btf, m.keyTypeId(), m.valueTypeId()));
            } catch (BpfSyscallException e) {
                map = KernelMap.create(d); // as libbpf: retry without BTF; a map that needs it fails again, with the reason
            }
        } else {
            map = KernelMap.create(d);
        }
        try {
            if (m.kind().isGlobalData()) {
                map.update(new byte[4], Arrays.copyOf(m.data(), m.valueSize()), BpfMap.UPDATE_ANY);
                if (m.kind() == MapSpec.Kind.RODATA || m.kind() == MapSpec.Kind.KCONFIG) {
                    map.freeze();
                }
            }
            if (m.pinning() == MapSpec.PIN_BY_NAME) {
                map.pin(pin);
            }
        } catch (RuntimeException e) {
            map.close();
            throw e;
        }
        return map;
    }

    private static KernelProgram program(ObjectSpec spec, ProgramSpec p, Map<String, KernelMap> maps, KernelBtf btf) {
        List<Instruction> code = p.resolve(name -> {
            KernelMap m = maps.get(name);
            if (m == null) {
                throw new BpfException("program '" + p.name() + "' of " + spec.name() + " refers to map '" + name
                        + "', which the object does not define");
            }
            return m.fd();
        }, (e, at) -> {
            if (e.weak() && !e.function() && at instanceof Instruction.LoadImm64 ld) {
                return new Instruction.LoadImm64(ld.dst(), 0); // an unresolved weak symbol is NULL, as with libbpf
            }
            throw new BpfException("program '" + p.name() + "' of " + spec.name() + " uses kernel " + (e.function() ? "function" : "symbol")
                    + " '" + e.name() + "', which the kernel backend does not resolve yet");
        });
        String name = p.name().length() > MapDefinition.MAX_NAME_LENGTH ? p.name().substring(0, MapDefinition.MAX_NAME_LENGTH) : p.name();
        ProgramDefinition d = ProgramDefinition.of(p.type(), name, Instructions.encode(code, ByteOrder.nativeOrder()), p.license())
                .withKernVersion(p.kernelVersion()).withFlags(p.flags());
        if (p.attachType() != null) {
            d = d.withExpectedAttachType(p.attachType());
        }
        if (btf != null && !p.funcInfos().isEmpty()) {
            // struct bpf_func_info: the instruction (not byte) where each function starts, and its BTF FUNC.
            ByteBuffer funcInfo = ByteBuffer.allocate(8 * p.funcInfos().size()).order(ByteOrder.nativeOrder());
            p.funcInfos().forEach(f -> funcInfo.putInt(f.insnOffset() / 8).putInt(f.typeId()));
            d = d.withBtf(btf, funcInfo.array(), 8, new byte[0], 0);
        }
        if (p.type() == ProgramType.TRACING || p.type() == ProgramType.LSM) {
            d = d.withAttachTarget(TracingLink.targetBtfId(p.attachType(), p.attachTarget()), 0);
        } else if (p.type() == ProgramType.EXT || p.type() == ProgramType.STRUCT_OPS) {
            throw new BpfException("program '" + p.name() + "' of " + spec.name() + " is " + p.type().bpftoolName()
                    + ", which the kernel backend does not load yet");
        }
        return KernelProgram.load(d);
    }

    /** Program arrays and maps of maps start with the programs and maps the object names for their slots. */
    private static void fillSlots(ObjectSpec spec, MapSpec m, Map<String, KernelMap> maps, Map<String, KernelProgram> programs) {
        Map<Integer, Integer> fds = m.initialSlotFds(name -> programs.containsKey(name) ? programs.get(name).fd() : -1, name -> {
            KernelMap inner = maps.get(name);
            if (inner == null) {
                throw new BpfException(spec.name() + ": a slot of map '" + m.name() + "' names map '" + name
                        + "', which the object does not define");
            }
            return inner.fd();
        });
        fds.forEach((slot, fd) -> maps.get(m.name()).update(intBytes(slot), intBytes(fd), BpfMap.UPDATE_ANY));
    }

    private static byte[] intBytes(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    @Override
    public Map<String, KernelMap> maps() {
        return maps;
    }

    @Override
    public Map<String, KernelProgram> programs() {
        return programs;
    }

    @Override
    public synchronized MemorySegment globalData(String mapName) {
        checkOpen();
        MemorySegment mapped = mappings.get(mapName);
        if (mapped != null) {
            return mapped;
        }
        MapSpec m = globalDataSpec(mapName);
        if ((m.flags() & MapSpec.F_MMAPABLE) == 0) {
            throw new BpfException("map '" + mapName + "' of " + spec.name() + " has no global variables, so it is not mmapable");
        }
        boolean readOnly = m.kind() == MapSpec.Kind.RODATA || m.kind() == MapSpec.Kind.KCONFIG;
        long page = Libc.pageSize();
        long length = (m.valueSize() + page - 1) / page * page;
        MemorySegment raw = Posix.mmap(length, readOnly ? Posix.PROT_READ : Posix.PROT_READ | Posix.PROT_WRITE, maps.get(mapName).fd(), 0);
        if (Posix.mmapFailed(raw) != 0) {
            throw new SystemCallException("map the values of '" + mapName + "' of " + spec.name(), "mmap", Posix.mmapFailed(raw));
        }
        rawMappings.add(raw);
        MemorySegment guarded = raw.reinterpret(mappingArena, null).asSlice(0, m.valueSize());
        mapped = readOnly ? guarded.asReadOnly() : guarded;
        mappings.put(mapName, mapped);
        return mapped;
    }

    @Override
    public synchronized BpfLink attach(String programName, String target) {
        checkOpen();
        ProgramSpec p = attachable(programName, target);
        KernelProgram program = programs.get(programName);
        String hook = BpfLink.hook(p, target);
        Attachment a = new Attachment(programName, hook, link(p, program, hook, target));
        owned.add(a);
        return a;
    }

    /**
     * The link of program {@code p} at {@code hook}: XDP and tcx programs on the network device
     * {@code target} (for tc, {@code eth0:egress} picks the direction a plain {@code tc} section
     * leaves open), the others where {@link AutoAttach} reads the hook as a section name.
     */
    private Link link(ProgramSpec p, KernelProgram program, String hook, String target) {
        return switch (p.type()) {
            case XDP -> XdpLink.attach(program, NetDevice.of(target), XdpLink.Mode.DEFAULT);
            case SCHED_CLS -> {
                TcxLink.Direction direction = p.attachType() == AttachType.TCX_EGRESS || target.endsWith(":egress")
                        ? TcxLink.Direction.EGRESS : TcxLink.Direction.INGRESS;
                yield TcxLink.attach(program, NetDevice.of(target.replaceFirst(":(ingress|egress)$", "")), direction);
            }
            default -> switch (AutoAttach.plan(p.type(), p.attachType(), hook)) {
                case AutoAttach.Manual m -> throw new BpfException("cannot attach program '" + p.name() + "' of " + spec.name()
                        + ": " + m.reason());
                case AutoAttach.Point point -> AutoAttach.attach(program, point);
            };
        };
    }

    @Override
    public synchronized BpfEventReader events(String mapName) {
        checkOpen();
        KernelMap map = (KernelMap) eventMap(mapName);
        Events reader = map.type() == MapType.RINGBUF ? Events.ring(map) : Events.perf(map, PERF_PAGES_PER_CPU);
        owned.add(reader);
        return reader;
    }

    @Override
    public synchronized void close() {
        if (!markClosed()) {
            return;
        }
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                // closing the rest matters more; each of these closes its own descriptors in any case
            }
        }
        mappingArena.close();
        rawMappings.forEach(Posix::munmap);
        programs.values().forEach(KernelProgram::close);
        maps.values().forEach(KernelMap::close);
        templates.forEach(KernelMap::close);
    }

    /** A kernel link as a {@link BpfLink}. */
    record Attachment(String program, String hook, Link link) implements BpfLink {
        @Override
        public void close() {
            link.close();
        }
    }

    /** A ring buffer or perf buffer reader as a {@link BpfEventReader}: records go to the sink of the poll under way. */
    private static final class Events implements BpfEventReader {
        private final AutoCloseable reader;
        private final ToIntFunction<Duration> poll;
        private final LongSupplier lost;
        private Consumer<MemorySegment> sink = record -> { };

        private Events(AutoCloseable reader, ToIntFunction<Duration> poll, LongSupplier lost) {
            this.reader = reader;
            this.poll = poll;
            this.lost = lost;
        }

        static Events ring(KernelMap map) {
            RingBufferReader r = new RingBufferReader();
            Events[] self = new Events[1];
            try {
                r.add(map, record -> self[0].sink.accept(record));
            } catch (RuntimeException e) {
                r.close();
                throw e;
            }
            self[0] = new Events(r, r::poll, () -> 0);
            return self[0];
        }

        static Events perf(KernelMap map, int pages) {
            Events[] self = new Events[1];
            long[] lostCount = new long[1];
            PerfBufferReader r = PerfBufferReader.open(map, pages, (cpu, data) -> self[0].sink.accept(data),
                    (cpu, count) -> lostCount[0] += count);
            self[0] = new Events(r, r::poll, () -> lostCount[0]);
            return self[0];
        }

        @Override
        public synchronized int poll(Duration timeout, Consumer<MemorySegment> into) {
            sink = into;
            try {
                return poll.applyAsInt(timeout);
            } finally {
                sink = record -> { };
            }
        }

        @Override
        public long lost() {
            return lost.getAsLong();
        }

        @Override
        public void close() {
            try {
                reader.close();
            } catch (Exception e) {
                throw new BpfException("closing an event reader: " + e.getMessage(), e);
            }
        }
    }
}
