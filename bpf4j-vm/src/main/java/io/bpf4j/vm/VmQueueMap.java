package io.bpf4j.vm;

import io.bpf4j.MapType;
import java.util.Arrays;
import java.util.Optional;

/**
 * {@code BPF_MAP_TYPE_QUEUE} (first in, first out) and {@code BPF_MAP_TYPE_STACK} (last
 * in, first out). Keys are empty; {@link #update} pushes, {@link #lookup} peeks. Pushing
 * onto a full map is {@code E2BIG} unless {@code BPF_EXIST} is given, which drops the
 * oldest element; popping or peeking an empty map is {@code ENOENT}.
 *
 * <pre>{@code
 * VmQueueMap queue = (VmQueueMap) vm.createMap(VmMapSpec.of("q", MapType.QUEUE, 0, 4, 16));
 * queue.push(new byte[] {1, 0, 0, 0}, 0);
 * Optional<byte[]> first = queue.pop();
 * }</pre>
 */
public final class VmQueueMap extends VmMap {
    private final boolean stack;
    private final byte[] slots;
    private final int size;
    private int head;
    private int tail;

    VmQueueMap(Vm vm, VmMapSpec spec) {
        super(vm, check(spec));
        stack = spec.type() == MapType.STACK;
        size = spec.maxEntries() + 1;
        long bytes = (long) size * spec.valueSize();
        if (bytes > Integer.MAX_VALUE - 16) {
            throw invalidSpec(spec, Errno.ENOMEM, "the map needs more memory than the VM can hold");
        }
        slots = new byte[(int) bytes];
    }

    private static VmMapSpec check(VmMapSpec spec) {
        if (spec.keySize() != 0 || spec.valueSize() <= 0 || spec.maxEntries() <= 0) {
            throw invalidSpec(spec, Errno.EINVAL, "queues and stacks need key size 0, a value size and max_entries above 0");
        }
        return spec;
    }

    /** Pushes a value; {@code flags} is 0 or {@link #UPDATE_EXIST} (overwrite the oldest when full). */
    public void push(byte[] value, long flags) {
        checkOpen("push onto");
        if (value.length != valueSize()) {
            throw new VmMapException("push onto map '" + name() + "'", Errno.EINVAL,
                    "value is " + value.length + " bytes, the map's values are " + valueSize());
        }
        int err = push(null, value, 0, flags);
        if (err < 0) {
            throw failure("push onto", -err);
        }
    }

    /** Removes and returns the next value (oldest for a queue, newest for a stack), or empty. */
    public Optional<byte[]> pop() {
        checkOpen("pop from");
        byte[] out = new byte[valueSize()];
        return pop(null, out, 0, true) == 0 ? Optional.of(out) : Optional.empty();
    }

    /** The value {@link #pop} would return, left in place. */
    public Optional<byte[]> peek() {
        checkOpen("peek into");
        byte[] out = new byte[valueSize()];
        return pop(null, out, 0, false) == 0 ? Optional.of(out) : Optional.empty();
    }

    @Override
    synchronized int push(Execution ex, byte[] valueBuf, int valueOff, long flags) {
        if ((flags & ~UPDATE_EXIST) != 0) {
            return -Errno.EINVAL;
        }
        if ((head + 1) % size == tail) {
            if (flags != UPDATE_EXIST) {
                return -Errno.E2BIG;
            }
            tail = (tail + 1) % size;
        }
        System.arraycopy(valueBuf, valueOff, slots, head * valueSize(), valueSize());
        head = (head + 1) % size;
        return 0;
    }

    @Override
    synchronized int pop(Execution ex, byte[] dst, int dstOff, boolean remove) {
        if (head == tail) {
            Arrays.fill(dst, dstOff, dstOff + valueSize(), (byte) 0);
            return -Errno.ENOENT;
        }
        int slot;
        if (stack) {
            slot = (head + size - 1) % size;
            if (remove) {
                head = slot;
            }
        } else {
            slot = tail;
            if (remove) {
                tail = (tail + 1) % size;
            }
        }
        System.arraycopy(slots, slot * valueSize(), dst, dstOff, valueSize());
        return 0;
    }

    @Override
    Optional<byte[]> userLookup(byte[] key) {
        return peek();
    }

    @Override
    int userUpdate(byte[] key, byte[] value, long flags) {
        return push(null, value, 0, flags);
    }

    @Override
    int userDelete(byte[] key) {
        return -Errno.EINVAL;
    }

    @Override
    byte[] userNextKey(byte[] key) {
        throw failure("iterate", Errno.EINVAL);
    }
}
