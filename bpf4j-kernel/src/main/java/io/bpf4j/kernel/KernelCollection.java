package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.BpfCollection;
import io.bpf4j.BpfEventReader;
import io.bpf4j.BpfException;
import io.bpf4j.BpfLink;
import io.bpf4j.kernel.sys.Errno;
import io.bpf4j.kernel.sys.Libc;
import io.bpf4j.kernel.sys.Posix;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * An object loaded into the kernel by {@link KernelBackend}: its maps and programs as
 * kernel handles, its global data mmapped, links and event readers it handed out. Closing it
 * detaches and releases everything (pinned maps stay in the BPF file system).
 *
 * <pre>{@code
 * try (KernelCollection c = KernelBackend.create().load(ObjectSpec.read(Path.of("xdp_counter.bpf.o")))) {
 *     c.programs().get("count_packets").pin(Path.of("/sys/fs/bpf/counter"));
 * }
 * }</pre>
 */
public final class KernelCollection implements BpfCollection {
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int PERF_PAGES_PER_CPU = 8;

    private final ObjectSpec spec;
    private final Map<String, KernelMap> maps;
    private final Map<String, KernelProgram> programs;
    private final KernelBtf btf;
    private final Map<String, MemorySegment> mappings = new HashMap<>();
    /** The mmapped global data, as mmap returned it, to unmap at close. */
    private final List<MemorySegment> unmaps = new ArrayList<>();
    private final List<BpfLink> links = new ArrayList<>();
    private final List<BpfEventReader> readers = new ArrayList<>();
    private boolean closed;

    KernelCollection(ObjectSpec spec, Map<String, KernelMap> maps, Map<String, KernelProgram> programs, KernelBtf btf) {
        this.spec = spec;
        this.maps = Collections.unmodifiableMap(new LinkedHashMap<>(maps));
        this.programs = Collections.unmodifiableMap(new LinkedHashMap<>(programs));
        this.btf = btf;
    }

    @Override
    public String name() {
        return spec.name();
    }

    /** The object as it was loaded: CO-RE-relocated, externs resolved. */
    public ObjectSpec spec() {
        return spec;
    }

    @Override
    public Map<String, KernelMap> maps() {
        return maps;
    }

    @Override
    public Map<String, KernelProgram> programs() {
        return programs;
    }

    /** The object's BTF as loaded into the kernel, if it had BTF the kernel accepted. */
    public Optional<KernelBtf> btf() {
        return Optional.ofNullable(btf);
    }

    @Override
    public synchronized MemorySegment globalData(String mapName) {
        checkOpen();
        MemorySegment cached = mappings.get(mapName);
        if (cached != null) {
            return cached;
        }
        MapSpec m = spec.map(mapName).orElseThrow(() -> new BpfException(spec.name() + " has no map '" + mapName + "'"));
        KernelMap map = maps.get(mapName);
        if (!m.kind().isGlobalData() || map == null) {
            throw new BpfException("map '" + mapName + "' of " + spec.name() + " is " + m.kind() + ", not global data");
        }
        if ((map.flags() & MapSpec.F_MMAPABLE) == 0) {
            throw new BpfException("map '" + mapName + "' of " + spec.name() + " was created without BPF_F_MMAPABLE and cannot be mapped");
        }
        boolean readOnly = map.isFrozen();
        long page = Libc.pageSize();
        long length = Math.max(page, (map.valueSize() + page - 1) / page * page);
        MemorySegment mapping = Posix.mmap(length, readOnly ? PROT_READ : PROT_READ | PROT_WRITE, map.fd(), 0);
        int errno = Posix.mmapFailed(mapping);
        if (errno != 0) {
            throw new BpfException("cannot mmap map '" + mapName + "' of " + spec.name() + ": " + Errno.name(errno));
        }
        MemorySegment value = mapping.asSlice(0, map.valueSize());
        MemorySegment view = readOnly ? value.asReadOnly() : value;
        mappings.put(mapName, view);
        unmaps.add(mapping);
        return view;
    }

    @Override
    public synchronized BpfLink attach(String programName, String target) {
        checkOpen();
        KernelProgram program = programs.get(programName);
        ProgramSpec p = spec.program(programName).orElse(null);
        if (program == null || p == null) {
            throw new BpfException("program '" + programName + "' of " + spec.name() + " is not loaded");
        }
        if (target.isEmpty() && !BpfLink.attachesBySection(p)) {
            throw new BpfException("program '" + programName + "' of " + spec.name() + " (section '" + p.sectionName()
                    + "') does not say where it attaches: give a target, such as a network device");
        }
        String hook = BpfLink.hook(p, target);
        Link link = target.isEmpty() ? AutoAttach.attach(program, p) : switch (p.type()) {
            case XDP -> XdpLink.attach(program, NetDevice.of(target), XdpLink.Mode.DEFAULT);
            case SCHED_CLS -> TcxLink.attach(program, NetDevice.of(target), p.attachType() == AttachType.TCX_EGRESS
                    ? TcxLink.Direction.EGRESS : TcxLink.Direction.INGRESS);
            case CGROUP_SKB, CGROUP_SOCK, CGROUP_SOCK_ADDR, CGROUP_DEVICE, CGROUP_SYSCTL, CGROUP_SOCKOPT, SOCK_OPS -> {
                if (p.attachType() == null) {
                    throw new BpfException("program '" + programName + "' (section '" + p.sectionName() + "') names no cgroup hook");
                }
                yield CgroupLink.attach(program, Path.of(target), p.attachType());
            }
            default -> AutoAttach.attach(program, AutoAttach.plan(p.type(), p.attachType(), hook));
        };
        BpfLink l = new Attached(programName, hook, link);
        links.add(l);
        return l;
    }

    @Override
    public synchronized BpfEventReader events(String mapName) {
        checkOpen();
        KernelMap map = maps.get(mapName);
        if (map == null) {
            throw new BpfException(spec.name() + " has no map '" + mapName + "'");
        }
        Events reader = switch (map.type()) {
            case RINGBUF -> new Events(map, null);
            case PERF_EVENT_ARRAY -> new Events(null, map);
            default -> throw new BpfException("map '" + mapName + "' of " + spec.name() + " is a " + map.type().bpftoolName()
                    + " map, not a ring buffer or perf event array");
        };
        readers.add(reader);
        return reader;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(spec.name() + " is closed");
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        links.forEach(BpfLink::close);
        readers.forEach(BpfEventReader::close);
        mappings.clear();
        unmaps.forEach(Posix::munmap);
        programs.values().forEach(KernelProgram::close);
        maps.values().forEach(KernelMap::close);
        if (btf != null) {
            btf.close();
        }
    }

    @Override
    public String toString() {
        return "KernelCollection[" + spec.name() + ": " + programs.size() + " programs, " + maps.size() + " maps]";
    }

    /** A kernel attachment as a {@link BpfLink}. */
    private record Attached(String program, String hook, Link link) implements BpfLink {
        @Override
        public void close() {
            link.close();
        }
    }

    /** A ring buffer or perf buffer reader that hands records to the sink of the current {@link #poll}. */
    private static final class Events implements BpfEventReader {
        private final RingBufferReader ring;
        private final PerfBufferReader perf;
        private Consumer<MemorySegment> sink = r -> {};

        Events(KernelMap ringMap, KernelMap perfMap) {
            if (ringMap != null) {
                ring = new RingBufferReader();
                ring.add(ringMap, r -> sink.accept(r));
                perf = null;
            } else {
                ring = null;
                perf = PerfBufferReader.open(perfMap, PERF_PAGES_PER_CPU, (cpu, data) -> sink.accept(data), (cpu, n) -> {});
            }
        }

        @Override
        public synchronized int poll(Duration timeout, Consumer<MemorySegment> records) {
            sink = records;
            try {
                return ring != null ? ring.poll(timeout) : perf.poll(timeout);
            } finally {
                sink = r -> {};
            }
        }

        @Override
        public long lost() {
            return perf == null ? 0 : perf.lost();
        }

        @Override
        public void close() {
            if (ring != null) {
                ring.close();
            } else {
                perf.close();
            }
        }
    }
}
