package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.MapType;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Libc;
import io.bpf4j.kernel.sys.Posix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Reads the records BPF programs write into ring buffer maps ({@code BPF_MAP_TYPE_RINGBUF}),
 * as libbpf's {@code ring_buffer__poll} does: the consumer and producer pages are mapped
 * into this process, so records are read in place without a system call each, and
 * {@link #poll} sleeps in epoll until a program wakes it. One reader can serve several ring
 * buffers. One thread polls; any thread may {@link #close()} the reader, which wakes it.
 *
 * <pre>{@code
 * try (RingBufferReader reader = new RingBufferReader()) {
 *     reader.add(events, record -> System.out.println(record.get(ValueLayout.JAVA_INT, 0)));
 *     while (reader.poll(Duration.ofMillis(100)) >= 0) { }   // -1 once closed
 * }
 * }</pre>
 */
public final class RingBufferReader implements AutoCloseable {
    /** The record is being written: stop here until the producer commits it. */
    static final int BUSY = 1 << 31;
    /** The producer discarded the record: skip it. */
    static final int DISCARD = 1 << 30;
    static final int HEADER = 8;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final int MAX_RINGS = 64;

    /**
     * Receives one record. The segment is the record in the ring itself and is valid only
     * during the call: copy what must be kept.
     */
    @FunctionalInterface
    public interface RecordHandler {
        void onRecord(MemorySegment record);
    }

    /** One ring buffer map of the reader. */
    public final class Ring {
        private final String name;
        private final Fd fd;
        /** The mappings as mmap returned them, to unmap after the arena that guards access has closed. */
        private final MemorySegment consumerMapping;
        private final MemorySegment producerMapping;
        private final MemorySegment consumer;
        private final MemorySegment producer;
        private final MemorySegment data;
        private final MemorySegment rawData;
        private final long mask;
        private final RecordHandler handler;

        private Ring(String name, Fd fd, MemorySegment consumerMapping, MemorySegment producerMapping, long size,
                RecordHandler handler) {
            this.name = name;
            this.fd = fd;
            this.consumerMapping = consumerMapping;
            this.producerMapping = producerMapping;
            // Segments of the reader's arena: touching a record after close fails cleanly instead of crashing.
            this.consumer = consumerMapping.reinterpret(arena, null);
            this.producer = producerMapping.reinterpret(arena, null);
            this.data = producer.asSlice(Libc.pageSize());
            this.rawData = producerMapping.asSlice(Libc.pageSize());
            this.mask = size - 1;
            this.handler = handler;
        }

        /** The data area's size in bytes. */
        public long capacity() {
            return mask + 1;
        }

        /** Bytes written by producers and not yet consumed. */
        public long pending() {
            return (long) LONG.getAcquire(producer, 0L) - (long) LONG.getAcquire(consumer, 0L);
        }

        /** Consumes every committed record with the ring's handler; returns how many (discarded ones not counted). */
        public int consume() {
            return consume(Integer.MAX_VALUE, handler);
        }

        /**
         * Consumes up to {@code max} committed records with {@code h} (batch reading); returns
         * how many. Call from the polling thread.
         */
        public int consume(int max, RecordHandler h) {
            return poller.consume(() -> drain(max, h));
        }

        /** Reads up to {@code max} committed records as copies. */
        public List<byte[]> read(int max) {
            List<byte[]> out = new ArrayList<>();
            consume(max, r -> out.add(r.toArray(ValueLayout.JAVA_BYTE)));
            return out;
        }

        private int drainAll() {
            return drain(Integer.MAX_VALUE, handler);
        }

        private int drain(int max, RecordHandler h) {
            // Positions and headers are read through the raw mappings (no arena check per access);
            // the poller keeps them mapped while a drain runs. Records go out arena-scoped.
            long cons = (long) LONG.getAcquire(consumerMapping, 0L);
            long prod = (long) LONG.getAcquire(producerMapping, 0L);
            int count = 0;
            while (count < max) {
                if (cons >= prod) {
                    prod = (long) LONG.getAcquire(producerMapping, 0L);
                    if (cons >= prod) {
                        break;
                    }
                }
                long at = cons & mask;
                int len = (int) INT.getAcquire(rawData, at);
                if ((len & BUSY) != 0) {
                    break;
                }
                int size = len & ~(BUSY | DISCARD);
                if ((len & DISCARD) == 0) {
                    // The data area is mapped twice in a row: a record that wraps is contiguous.
                    h.onRecord(data.asSlice(at + HEADER, size));
                    count++;
                }
                cons += (size + HEADER + 7) & ~7L;
                if ((count & 63) == 0) {
                    LONG.setRelease(consumerMapping, 0L, cons);
                }
            }
            LONG.setRelease(consumerMapping, 0L, cons);
            return count;
        }

        private void unmap() {
            Posix.munmap(consumerMapping);
            Posix.munmap(producerMapping);
            fd.close();
        }

        @Override
        public String toString() {
            return "ring buffer " + name;
        }
    }

    private final List<Ring> rings = new CopyOnWriteArrayList<>();
    private final Arena arena = Arena.ofShared();
    private final Poller poller = new Poller("ring buffer reader", MAX_RINGS, this::release);

    public RingBufferReader() {}

    /**
     * Adds a ring buffer map; {@code handler} receives its records. The reader keeps its own
     * descriptor of the map, so the caller may close theirs.
     */
    public synchronized Ring add(KernelMap map, RecordHandler handler) {
        if (map.type() != MapType.RINGBUF) {
            throw new BpfException("map '" + map.name() + "' (id " + map.id() + ") is a " + map.type().bpftoolName()
                    + " map, not a ringbuf");
        }
        if (rings.size() == MAX_RINGS) {
            throw new BpfException("a ring buffer reader reads at most " + MAX_RINGS + " ring buffers");
        }
        if (poller.isClosed()) {
            throw new IllegalStateException("ring buffer reader is closed");
        }
        int dup = Posix.dup(map.fd());
        if (dup < 0) {
            throw new SystemCallException("hold ring buffer map " + map.id(), "fcntl(F_DUPFD_CLOEXEC)", -dup);
        }
        Fd fd = new Fd(dup);
        long page = Libc.pageSize();
        long size = Integer.toUnsignedLong(map.maxEntries());
        String name = "'" + map.name() + "' (id " + map.id() + ")";
        MemorySegment consumer = Posix.mmap(page, Posix.PROT_READ | Posix.PROT_WRITE, fd.get(), 0);
        if (Posix.mmapFailed(consumer) != 0) {
            fd.close();
            throw new SystemCallException("map the consumer page of ring buffer " + name, "mmap", Posix.mmapFailed(consumer));
        }
        MemorySegment producer = Posix.mmap(page + 2 * size, Posix.PROT_READ, fd.get(), page);
        if (Posix.mmapFailed(producer) != 0) {
            Posix.munmap(consumer);
            fd.close();
            throw new SystemCallException("map the data of ring buffer " + name, "mmap", Posix.mmapFailed(producer));
        }
        Ring ring = new Ring(name, fd, consumer, producer, size, handler);
        try {
            poller.add(fd.get(), rings.size());
        } catch (RuntimeException e) {
            ring.unmap();
            throw e;
        }
        rings.add(ring);
        return ring;
    }

    /** The ring buffers, in the order they were added. */
    public List<Ring> rings() {
        return List.copyOf(rings);
    }

    /**
     * Waits up to {@code timeout} for records, then consumes those of every ring that has
     * some. Returns how many records were handled, 0 when none came, or -1 when the reader
     * is closed (also when it is closed while waiting).
     */
    public int poll(Duration timeout) {
        return poller.poll(timeout, i -> rings.get(i).drainAll());
    }

    /** Consumes what every ring holds now, without waiting; -1 when closed. */
    public int consume() {
        return poller.consume(() -> {
            int total = 0;
            for (Ring r : rings) {
                total += r.drainAll();
            }
            return total;
        });
    }

    /** Closes the reader; a thread in {@link #poll} wakes and returns -1. */
    @Override
    public void close() {
        poller.close();
    }

    private synchronized void release() {
        arena.close();
        for (Ring r : rings) {
            r.unmap();
        }
    }
}
