package io.bpf4j.bcc;

import io.bpf4j.BpfException;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfKind;
import io.bpf4j.codec.Codec;
import io.bpf4j.kernel.AutoAttach;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.KprobeLink;
import io.bpf4j.kernel.Link;
import io.bpf4j.kernel.NetDevice;
import io.bpf4j.kernel.PerfBufferReader;
import io.bpf4j.kernel.PerfEventAttr;
import io.bpf4j.kernel.PerfEventLink;
import io.bpf4j.kernel.RawTracepointLink;
import io.bpf4j.kernel.RingBufferReader;
import io.bpf4j.kernel.TcxLink;
import io.bpf4j.kernel.TracePipe;
import io.bpf4j.kernel.TracepointLink;
import io.bpf4j.kernel.UprobeLink;
import io.bpf4j.kernel.XdpLink;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import io.bpf4j.object.VariableSpec;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * BPF C made live, the way BCC's {@code BPF(text=...)} does it: compiled at run time with
 * clang against a generated {@code vmlinux.h} (see {@link BpfCompiler}), loaded into the
 * kernel, attached by method, with its maps as {@link Table}s, its ring and perf buffers as
 * callbacks, and everything detached and unloaded by {@link #close()}.
 *
 * <pre>{@code
 * try (Bpf bpf = Bpf.compile("""
 *         struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024); __type(key, u32); __type(value, u64); }
 *             counts SEC(".maps");
 *         SEC("tracepoint/syscalls/sys_enter_execve")
 *         int on_exec(void *ctx) {
 *             u32 pid = bpf_get_current_pid_tgid() >> 32; u64 one = 1, *n = bpf_map_lookup_elem(&counts, &pid);
 *             if (n) __sync_fetch_and_add(n, 1); else bpf_map_update_elem(&counts, &pid, &one, BPF_ANY);
 *             return 0;
 *         }
 *         char LICENSE[] SEC("license") = "GPL";
 *         """)) {
 *     bpf.attachTracepoint("syscalls:sys_enter_execve", "on_exec");
 *     Thread.sleep(1000);
 *     bpf.table("counts", Integer.class, Long.class).forEach((pid, n) -> System.out.println(pid + " " + n));
 * }
 * }</pre>
 *
 * <p>Not thread-safe, except {@link #close()}, which may be called from another thread to
 * wake one blocked in {@link #poll}.
 */
public final class Bpf implements AutoCloseable {
    /** Default pages of each CPU's perf buffer ring, as BCC's {@code page_cnt}. */
    public static final int PERF_PAGES = 8;

    private final LoadedObject object;
    private final BpfCompiler.Result compiled;
    private final List<Link> links = new ArrayList<>();
    private final List<PerfBufferReader> perfBuffers = new ArrayList<>();
    private RingBufferReader ringBuffers;
    private TracePipe tracePipe;
    private volatile boolean closed;

    private Bpf(LoadedObject object, BpfCompiler.Result compiled) {
        this.object = object;
        this.compiled = compiled;
    }

    /** Compiles {@code source} (named {@code bpf_program.bpf.c} in clang's messages) and loads it. */
    public static Bpf compile(String source) {
        return builder().source("bpf_program.bpf.c", source).load();
    }

    /** Loads a prebuilt object file: no clang needed. */
    public static Bpf load(Path objectFile) {
        return builder().object(objectFile).load();
    }

    /** Everything that can be said before loading: source, flags, constants, map sizes. */
    public static BpfBuilder builder() {
        return new BpfBuilder();
    }

    /** Loads {@code spec}, adopting what compiled it (null for a prebuilt object). */
    static Bpf load(ObjectSpec spec, BpfCompiler.Result compiled) {
        return new Bpf(LoadedObject.load(spec), compiled);
    }

    /** The object as loaded (after CO-RE relocation). */
    public ObjectSpec spec() {
        return object.spec();
    }

    /** What clang gave, when this object was compiled here: warnings, whether it came from the cache. */
    public Optional<BpfCompiler.Result> compileResult() {
        return Optional.ofNullable(compiled);
    }

    /** The loaded program {@code name} (the C function's name), as BCC's {@code load_func}. */
    public KernelProgram program(String name) {
        return object.program(requireOpen(name));
    }

    /** The kernel map {@code name}; global data by libbpf's name ({@code "prog.bss"}). */
    public KernelMap map(String name) {
        return object.map(requireOpen(name));
    }

    // ---- attach by method ------------------------------------------------------------------

    /** Attaches tracepoint program {@code program} to {@code tracepoint} ({@code "category:name"}, as BCC writes it). */
    public Link attachTracepoint(String tracepoint, String program) {
        int colon = tracepoint.indexOf(':');
        if (colon <= 0 || colon == tracepoint.length() - 1) {
            throw new IllegalArgumentException("tracepoint '" + tracepoint + "' is not CATEGORY:NAME (e.g. sched:sched_switch)");
        }
        return keep(TracepointLink.attach(typed(program, "a tracepoint", ProgramType.TRACEPOINT),
                tracepoint.substring(0, colon), tracepoint.substring(colon + 1)));
    }

    /** Attaches raw tracepoint program {@code program} to {@code tracepoint} (a name such as {@code "sched_switch"}). */
    public Link attachRawTracepoint(String tracepoint, String program) {
        return keep(RawTracepointLink.attach(typed(program, "a raw tracepoint", ProgramType.RAW_TRACEPOINT,
                ProgramType.RAW_TRACEPOINT_WRITABLE), tracepoint));
    }

    /**
     * Attaches kprobe program {@code program} to kernel function {@code function}.
     *
     * @throws io.bpf4j.kernel.UnsupportedFeatureException on kernels without kprobes, naming what can serve instead
     */
    public Link attachKprobe(String function, String program) {
        return keep(KprobeLink.attach(typed(program, "a kprobe", ProgramType.KPROBE), function, 0, false));
    }

    /** Attaches kprobe program {@code program} to the return of {@code function}; as {@link #attachKprobe}. */
    public Link attachKretprobe(String function, String program) {
        return keep(KprobeLink.attach(typed(program, "a kprobe", ProgramType.KPROBE), function, 0, true));
    }

    /**
     * Attaches kprobe program {@code program} to system call {@code syscall} ({@code "clone"}), on entry
     * or, with {@code ret}, on return: BCC's {@code attach_kprobe(event=get_syscall_fnname(syscall))}.
     * As {@link #attachKprobe} on kernels without kprobes.
     */
    public Link attachSyscallKprobe(String syscall, String program, boolean ret) {
        return keep(KprobeLink.attachSyscall(typed(program, "a kprobe", ProgramType.KPROBE), syscall, ret));
    }

    /**
     * Attaches {@code program} to {@code symbol} of {@code binary} (a path, a program on the
     * {@code PATH}, or a library file name such as {@code "libc.so.6"}), for process {@code pid}
     * or all ({@code -1}).
     */
    public Link attachUprobe(String binary, String symbol, String program, int pid) {
        return keep(UprobeLink.attach(typed(program, "a uprobe", ProgramType.KPROBE), binary, symbol, false, pid));
    }

    /** As {@link #attachUprobe}, on the function's return. */
    public Link attachUretprobe(String binary, String symbol, String program, int pid) {
        return keep(UprobeLink.attach(typed(program, "a uprobe", ProgramType.KPROBE), binary, symbol, true, pid));
    }

    /** Attaches XDP program {@code program} to network device {@code device} in {@code mode}. */
    public Link attachXdp(String device, String program, XdpLink.Mode mode) {
        return keep(XdpLink.attach(typed(program, "an XDP", ProgramType.XDP), NetDevice.of(device), mode));
    }

    /** Attaches tc program {@code program} to {@code device}'s ingress or egress (tcx). */
    public Link attachTc(String device, TcxLink.Direction direction, String program) {
        return keep(TcxLink.attach(typed(program, "a tc", ProgramType.SCHED_CLS, ProgramType.SCHED_ACT), NetDevice.of(device),
                direction));
    }

    /** Attaches perf_event program {@code program} to {@code event} on every online CPU, as BCC's {@code attach_perf_event}. */
    public Link attachPerfEvent(PerfEventAttr event, String program) {
        return keep(PerfEventLink.attachEachCpu(typed(program, "a perf_event", ProgramType.PERF_EVENT), event));
    }

    /**
     * Attaches every loaded program whose section names its hook ({@code tracepoint/sched/sched_switch},
     * {@code raw_tp/...}, {@code kprobe/...}, {@code uprobe/...}, {@code fentry/...}), as libbpf's
     * auto-attach does; programs that need a target (XDP, tc, perf events...) are left for the
     * attach methods. Returns the new links.
     */
    public List<Link> autoAttach() {
        List<Link> made = new ArrayList<>();
        for (ProgramSpec p : spec().programs()) {
            if (p.autoload() && !(AutoAttach.plan(p) instanceof AutoAttach.Manual)) {
                made.add(attach(p.name()));
            }
        }
        return made;
    }

    /**
     * Attaches program {@code program} where its section says.
     *
     * @throws BpfException when its section names no hook, saying which method attaches it
     */
    public Link attach(String program) {
        KernelProgram p = program(program);
        return keep(AutoAttach.attach(p, spec().program(program).orElseThrow()));
    }

    /** The links made so far, in attach order. */
    public List<Link> links() {
        return Collections.unmodifiableList(links);
    }

    private Link keep(Link link) {
        links.add(link);
        return link;
    }

    private KernelProgram typed(String name, String what, ProgramType type, ProgramType... others) {
        KernelProgram p = program(name);
        Set<ProgramType> allowed = EnumSet.of(type, others);
        if (!allowed.contains(p.type())) {
            String section = spec().program(name).map(s -> " (section '" + s.sectionName() + "')").orElse("");
            throw new BpfException("program '" + name + "' is a " + p.type().bpftoolName() + " program" + section
                    + ", not " + what + " program: its SEC() decides its type");
        }
        return p;
    }

    // ---- tables ----------------------------------------------------------------------------

    /**
     * Map {@code name} as a {@link Table} of {@code keyType} to {@code valueType}: primitive
     * wrappers ({@code Integer} for {@code u32}...), {@code byte[]}, or records laid out as the C
     * struct.
     */
    public <K, V> Table<K, V> table(String name, Class<K> keyType, Class<V> valueType) {
        KernelMap m = map(name);
        if (m.isPerCpu()) {
            throw new BpfException("map '" + name + "' is " + m.type().bpftoolName() + ": read it with perCpuTable");
        }
        MapSpec s = mapSpec(name);
        return Table.create(name, m, keyType, valueType, btf(), s.keyTypeId(), s.valueTypeId());
    }

    /** Per-CPU map {@code name} as a {@link PerCpuTable}, values as in {@link #table}. */
    public <K, V> PerCpuTable<K, V> perCpuTable(String name, Class<K> keyType, Class<V> valueType) {
        KernelMap m = map(name);
        if (!m.isPerCpu()) {
            throw new BpfException("map '" + name + "' is " + m.type().bpftoolName() + ", not per-CPU: read it with table");
        }
        MapSpec s = mapSpec(name);
        Codec<K> keys = TypeCodecs.of(keyType, btf(), s.keyTypeId(), m.keySize(), "the key of map '" + name + "'");
        Codec<V> values = TypeCodecs.of(valueType, btf(), s.valueTypeId(), m.valueSize(), "the value of map '" + name + "'");
        V zero = values.fromBytes(new byte[values.size()]);
        int cpus = m.valueBufferSize() / ((m.valueSize() + 7) & ~7);
        return new PerCpuTable<>(name, m.typed(keys, values), keyType, Collections.nCopies(cpus, zero));
    }

    /**
     * A codec for records of C struct {@code structName} of the object (events sent through
     * ring and perf buffers), checked against the struct's size in the object's BTF.
     */
    public <T> Codec<T> struct(String structName, Class<T> type) {
        Btf btf = btf();
        int id = btf == null ? 0 : btf.findId(structName, BtfKind.STRUCT).orElse(0);
        if (id == 0) {
            throw new BpfException(spec().name() + " has no BTF for struct " + structName + ": clang keeps only the "
                    + "types of functions, maps and globals, so declare one, e.g. 'struct " + structName + " *unused_"
                    + structName + " __attribute__((unused));', or decode with Codecs.record(" + type.getSimpleName()
                    + ".class)");
        }
        return TypeCodecs.of(type, btf, id, (int) btf.sizeOf(id), "struct " + structName);
    }

    /** The current value of global variable {@code name} ({@code .data}, {@code .bss}, {@code .rodata}). */
    public <T> T global(String name, Class<T> type) {
        VariableSpec v = variable(name);
        Codec<T> c = TypeCodecs.of(type, btf(), v.typeId(), v.size(), "variable '" + name + "'");
        return c.decode(object.globalData(v.map()), v.offset());
    }

    /** Sets global variable {@code name} ({@code .data} or {@code .bss}; {@code .rodata} is frozen: set it with the builder). */
    public <T> void setGlobal(String name, Class<T> type, T value) {
        VariableSpec v = variable(name);
        Codec<T> c = TypeCodecs.of(type, btf(), v.typeId(), v.size(), "variable '" + name + "'");
        MemorySegment data = object.globalData(v.map());
        if (data.isReadOnly()) {
            throw new BpfException("variable '" + name + "' is in " + v.map() + ", which is frozen: set it before loading with "
                    + "BpfBuilder.variable");
        }
        c.encode(value, data, v.offset());
    }

    private VariableSpec variable(String name) {
        requireOpen(name);
        return spec().variable(name).orElseThrow(() -> new BpfException(spec().name() + " has no global variable '" + name
                + "'; its variables are " + spec().variables().stream().map(VariableSpec::name).toList()));
    }

    private MapSpec mapSpec(String name) {
        return spec().map(name).orElseThrow();
    }

    private Btf btf() {
        return spec().btf().orElse(null);
    }

    // ---- events ----------------------------------------------------------------------------

    /** Calls {@code handler} with each record of ring buffer map {@code name}, from {@link #poll}. */
    public void openRingBuffer(String name, Consumer<MemorySegment> handler) {
        KernelMap m = map(name);
        if (m.type() != MapType.RINGBUF) {
            throw new BpfException("map '" + name + "' is " + m.type().bpftoolName() + ", not a ring buffer");
        }
        if (ringBuffers == null) {
            ringBuffers = new RingBufferReader();
        }
        ringBuffers.add(m, handler::accept);
    }

    /** Calls {@code handler} with each record of ring buffer {@code name} decoded by {@code codec} (see {@link #struct}). */
    public <T> void openRingBuffer(String name, Codec<T> codec, Consumer<T> handler) {
        openRingBuffer(name, record -> handler.accept(decode(name, codec, record)));
    }

    /**
     * Calls {@code handler} with each sample of perf event array {@code name}, and {@code lost}
     * with the count of samples the kernel dropped; {@link #PERF_PAGES} pages per CPU.
     */
    public void openPerfBuffer(String name, PerfBufferReader.SampleHandler handler, PerfBufferReader.LostHandler lost) {
        KernelMap m = map(name);
        if (m.type() != MapType.PERF_EVENT_ARRAY) {
            throw new BpfException("map '" + name + "' is " + m.type().bpftoolName() + ", not a perf event array");
        }
        perfBuffers.add(PerfBufferReader.open(m, PERF_PAGES, handler, lost));
    }

    /** As BCC's {@code open_perf_buffer(callback, lost_cb=...)}: samples decoded by {@code codec}, lost counts summed. */
    public <T> void openPerfBuffer(String name, Codec<T> codec, Consumer<T> handler, LongConsumer lost) {
        openPerfBuffer(name, (cpu, data) -> handler.accept(decode(name, codec, data)), (cpu, n) -> lost.accept(n));
    }

    private static <T> T decode(String map, Codec<T> codec, MemorySegment record) {
        if (record.byteSize() < codec.size()) {
            throw new BpfException("a record of " + record.byteSize() + " bytes from '" + map + "' is shorter than the "
                    + codec.size() + " bytes it is decoded as");
        }
        return codec.decode(record, 0);
    }

    /**
     * Waits up to {@code timeout} for events of the opened ring and perf buffers and hands them to
     * their callbacks (BCC's {@code ring_buffer_poll} and {@code perf_buffer_poll} in one). Returns
     * how many were handled, or -1 once this object is closed.
     */
    public int poll(Duration timeout) {
        List<Object> sources = new ArrayList<>(perfBuffers);
        if (ringBuffers != null) {
            sources.add(ringBuffers);
        }
        if (closed) {
            return -1;
        }
        if (sources.isEmpty()) {
            throw new IllegalStateException("no ring or perf buffer is open: call openRingBuffer or openPerfBuffer first");
        }
        if (sources.size() == 1) {
            return poll(sources.getFirst(), timeout);
        }
        // Several readers: take what is there, else wait on each in turn in short slices.
        long deadline = System.nanoTime() + timeout.toNanos();
        Duration slice = Duration.ofMillis(10);
        while (true) {
            int total = 0;
            for (Object s : sources) {
                int n = poll(s, Duration.ZERO);
                if (n < 0) {
                    return -1;
                }
                total += n;
            }
            if (total > 0 || System.nanoTime() >= deadline) {
                return total;
            }
            for (Object s : sources) {
                int n = poll(s, slice);
                if (n != 0) {
                    return n;
                }
            }
        }
    }

    private static int poll(Object source, Duration timeout) {
        return switch (source) {
            case RingBufferReader r -> timeout.isZero() ? r.consume() : r.poll(timeout);
            case PerfBufferReader p -> timeout.isZero() ? p.consume() : p.poll(timeout);
            default -> throw new IllegalStateException(source.toString());
        };
    }

    // ---- trace_pipe -----------------------------------------------------------------------

    /** The kernel's trace pipe, where {@code bpf_printk} writes; opened on first use, closed with this object. */
    public synchronized TracePipe tracePipe() {
        requireOpen("the trace pipe");
        if (tracePipe == null) {
            tracePipe = TracePipe.open();
        }
        return tracePipe;
    }

    /**
     * The next {@code bpf_printk} line parsed into task, pid, CPU, flags, timestamp and message,
     * as BCC's {@code trace_fields()}; empty when none came within {@code timeout}.
     */
    public Optional<TracePipe.Event> traceFields(Duration timeout) {
        return tracePipe().next(timeout);
    }

    /** Prints trace pipe lines as they come, as BCC's {@code trace_print()}, until {@code stop} is signalled. */
    public void tracePrint(PrintStream out, StopSignal stop) {
        TracePipe pipe = tracePipe();
        while (!stop.stopped()) {
            String line = pipe.readLine(Duration.ofMillis(100));
            if (line != null) {
                out.println(line);
            } else if (pipe.isClosed()) {
                return;
            }
        }
    }

    private String requireOpen(String what) {
        if (closed) {
            throw new IllegalStateException("this Bpf object is closed (asked for " + what + ")");
        }
        return what;
    }

    /** Stops the event readers, detaches every link (last first), unloads programs and maps. Closing twice is harmless. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<AutoCloseable> all = new ArrayList<>();
        if (tracePipe != null) {
            all.add(tracePipe);
        }
        if (ringBuffers != null) {
            all.add(ringBuffers);
        }
        all.addAll(perfBuffers);
        all.addAll(links.reversed());
        all.add(object);
        RuntimeException failure = null;
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e instanceof RuntimeException r ? r : new BpfException("close " + c + ": " + e.getMessage(), e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "Bpf[" + spec().name() + ": " + spec().programs().size() + " programs, " + spec().maps().size() + " maps"
                + (closed ? ", closed" : "") + "]";
    }
}
