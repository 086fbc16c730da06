package io.bpf4j.vm;

import io.bpf4j.AbstractBpfCollection;
import io.bpf4j.BpfEventReader;
import io.bpf4j.BpfLink;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

/** A {@link VmObject} as a {@link BpfCollection}: global data as heap memory, hooks of its {@link VmBackend}, event readers. */
final class VmCollection extends AbstractBpfCollection {
    /** Bytes of buffer each CPU slot of a perf event array gets when read through {@link #events}. */
    private static final int PERF_BUFFER_BYTES = 64 * 1024;

    private final VmBackend backend;
    private final VmObject object;
    private final List<Attachment> attachments = new ArrayList<>();
    private final List<BpfEventReader> readers = new ArrayList<>();

    VmCollection(VmBackend backend, VmObject object, ObjectSpec spec) {
        super(spec);
        this.backend = backend;
        this.object = object;
    }

    @Override
    public Map<String, VmMap> maps() {
        return object.maps();
    }

    @Override
    public Map<String, VmProgram> programs() {
        return object.programs();
    }

    @Override
    public MemorySegment globalData(String mapName) {
        MapSpec m = globalDataSpec(mapName);
        if (!(object.maps().get(mapName) instanceof ArrayMap array)) {
            throw new IllegalStateException("global data map '" + mapName + "' of " + spec.name() + " is no array in the VM");
        }
        MemorySegment memory = MemorySegment.ofArray(array.storage()).asSlice(0, m.valueSize());
        return (m.flags() & MapSpec.F_RDONLY_PROG) != 0 ? memory.asReadOnly() : memory;
    }

    @Override
    public synchronized BpfLink attach(String programName, String target) {
        checkOpen();
        ProgramSpec p = attachable(programName, target);
        VmProgram program = object.programs().get(programName);
        Attachment a = new Attachment(program, BpfLink.hook(p, target));
        attachments.add(a);
        backend.add(a);
        return a;
    }

    @Override
    public synchronized BpfEventReader events(String mapName) {
        checkOpen();
        BpfEventReader reader = switch ((VmMap) eventMap(mapName)) {
            case VmRingBuffer ring -> new Reader(sink -> ring.poll(record -> sink.accept(MemorySegment.ofArray(record))), () -> 0);
            case VmPerfEventArray perf -> {
                for (int cpu = 0; cpu < Math.min(perf.maxEntries(), backend.vm().cpus()); cpu++) {
                    perf.open(cpu, PERF_BUFFER_BYTES);
                }
                yield new Reader(sink -> perf.poll((sample, cpu) -> sink.accept(MemorySegment.ofArray(sample))), perf::lostSamples);
            }
            default -> throw new IllegalStateException("event map '" + mapName + "' is neither kind in the VM");
        };
        readers.add(reader);
        return reader;
    }

    @Override
    public synchronized void close() {
        if (!markClosed()) {
            return;
        }
        new ArrayList<>(attachments).forEach(Attachment::close);
        readers.forEach(BpfEventReader::close);
        object.close();
    }

    /** A program on one of the backend's hooks. */
    final class Attachment implements BpfLink {
        private final VmProgram program;
        private final String hook;
        private boolean detached;

        Attachment(VmProgram program, String hook) {
            this.program = program;
            this.hook = hook;
        }

        @Override
        public String program() {
            return program.name();
        }

        @Override
        public String hook() {
            return hook;
        }

        TestRunResult run(TestRun run) {
            return program.testRun(run);
        }

        @Override
        public void close() {
            synchronized (VmCollection.this) {
                if (!detached) {
                    detached = true;
                    attachments.remove(this);
                    backend.remove(this);
                }
            }
        }

        @Override
        public String toString() {
            return "VM link of '" + program.name() + "' on " + hook;
        }
    }

    /** Polls a VM event map: what is there now, or what arrives before the timeout. */
    private static final class Reader implements BpfEventReader {
        /** How long to sleep between looks while waiting: records arrive from runs on other threads. */
        private static final long NAP_NANOS = 200_000;

        private final ToIntFunction<Consumer<MemorySegment>> poll;
        private final LongSupplier lost;
        private volatile boolean closed;

        Reader(ToIntFunction<Consumer<MemorySegment>> poll, LongSupplier lost) {
            this.poll = poll;
            this.lost = lost;
        }

        @Override
        public int poll(Duration timeout, Consumer<MemorySegment> sink) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!closed) {
                int n = poll.applyAsInt(sink);
                if (n > 0 || System.nanoTime() - deadline >= 0) {
                    return n;
                }
                LockSupport.parkNanos(NAP_NANOS);
            }
            return -1;
        }

        @Override
        public long lost() {
            return lost.getAsLong();
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
