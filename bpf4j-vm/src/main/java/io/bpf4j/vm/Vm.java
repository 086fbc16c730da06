package io.bpf4j.vm;

import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.btf.CoreTarget;
import io.bpf4j.object.ObjectSpec;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A userspace eBPF machine: its maps, its programs, and the world its helpers see
 * (CPU count, clocks, current task, trace output, readable outside memory). Runs on any
 * OS, without privileges; every program is checked when loaded and contained when run.
 *
 * <pre>{@code
 * try (Vm vm = Vm.builder().cpus(2).tracePrintk(System.out::print).build()) {
 *     VmMap counts = vm.createMap(VmMapSpec.of("counts", MapType.ARRAY, 4, 8, 1));
 *     VmProgram prog = vm.load("xdp_count", ProgramType.XDP, bytecode);
 *     TestRunResult r = prog.testRun(TestRun.ofData(packet));
 * }
 * }</pre>
 */
public final class Vm implements AutoCloseable {
    /**
     * What runs a VM's programs. {@link #JIT} compiles each program to JVM bytecode when it
     * is loaded (HotSpot then compiles that to machine code) and falls back to the
     * interpreter, per program, when it cannot ({@link VmProgram#jitFallbackReason}); both
     * give the same results and the same {@link VmException}s.
     */
    public enum Engine {
        /** The reference interpreter: one switch per instruction. */
        INTERPRETER,
        /** The JIT to JVM bytecode, the default. */
        JIT,
    }

    /** The default instruction budget of one run. */
    public static final long DEFAULT_BUDGET = 100_000_000L;

    final AddressSpace space = new AddressSpace();
    private final int cpus;
    private final long budget;
    private final Engine engine;
    private final int jitSegmentBytes;
    private final Consumer<String> trace;
    private final VmClock clock;
    private final VmTask task;
    private final ProbeMemory probe;
    private final AtomicLong random;
    private final AtomicInteger fds = new AtomicInteger(3);
    private final ConcurrentHashMap<Integer, VmMap> maps = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, VmProgram> programs = new ConcurrentHashMap<>();

    private Vm(Builder b) {
        this.cpus = b.cpus;
        this.budget = b.budget;
        this.engine = b.engine;
        this.jitSegmentBytes = b.jitSegmentBytes;
        this.trace = b.trace;
        this.clock = b.clock;
        this.task = b.task;
        this.probe = b.probe;
        this.random = new AtomicLong(b.seed);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A VM with one CPU, the default budget, the system clock, this process as the task, and no trace output. */
    public static Vm create() {
        return builder().build();
    }

    /** Number of CPUs: per-CPU maps hold this many copies; runs choose one with {@code BPF_F_TEST_RUN_ON_CPU}. */
    public int cpus() {
        return cpus;
    }

    /** Instructions one run may execute before it is stopped. */
    public long instructionBudget() {
        return budget;
    }

    /** The engine that runs programs loaded from now on. */
    public Engine engine() {
        return engine;
    }

    int jitSegmentBytes() {
        return jitSegmentBytes;
    }

    /** Creates a map with the kernel's checks for its type; {@link VmMapException} when the kernel would refuse it. */
    public VmMap createMap(VmMapSpec spec) {
        Objects.requireNonNull(spec, "spec");
        // Keys, values and per-element bookkeeping; the kernel would answer ENOMEM past its memory too.
        long estimate = (long) Math.max(0, spec.maxEntries()) * (Math.max(0, spec.keySize()) + (long) Math.max(0, spec.valueSize())
                * (spec.type() == MapType.PERCPU_ARRAY || spec.type() == MapType.PERCPU_HASH
                        || spec.type() == MapType.LRU_PERCPU_HASH ? cpus : 1) + 32);
        if (estimate > Runtime.getRuntime().maxMemory() / 2) {
            throw VmMap.invalidSpec(spec, Errno.ENOMEM, "about " + estimate / (1 << 20) + " MiB is more than half the JVM's "
                    + "heap (" + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB)");
        }
        VmMap map;
        try {
            map = newMap(spec);
        } catch (OutOfMemoryError e) {
            throw VmMap.invalidSpec(spec, Errno.ENOMEM, "the JVM has no room for it");
        }
        maps.put(map.fd, map);
        return map;
    }

    private VmMap newMap(VmMapSpec spec) {
        return switch (spec.type()) {
            case ARRAY, PERCPU_ARRAY -> new ArrayMap(this, spec);
            case HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH, HASH_OF_MAPS -> new HashTableMap(this, spec);
            case PROG_ARRAY, ARRAY_OF_MAPS -> new FdArrayMap(this, spec);
            case QUEUE, STACK -> new VmQueueMap(this, spec);
            case LPM_TRIE -> new LpmTrieMap(this, spec);
            case RINGBUF -> new VmRingBuffer(this, spec);
            case PERF_EVENT_ARRAY -> new VmPerfEventArray(this, spec);
            default -> throw VmMap.invalidSpec(spec, Errno.EINVAL, "map type " + spec.type().bpftoolName()
                    + " is not available in the VM (it has: " + supportedMapTypes() + ")");
        };
    }

    private static String supportedMapTypes() {
        return List.of(MapType.ARRAY, MapType.PERCPU_ARRAY, MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH,
                        MapType.LRU_PERCPU_HASH, MapType.HASH_OF_MAPS, MapType.ARRAY_OF_MAPS, MapType.PROG_ARRAY,
                        MapType.QUEUE, MapType.STACK, MapType.LPM_TRIE, MapType.RINGBUF, MapType.PERF_EVENT_ARRAY)
                .stream().map(MapType::bpftoolName).reduce((a, b) -> a + ", " + b).orElse("");
    }

    /**
     * Loads a program: checks every instruction, resolves map references ({@code ld_imm64}
     * with a map fd of this VM), refuses unknown helpers. Throws {@link VmException} of kind
     * {@code INVALID_PROGRAM} naming the instruction at fault.
     *
     * @param instructions the program's bytes, 8 per instruction, little-endian as in an ELF section
     */
    public VmProgram load(String name, ProgramType type, byte[] instructions) {
        return load(name, type, instructions, new int[0]);
    }

    /** Loads a program whose map references use {@code BPF_PSEUDO_MAP_IDX} into {@code fdArray}. */
    public VmProgram load(String name, ProgramType type, byte[] instructions, int[] fdArray) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        if (type != ProgramType.UNSPEC && !ProgramContext.supports(type)) {
            throw VmException.of(VmException.Kind.INVALID_PROGRAM, "program '" + name + "': type "
                    + type.bpftoolName() + " has no context model in the VM");
        }
        Code code = Decoder.decode(name, type, Decoder.words(instructions), this::map, fdArray.clone());
        VmProgram program = new VmProgram(this, code, fds.getAndIncrement());
        programs.put(program.fd(), program);
        return program;
    }

    /**
     * Loads an object: creates its maps (global data with its initial bytes), resolves its
     * programs' map references and loads the programs it marks for autoload.
     */
    public VmObject load(ObjectSpec spec) {
        return VmObject.load(this, Objects.requireNonNull(spec, "spec"));
    }

    /** Loads an object CO-RE-relocated for {@code target} (a kernel's BTF, or any BTF file: {@link CoreTarget#read}). */
    public VmObject load(ObjectSpec spec, CoreTarget target) {
        return load(spec.relocate(Objects.requireNonNull(target, "target"), line -> { }).spec());
    }

    /** The map with file descriptor number {@code fd}. */
    public Optional<VmMap> mapByFd(int fd) {
        return Optional.ofNullable(map(fd));
    }

    /** The program with file descriptor number {@code fd}. */
    public Optional<VmProgram> programByFd(int fd) {
        return Optional.ofNullable(program(fd));
    }

    VmMap map(int fd) {
        return maps.get(fd);
    }

    VmProgram program(int fd) {
        return programs.get(fd);
    }

    int nextFd() {
        return fds.getAndIncrement();
    }

    void forget(VmMap map) {
        maps.remove(map.fd, map);
    }

    void forget(VmProgram program) {
        programs.remove(program.fd(), program);
    }

    VmClock clock() {
        return clock;
    }

    VmTask task() {
        return task;
    }

    ProbeMemory probeMemory() {
        return probe;
    }

    void tracePrintk(String message) {
        trace.accept(message);
    }

    /** SplitMix64 over a shared counter: reproducible for a given seed when runs are sequential. */
    long nextRandom() {
        long z = random.addAndGet(0x9e3779b97f4a7c15L);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Closes every map and program of this VM. */
    @Override
    public void close() {
        programs.values().forEach(VmProgram::close);
        maps.values().forEach(VmMap::close);
    }

    /** Settings of a {@link Vm}. */
    public static final class Builder {
        private int cpus = 1;
        private long budget = DEFAULT_BUDGET;
        private Consumer<String> trace = message -> { };
        private VmClock clock = VmClock.system();
        private VmTask task = VmTask.current();
        private ProbeMemory probe = ProbeMemory.none();
        private long seed = System.nanoTime();
        private Engine engine = Engine.JIT;
        private int jitSegmentBytes = JitPlan.DEFAULT_SEGMENT_BYTES;

        private Builder() {}

        /** Number of CPUs, 1 or more (default 1). */
        public Builder cpus(int n) {
            if (n < 1 || n > 4096) {
                throw new IllegalArgumentException("cpus must be 1 to 4096, not " + n);
            }
            this.cpus = n;
            return this;
        }

        /** Instructions one run may execute (default {@link #DEFAULT_BUDGET}). */
        public Builder instructionBudget(long instructions) {
            if (instructions < 1) {
                throw new IllegalArgumentException("instruction budget must be positive");
            }
            this.budget = instructions;
            return this;
        }

        /** Where bpf_trace_printk and bpf_trace_vprintk messages go, formatted as the kernel formats them. */
        public Builder tracePrintk(Consumer<String> sink) {
            this.trace = Objects.requireNonNull(sink, "sink");
            return this;
        }

        public Builder clock(VmClock c) {
            this.clock = Objects.requireNonNull(c, "clock");
            return this;
        }

        /** The task the get_current_* helpers report (default: this process, as root, named "java"). */
        public Builder task(VmTask t) {
            this.task = Objects.requireNonNull(t, "task");
            return this;
        }

        /** Memory outside the VM that bpf_probe_read* may read (default none). */
        public Builder probeMemory(ProbeMemory memory) {
            this.probe = Objects.requireNonNull(memory, "memory");
            return this;
        }

        /** Seed of bpf_get_prandom_u32 (default: from the clock). */
        public Builder randomSeed(long s) {
            this.seed = s;
            return this;
        }

        /** What runs the programs (default {@link Engine#JIT}). */
        public Builder engine(Engine e) {
            this.engine = Objects.requireNonNull(e, "engine");
            return this;
        }

        /** How much estimated bytecode the JIT puts in one method before it splits a function (tests split small). */
        Builder jitSegmentBytes(int bytes) {
            this.jitSegmentBytes = bytes;
            return this;
        }

        public Vm build() {
            return new Vm(this);
        }
    }
}
