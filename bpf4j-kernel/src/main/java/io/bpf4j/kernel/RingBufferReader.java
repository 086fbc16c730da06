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
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Reads the records BPF programs write into ring buffer maps ({@code BPF_MAP_TYPE_RINGBUF}),
 * as libbpf's {@code ring_buffer__poll} does: the consumer and producer pages are mapped
 * into this process, so records are read in place without a system call each, and
 * {@link #poll} sleeps in epoll until a program wakes it. One reader can serve several ring
 * buffers. One thread polls; any thread may {@link #close()} the reader, which wakes it.
 *
 * <p>A {@link RecordHandler} gets each record as a segment. A {@link BatchHandler} gets the
 * ready records a batch at a time and indexes them itself: no segment and no call per
 * record, the fastest way to read.
 *
 * <pre>{@code
 * try (RingBufferReader reader = new RingBufferReader()) {
 *     reader.add(events, record -> System.out.println(record.get(ValueLayout.JAVA_INT, 0)));
 *     reader.addBatched(samples, batch -> {
 *         for (int i = 0; i < batch.count(); i++) {
 *             histogram.add(batch.getLong(i, 0));
 *         }
 *     });
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
    /** Records per batch at most: the consumer position goes back to the producer at least this often. */
    static final int BATCH = 1024;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final int MAX_RINGS = 64;

    /**
     * Receives one record. The segment is the record in the ring itself and is valid only
     * during the call: copy what must be kept. If the handler throws, the exception comes out
     * of the poll; that record counts as consumed (as in libbpf), the ones after it stay.
     */
    @FunctionalInterface
    public interface RecordHandler {
        void onRecord(MemorySegment record);
    }

    /** Receives the ready records of a ring a batch at a time; the batch is valid only during the call. */
    @FunctionalInterface
    public interface BatchHandler {
        void onBatch(RecordBatch batch);
    }

    /**
     * Records of one ring, read in place, numbered from 0 to {@link #count()} - 1; the
     * {@code get} methods read a value in native byte order at an offset in a record, checked
     * against its size. The records stay in the ring until the handler returns, then their
     * space goes back to the producer: read or copy them during the call. One instance serves
     * every batch of its ring. If the handler throws, the batch counts as consumed (as libbpf
     * consumes the record whose callback failed), so that a record the handler cannot take is
     * not handed out again and again.
     *
     * <pre>{@code
     * ring.consumeBatch(Integer.MAX_VALUE, batch -> {
     *     for (int i = 0; i < batch.count(); i++) {
     *         handle(batch.getInt(i, 0), batch.getLong(i, 8));
     *     }
     * });
     * }</pre>
     */
    public static final class RecordBatch {
        // The positions and headers are read through the mappings as mmap returned them, without the
        // arena's check on each access: only a drain reads them, and the poller keeps them mapped
        // while one runs. Records go out through the arena-scoped data, which fails cleanly after close.
        private final MemorySegment consumer;
        private final MemorySegment producer;
        private final MemorySegment headers;
        /** The data area, mapped twice in a row so that a record that wraps is contiguous. */
        private final MemorySegment data;
        private final long mask;
        /** Per record of the batch: the offset of its header in {@link #data} (high half) and its size (low half). */
        private final long[] records = new long[BATCH];
        private int count;
        /** The space the last record took, header and padding included: the guess for the next one. */
        private long lastStep = HEADER;

        /**
         * {@code headers} and {@code data} are both the data area (mapped twice in a row), the
         * first as mapped, the second arena-scoped; {@code capacity} is its size, a power of 2.
         */
        RecordBatch(MemorySegment consumer, MemorySegment producer, MemorySegment headers, MemorySegment data,
                long capacity) {
            this.consumer = consumer;
            this.producer = producer;
            this.headers = headers;
            this.data = data;
            this.mask = capacity - 1;
        }

        /** How many records the batch holds. */
        public int count() {
            return count;
        }

        /** The size in bytes of record {@code i}. */
        public int size(int i) {
            return (int) records[Objects.checkIndex(i, count)];
        }

        public byte getByte(int i, long offset) {
            return data.get(ValueLayout.JAVA_BYTE, at(i, offset, 1));
        }

        public short getShort(int i, long offset) {
            return data.get(ValueLayout.JAVA_SHORT_UNALIGNED, at(i, offset, 2));
        }

        public int getInt(int i, long offset) {
            return data.get(ValueLayout.JAVA_INT_UNALIGNED, at(i, offset, 4));
        }

        public long getLong(int i, long offset) {
            return data.get(ValueLayout.JAVA_LONG_UNALIGNED, at(i, offset, 8));
        }

        /** Copies {@code length} bytes at {@code offset} of record {@code i} into {@code dst} at {@code dstOffset}. */
        public void copy(int i, long offset, byte[] dst, int dstOffset, int length) {
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, at(i, offset, length), dst, dstOffset, length);
        }

        /** Record {@code i} as a copy. */
        public byte[] toArray(int i) {
            return segment(i).toArray(ValueLayout.JAVA_BYTE);
        }

        /**
         * Record {@code i} as a segment of the ring: readable until the reader closes, but its
         * bytes are the record's only until the handler returns.
         */
        public MemorySegment segment(int i) {
            long r = records[Objects.checkIndex(i, count)];
            return data.asSlice((r >>> 32) + HEADER, (int) r);
        }

        /** Where {@code length} bytes at {@code offset} of record {@code i} are in {@link #data}. */
        private long at(int i, long offset, int length) {
            long r = records[Objects.checkIndex(i, count)];
            return (r >>> 32) + HEADER + Objects.checkFromIndexSize(offset, length, (int) r);
        }

        /**
         * Hands {@code h} the ready records, up to {@code max} of them, a batch at a time;
         * returns how many. After each batch, the consumer position moves past it.
         */
        int read(int max, BatchHandler h) {
            long position = (long) LONG.getAcquire(consumer, 0L);
            int total = 0;
            while (total < max) {
                long end = collect(position, Math.min(BATCH, max - total));
                if (end == position) {
                    break; // nothing new, or a record still being written
                }
                int n = count;
                try {
                    if (n > 0) {
                        h.onBatch(this);
                    }
                } finally {
                    // Fewer than n when a record handler threw: the records after its record stay.
                    int done = count;
                    count = 0;
                    LONG.setRelease(consumer, 0L, done < n ? endOf(position, done - 1) : end);
                }
                total += n;
                position = end;
            }
            return total;
        }

        /** Ends the batch after record {@code i}: the records after it stay in the ring for the next read. */
        void stopAfter(int i) {
            count = Objects.checkIndex(i, count) + 1;
        }

        /** The position after record {@code i} of a batch that starts at {@code start}. */
        private long endOf(long start, int i) {
            long r = records[i];
            long at = start + (((r >>> 32) - start) & mask);
            return at + ((((int) r) + HEADER + 7) & ~7L);
        }

        /**
         * Notes up to {@code limit} committed records from {@code position} in {@link #records}
         * (skipping discarded ones, stopping at a busy one); returns the position after them.
         */
        private long collect(long position, int limit) {
            long[] out = records;
            long produced = (long) LONG.getAcquire(producer, 0L);
            long pos = position;
            long step = lastStep;
            int n = 0;
            while (n < limit && pos < produced) {
                long off = pos & mask;
                // A plain read: the fence after the loop orders all of them before the records are read.
                // Unaligned only to spare the alignment check: headers are 8-byte aligned.
                int len = headers.get(ValueLayout.JAVA_INT_UNALIGNED, off);
                // Guess that this record is as long as the last one: the processor can then load the
                // next header before this one arrives, instead of one memory access after the other.
                long next = pos + step;
                if ((len & BUSY) != 0) {
                    break;
                }
                int size = len & ~DISCARD;
                long actual = (size + HEADER + 7) & ~7L;
                if (actual != step) {
                    step = actual;
                    next = pos + actual;
                }
                pos = next;
                if ((len & DISCARD) == 0) {
                    out[n++] = off << 32 | size;
                }
            }
            VarHandle.acquireFence();
            lastStep = step;
            count = n;
            return pos;
        }
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
        private final RecordBatch batch;
        private final long capacity;
        private final BatchHandler handler;

        private Ring(String name, Fd fd, MemorySegment consumerMapping, MemorySegment producerMapping, long size,
                BatchHandler handler) {
            this.name = name;
            this.fd = fd;
            this.consumerMapping = consumerMapping;
            this.producerMapping = producerMapping;
            // Segments of the reader's arena: touching a record after close fails cleanly instead of crashing.
            this.consumer = consumerMapping.reinterpret(arena, null);
            this.producer = producerMapping.reinterpret(arena, null);
            this.capacity = size;
            long page = Libc.pageSize();
            this.batch = new RecordBatch(consumerMapping, producerMapping, producerMapping.asSlice(page, 2 * size),
                    producer.asSlice(page, 2 * size), size);
            this.handler = handler;
        }

        /** The data area's size in bytes. */
        public long capacity() {
            return capacity;
        }

        /** Bytes written by producers and not yet consumed. */
        public long pending() {
            return (long) LONG.getAcquire(producer, 0L) - (long) LONG.getAcquire(consumer, 0L);
        }

        /** Consumes every committed record with the ring's handler; returns how many (discarded ones not counted). */
        public int consume() {
            return consumeBatch(Integer.MAX_VALUE, handler);
        }

        /**
         * Consumes up to {@code max} committed records with {@code h}, one call per record;
         * returns how many. Call from the polling thread.
         */
        public int consume(int max, RecordHandler h) {
            return consumeBatch(max, perRecord(h));
        }

        /** Hands up to {@code max} committed records to {@code h} a batch at a time; returns how many. */
        public int consumeBatch(int max, BatchHandler h) {
            return poller.consume(() -> batch.read(max, h));
        }

        /** Reads up to {@code max} committed records as copies. */
        public List<byte[]> read(int max) {
            List<byte[]> out = new ArrayList<>();
            consumeBatch(max, batch -> {
                for (int i = 0; i < batch.count(); i++) {
                    out.add(batch.toArray(i));
                }
            });
            return out;
        }

        private int drainAll() {
            return batch.read(Integer.MAX_VALUE, handler);
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

    /** {@code h} on each record of a batch; if it throws, the records after the one it threw on stay in the ring. */
    static BatchHandler perRecord(RecordHandler h) {
        return batch -> {
            int n = batch.count();
            int i = 0;
            try {
                for (; i < n; i++) {
                    h.onRecord(batch.segment(i));
                }
            } catch (Throwable e) {
                batch.stopAfter(i);
                throw e;
            }
        };
    }

    private final List<Ring> rings = new CopyOnWriteArrayList<>();
    private final Arena arena = Arena.ofShared();
    private final Poller poller = new Poller("ring buffer reader", MAX_RINGS, this::release);

    public RingBufferReader() {}

    /**
     * Adds a ring buffer map; {@code handler} receives its records. The reader keeps its own
     * descriptor of the map, so the caller may close theirs.
     */
    public Ring add(KernelMap map, RecordHandler handler) {
        return addBatched(map, perRecord(handler));
    }

    /** Adds a ring buffer map whose records {@code handler} reads a {@link RecordBatch} at a time. */
    public synchronized Ring addBatched(KernelMap map, BatchHandler handler) {
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
