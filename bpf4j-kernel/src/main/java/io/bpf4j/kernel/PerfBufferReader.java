package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.MapType;
import io.bpf4j.kernel.sys.Bpf;
import io.bpf4j.kernel.sys.BpfCmd;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Layouts.MapElem;
import io.bpf4j.kernel.sys.Layouts.PerfEventHeader;
import io.bpf4j.kernel.sys.Layouts.PerfEventMmapPage;
import io.bpf4j.kernel.sys.Libc;
import io.bpf4j.kernel.sys.Posix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads what BPF programs send with {@code bpf_perf_event_output} through a
 * {@code BPF_MAP_TYPE_PERF_EVENT_ARRAY}, as libbpf's {@code perf_buffer__new} and
 * {@code perf_buffer__poll} do: one {@code PERF_COUNT_SW_BPF_OUTPUT} event per online CPU,
 * its ring mapped into this process and its fd stored in the map at the CPU's index. Samples
 * that wrap around the end of a ring are reassembled; samples the kernel had to drop because
 * a ring was full are reported to the lost handler. Any thread may {@link #close()} the
 * reader, which wakes a thread blocked in {@link #poll}.
 *
 * <pre>{@code
 * try (PerfBufferReader r = PerfBufferReader.open(events, 8,
 *         (cpu, data) -> System.out.println(cpu + ": " + data.byteSize() + " bytes"),
 *         (cpu, lost) -> System.err.println(lost + " samples lost on CPU " + cpu))) {
 *     while (r.poll(Duration.ofMillis(100)) >= 0) { }
 * }
 * }</pre>
 */
public final class PerfBufferReader implements AutoCloseable {
    private static final int RECORD_LOST = 2;
    private static final int RECORD_SAMPLE = 9;
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    /** Receives one sample; {@code data} (the raw data, padded to 8 bytes with its size word) is valid only during the call. */
    @FunctionalInterface
    public interface SampleHandler {
        void onSample(int cpu, MemorySegment data);
    }

    /** Told how many samples a CPU's ring dropped since the last report. */
    @FunctionalInterface
    public interface LostHandler {
        void onLost(int cpu, long count);
    }

    private final class CpuRing {
        final int cpu;
        final Fd event;
        final MemorySegment mapping;
        final MemorySegment header;
        final MemorySegment data;
        final long size;

        CpuRing(int cpu, Fd event, MemorySegment mapping) {
            this.cpu = cpu;
            this.event = event;
            this.mapping = mapping;
            this.header = mapping.reinterpret(arena, null);
            long offset = PerfEventMmapPage.DATA_OFFSET.get(header);
            long dataSize = PerfEventMmapPage.DATA_SIZE.get(header);
            long page = Libc.pageSize();
            // Kernels before 4.1 leave data_offset and data_size 0: the data follows the first page.
            this.data = header.asSlice(offset == 0 ? page : offset, dataSize == 0 ? mapping.byteSize() - page : dataSize);
            this.size = data.byteSize();
        }

        int drain() {
            long head = (long) LONG.getAcquire(header, (long) PerfEventMmapPage.DATA_HEAD.offset());
            long tail = PerfEventMmapPage.DATA_TAIL.get(header);
            int samples = 0;
            while (tail < head) {
                long at = tail & (size - 1);
                int type = PerfEventHeader.TYPE.get(data.asSlice(at, PerfEventHeader.SIZE));
                int recordSize = PerfEventHeader.SIZE_MEMBER.get(data.asSlice(at, PerfEventHeader.SIZE));
                if (recordSize < PerfEventHeader.SIZE) {
                    throw new BpfException("perf ring of CPU " + cpu + " is corrupt: record of " + recordSize
                            + " bytes at " + tail);
                }
                MemorySegment record = at + recordSize <= size ? data.asSlice(at, recordSize) : unwrap(at, recordSize);
                switch (type) {
                    case RECORD_SAMPLE -> {
                        int rawSize = record.get(ValueLayout.JAVA_INT_UNALIGNED, PerfEventHeader.SIZE);
                        samples++;
                        sampleHandler.onSample(cpu, record.asSlice(PerfEventHeader.SIZE + 4,
                                Math.min(rawSize, recordSize - PerfEventHeader.SIZE - 4)));
                    }
                    case RECORD_LOST -> {
                        long count = record.get(ValueLayout.JAVA_LONG_UNALIGNED, PerfEventHeader.SIZE + 8);
                        lost += count;
                        lostHandler.onLost(cpu, count);
                    }
                    default -> { } // other record types are not asked for
                }
                tail += recordSize;
                LONG.setRelease(header, (long) PerfEventMmapPage.DATA_TAIL.offset(), tail);
            }
            return samples;
        }

        /** Copies a record that wraps around the ring's end into one piece. */
        private MemorySegment unwrap(long at, int recordSize) {
            if (scratch.byteSize() < recordSize) {
                scratch = arena.allocate(Math.max(recordSize, scratch.byteSize() * 2), 8);
            }
            long first = size - at;
            MemorySegment.copy(data, at, scratch, 0, first);
            MemorySegment.copy(data, 0, scratch, first, recordSize - first);
            return scratch.asSlice(0, recordSize);
        }

        void release() {
            // The map holds the event too: remove it so the kernel frees the event and its ring.
            try (Arena a = Arena.ofConfined()) {
                MemorySegment attr = Sys.attr(a, MapElem.SIZE);
                MapElem.MAP_FD.set(attr, map.get());
                MapElem.KEY.set(attr, a.allocateFrom(ValueLayout.JAVA_INT, cpu));
                Bpf.call(BpfCmd.MAP_DELETE_ELEM, attr); // fails harmlessly if a program or user replaced it
            }
            Posix.ioctl(event.get(), PerfEvent.IOC_DISABLE, 0);
            Posix.munmap(mapping);
            event.close();
        }
    }

    private final Arena arena = Arena.ofShared();
    private final List<CpuRing> rings = new ArrayList<>();
    private final SampleHandler sampleHandler;
    private final LostHandler lostHandler;
    private final Fd map;
    private final Poller poller;
    private MemorySegment scratch;
    private long lost;

    private PerfBufferReader(Fd map, int cpus, SampleHandler sampleHandler, LostHandler lostHandler) {
        this.map = map;
        this.sampleHandler = sampleHandler;
        this.lostHandler = lostHandler;
        this.poller = new Poller("perf buffer reader", cpus, this::release);
        this.scratch = arena.allocate(4096, 8);
    }

    /**
     * Opens a ring of {@code pagesPerCpu} pages (a power of two) for every online CPU and
     * stores their fds in {@code perfEventArray}.
     */
    public static PerfBufferReader open(KernelMap perfEventArray, int pagesPerCpu, SampleHandler samples,
            LostHandler lost) {
        if (perfEventArray.type() != MapType.PERF_EVENT_ARRAY) {
            throw new BpfException("map '" + perfEventArray.name() + "' (id " + perfEventArray.id() + ") is a "
                    + perfEventArray.type().bpftoolName() + " map, not a perf_event_array");
        }
        if (pagesPerCpu <= 0 || Integer.bitCount(pagesPerCpu) != 1) {
            throw new BpfException("perf buffer pages per CPU must be a power of two, not " + pagesPerCpu);
        }
        int dup = Posix.dup(perfEventArray.fd());
        if (dup < 0) {
            throw new SystemCallException("hold perf event array " + perfEventArray.id(), "fcntl(F_DUPFD_CLOEXEC)", -dup);
        }
        int[] cpus = Kernel.onlineCpus();
        PerfBufferReader reader = new PerfBufferReader(new Fd(dup), cpus.length, samples, lost);
        try {
            for (int cpu : cpus) {
                if (cpu >= perfEventArray.maxEntries()) {
                    break; // the map has no slot for this CPU: libbpf skips it too
                }
                reader.openCpu(perfEventArray, cpu, pagesPerCpu);
            }
            return reader;
        } catch (RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    private void openCpu(KernelMap map, int cpu, int pages) {
        String what = "open the perf buffer of CPU " + cpu + " for map " + map.id();
        Fd event = PerfEvent.open(PerfEventAttr.bpfOutput(), -1, cpu, what);
        long length = (long) (pages + 1) * Libc.pageSize();
        MemorySegment mapping = Posix.mmap(length, Posix.PROT_READ | Posix.PROT_WRITE, event.get(), 0);
        if (Posix.mmapFailed(mapping) != 0) {
            event.close();
            throw new SystemCallException(what, "mmap", Posix.mmapFailed(mapping));
        }
        CpuRing ring = new CpuRing(cpu, event, mapping);
        rings.add(ring);
        poller.add(event.get(), rings.size() - 1);
        byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(cpu).array();
        byte[] value = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(event.get()).array();
        map.update(key, value, 0);
        int r = Posix.ioctl(event.get(), PerfEvent.IOC_ENABLE, 0);
        if (r < 0) {
            throw new SystemCallException(what, "ioctl(PERF_EVENT_IOC_ENABLE)", -r);
        }
    }

    /** The CPUs with a ring, in order. */
    public List<Integer> cpus() {
        return rings.stream().map(r -> r.cpu).toList();
    }

    /** Samples dropped so far because a ring was full. */
    public long lost() {
        return lost;
    }

    /**
     * Waits up to {@code timeout} for samples and reads those of every ready ring. Returns the
     * samples handled, 0 when none came, -1 once the reader is closed.
     */
    public int poll(Duration timeout) {
        return poller.poll(timeout, i -> rings.get(i).drain());
    }

    /** Reads what every ring holds now, without waiting; -1 once closed. */
    public int consume() {
        return poller.consume(() -> {
            int total = 0;
            for (CpuRing r : rings) {
                total += r.drain();
            }
            return total;
        });
    }

    /** Closes every CPU's event (the map keeps stale slots, which programs then skip); wakes a polling thread. */
    @Override
    public void close() {
        poller.close();
    }

    private void release() {
        arena.close();
        for (CpuRing r : rings) {
            r.release();
        }
        map.close();
    }
}
