package io.bpf4j.vm;

import java.util.ArrayDeque;
import java.util.Optional;
import java.util.function.ObjIntConsumer;

/**
 * {@code BPF_MAP_TYPE_PERF_EVENT_ARRAY}: where {@code bpf_perf_event_output} sends
 * samples. In the kernel each slot holds a perf event (one per CPU) that userspace
 * opened; here {@link #open} gives a slot a buffer of a given size. As in the kernel, a
 * program may only write to the slot of the CPU it runs on ({@code EOPNOTSUPP}
 * otherwise), an empty slot is {@code ENOENT}, and a sample that does not fit is lost
 * ({@code ENOSPC}) and counted. Samples arrive padded as perf pads raw samples, to
 * {@code roundUp(size + 4, 8) - 4} bytes.
 *
 * <pre>{@code
 * VmPerfEventArray events = (VmPerfEventArray) vm.createMap(VmMapSpec.of("events", MapType.PERF_EVENT_ARRAY, 4, 4, 1));
 * events.open(0, 64 * 1024);
 * program.testRun(run);
 * events.poll((sample, cpu) -> System.out.println("cpu " + cpu + ": " + sample.length + " bytes"));
 * }</pre>
 */
public final class VmPerfEventArray extends VmMap {
    private static final class Buffer {
        final int capacity;
        final ArrayDeque<byte[]> samples = new ArrayDeque<>();
        int used;
        long lost;

        Buffer(int capacity) {
            this.capacity = capacity;
        }
    }

    private final Buffer[] buffers;

    VmPerfEventArray(Vm vm, VmMapSpec spec) {
        super(vm, check(spec));
        buffers = new Buffer[spec.maxEntries()];
    }

    private static VmMapSpec check(VmMapSpec spec) {
        if (spec.keySize() != 4 || spec.valueSize() != 4 || spec.maxEntries() <= 0) {
            throw invalidSpec(spec, Errno.EINVAL, "needs key size 4, value size 4 and max_entries above 0");
        }
        return spec;
    }

    /** Gives slot {@code index} (normally a CPU number) a buffer of {@code capacityBytes}. */
    public synchronized void open(int index, int capacityBytes) {
        checkOpen("open a buffer of");
        if (index < 0 || index >= buffers.length || capacityBytes <= 0) {
            throw new VmMapException("open a buffer of map '" + name() + "'", Errno.E2BIG,
                    "slot " + index + " is outside 0.." + (buffers.length - 1) + " or the size is not positive");
        }
        buffers[index] = new Buffer(capacityBytes);
    }

    /** Hands every buffered sample with its slot to {@code sink}, slot by slot, oldest first; returns how many. */
    public int poll(ObjIntConsumer<byte[]> sink) {
        checkOpen("poll");
        int n = 0;
        for (int i = 0; i < buffers.length; i++) {
            while (true) {
                byte[] sample;
                synchronized (this) {
                    Buffer b = buffers[i];
                    sample = b == null ? null : b.samples.poll();
                    if (sample != null) {
                        b.used -= sample.length + 8;
                    }
                }
                if (sample == null) {
                    break;
                }
                sink.accept(sample, i);
                n++;
            }
        }
        return n;
    }

    /** Samples dropped because their buffer was full, over all slots. */
    public synchronized long lostSamples() {
        long lost = 0;
        for (Buffer b : buffers) {
            lost += b == null ? 0 : b.lost;
        }
        return lost;
    }

    /** bpf_perf_event_output: 0 or -errno. {@code tail} (may be null) is appended after the data, as packet bytes are. */
    synchronized int output(Execution ex, long flags, byte[] src, int srcOff, int size, byte[] tail) {
        long index = flags & 0xffff_ffffL;
        if (index == 0xffff_ffffL) {
            index = ex.cpu;
        }
        if (index >= buffers.length) {
            return -Errno.E2BIG;
        }
        Buffer b = buffers[(int) index];
        if (b == null) {
            return -Errno.ENOENT;
        }
        if (index != ex.cpu) {
            return -Errno.EOPNOTSUPP;
        }
        int raw = size + (tail == null ? 0 : tail.length);
        int padded = roundUp8(raw + 4) - 4;
        if (b.used + padded + 8 > b.capacity) {
            b.lost++;
            return -Errno.ENOSPC;
        }
        byte[] sample = new byte[padded];
        System.arraycopy(src, srcOff, sample, 0, size);
        if (tail != null) {
            System.arraycopy(tail, 0, sample, size, tail.length);
        }
        b.samples.add(sample);
        b.used += padded + 8;
        return 0;
    }

    @Override
    Optional<byte[]> userLookup(byte[] key) {
        throw failure("lookup in", Errno.ENOTSUPP);
    }

    @Override
    int userUpdate(byte[] key, byte[] value, long flags) {
        return -Errno.EINVAL;
    }

    @Override
    synchronized int userDelete(byte[] key) {
        int index = Memory.getInt(key, 0);
        if (index < 0 || index >= buffers.length) {
            return -Errno.E2BIG;
        }
        if (buffers[index] == null) {
            return -Errno.ENOENT;
        }
        buffers[index] = null;
        return 0;
    }

    @Override
    byte[] userNextKey(byte[] key) {
        return nextIndex(key, maxEntries());
    }
}
