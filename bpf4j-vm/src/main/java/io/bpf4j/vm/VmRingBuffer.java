package io.bpf4j.vm;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code BPF_MAP_TYPE_RINGBUF}: the kernel's ring buffer, with its record format (an
 * 8-byte header: length with busy and discard bits, page offset), its capacity rules
 * (a power-of-two multiple of 4096 bytes) and its failure modes ({@code NULL} from
 * reserve, {@code -EAGAIN} from output, when the consumer lags by the whole ring).
 * Programs write records in place; {@link #poll} hands committed records to Java.
 *
 * <pre>{@code
 * VmRingBuffer events = (VmRingBuffer) vm.createMap(VmMapSpec.of("events", MapType.RINGBUF, 0, 0, 4096));
 * program.testRun(run);
 * events.poll(record -> System.out.println(record.length + " bytes"));
 * }</pre>
 */
public final class VmRingBuffer extends VmMap {
    static final int HEADER = 8;
    static final int BUSY = 1 << 31;
    static final int DISCARD = 1 << 30;
    static final int RB_NO_WAKEUP = 1;
    static final int RB_FORCE_WAKEUP = 2;

    private final int capacity;
    private final int mask;
    /** The data area twice over: a record that wraps stays contiguous for the program and is folded back on commit. */
    private final byte[] data;
    private final long base;
    private long producer;
    private long consumer;

    VmRingBuffer(Vm vm, VmMapSpec spec) {
        super(vm, check(spec));
        capacity = spec.maxEntries();
        mask = capacity - 1;
        data = new byte[capacity * 2];
        base = vm.space.add(new Region(Region.Kind.RINGBUF_DATA, "ring buffer '" + spec.name() + "'", data, 0,
                data.length, false, this, null));
    }

    private static VmMapSpec check(VmMapSpec spec) {
        int size = spec.maxEntries();
        if (spec.keySize() != 0 || spec.valueSize() != 0 || spec.flags() != 0) {
            throw invalidSpec(spec, Errno.EINVAL, "ring buffers need key size 0, value size 0 and no flags");
        }
        if (size <= 0 || Integer.bitCount(size) != 1 || size % 4096 != 0 || size > (1 << 29)) {
            throw invalidSpec(spec, Errno.EINVAL, "max_entries " + size
                    + " is not a power of 2 multiple of the 4096-byte page size");
        }
        return spec;
    }

    /** Hands each committed record, oldest first, to {@code consumer}; skips discarded ones. Returns how many it handed. */
    public int poll(Consumer<byte[]> sink) {
        checkOpen("poll");
        int n = 0;
        while (true) {
            byte[] record;
            synchronized (this) {
                if (consumer == producer) {
                    return n;
                }
                int at = (int) (consumer & mask);
                int len = Memory.getInt(data, at);
                if ((len & BUSY) != 0) {
                    return n;
                }
                int size = len & ~(BUSY | DISCARD);
                consumer += roundUp8(size + HEADER);
                if ((len & DISCARD) != 0) {
                    continue;
                }
                record = new byte[size];
                int from = at + HEADER;
                for (int i = 0; i < size; i++) {
                    record[i] = data[(from + i) & mask];
                }
            }
            sink.accept(record);
            n++;
        }
    }

    /** Bytes between the consumer and the producer: committed, busy and discarded records. */
    public synchronized long available() {
        return producer - consumer;
    }

    /** bpf_ringbuf_reserve: the address of room for {@code size} bytes, or 0. */
    synchronized long reserve(long size, long flags) {
        if (flags != 0 || size < 0 || size > capacity) {
            return 0;
        }
        int len = roundUp8((int) size + HEADER);
        if (len > capacity || producer + len - consumer > capacity) {
            return 0;
        }
        int at = (int) (producer & mask);
        Memory.putInt(data, at, (int) size | BUSY);
        Memory.putInt(data, at + 4, at / 4096);
        producer += len;
        return base + at + HEADER;
    }

    /** bpf_ringbuf_submit / bpf_ringbuf_discard of a record at {@code address}. */
    synchronized void commit(long address, boolean discard) {
        int at = (int) (address - base) - HEADER;
        int len = at >= 0 && at < capacity ? Memory.getInt(data, at) : 0;
        if ((len & BUSY) == 0) {
            throw VmException.memory(address, "ring buffer record " + Memory.hex(address)
                    + " is not a reserved, uncommitted record of '" + name() + "'");
        }
        int size = len & ~(BUSY | DISCARD);
        int end = at + HEADER + size;
        if (end > capacity) {
            System.arraycopy(data, capacity, data, 0, end - capacity);
        }
        Memory.putInt(data, at, size | (discard ? DISCARD : 0));
    }

    /** bpf_ringbuf_output: copies a record in; 0 or -EAGAIN when there is no room. */
    int output(byte[] src, int srcOff, int size, long flags) {
        if ((flags & ~(long) (RB_NO_WAKEUP | RB_FORCE_WAKEUP)) != 0) {
            return -Errno.EINVAL;
        }
        long address = reserve(size, 0);
        if (address == 0) {
            return -Errno.EAGAIN;
        }
        System.arraycopy(src, srcOff, data, (int) (address - base), size);
        commit(address, false);
        return 0;
    }

    /** bpf_ringbuf_query. */
    synchronized long query(long flags) {
        return switch ((int) flags) {
            case 0 -> producer - consumer;
            case 1 -> capacity;
            case 2 -> consumer;
            case 3 -> producer;
            default -> 0;
        };
    }

    @Override
    Optional<byte[]> userLookup(byte[] key) {
        throw failure("lookup in", Errno.ENOTSUPP);
    }

    @Override
    int userUpdate(byte[] key, byte[] value, long flags) {
        return -Errno.ENOTSUPP;
    }

    @Override
    int userDelete(byte[] key) {
        return -Errno.ENOTSUPP;
    }

    @Override
    byte[] userNextKey(byte[] key) {
        throw failure("iterate", Errno.ENOTSUPP);
    }
}
