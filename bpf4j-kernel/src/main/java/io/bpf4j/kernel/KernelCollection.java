package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.AbstractBpfCollection;
import io.bpf4j.BpfEventReader;
import io.bpf4j.BpfException;
import io.bpf4j.BpfLink;
import io.bpf4j.MapType;
import io.bpf4j.kernel.sys.Libc;
import io.bpf4j.kernel.sys.Posix;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

/**
 * An object loaded into the kernel by {@link KernelBackend}: its maps and programs as kernel
 * handles, its global data mmapped, the links and event readers it handed out. Closing it
 * detaches and releases everything (maps pinned in the BPF file system stay there).
 *
 * <pre>{@code
 * try (KernelCollection c = KernelBackend.create().load(ObjectSpec.read(Path.of("xdp_counter.bpf.o")))) {
 *     c.programs().get("count_packets").pin(Path.of("/sys/fs/bpf/counter"));
 * }
 * }</pre>
 */
public final class KernelCollection extends AbstractBpfCollection {
    /** Pages per CPU of the perf buffers {@link #events} opens. */
    private static final int PERF_PAGES_PER_CPU = 8;

    private final Map<String, KernelMap> maps;
    private final Map<String, KernelProgram> programs;
    private final KernelBtf btf;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private final Map<String, MemorySegment> mappings = new LinkedHashMap<>();
    private final List<MemorySegment> rawMappings = new ArrayList<>();
    private final Arena mappingArena = Arena.ofShared();

    KernelCollection(ObjectSpec spec, Map<String, KernelMap> maps, Map<String, KernelProgram> programs, KernelBtf btf) {
        super(spec);
        this.maps = Collections.unmodifiableMap(new LinkedHashMap<>(maps));
        this.programs = Collections.unmodifiableMap(new LinkedHashMap<>(programs));
        this.btf = btf;
    }

    /** The object as it was loaded: CO-RE-relocated, its {@code .kconfig} values filled in. */
    public ObjectSpec spec() {
        return spec;
    }

    /** The object's BTF as the kernel holds it, if it had BTF the kernel accepted. */
    public Optional<KernelBtf> btf() {
        return Optional.ofNullable(btf);
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
        if (btf != null) {
            btf.close();
        }
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
