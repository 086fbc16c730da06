package io.bpf4j.vm;

import io.bpf4j.MapType;
import java.util.Optional;

/**
 * {@code BPF_MAP_TYPE_ARRAY} and {@code BPF_MAP_TYPE_PERCPU_ARRAY}: preallocated values
 * indexed by a {@code u32} key, each {@code roundUp(valueSize, 8)} bytes apart (per CPU for
 * the per-CPU kind). Elements always exist: delete is {@code EINVAL}, {@code BPF_NOEXIST}
 * is {@code EEXIST}, an index past the end is {@code E2BIG} on update and {@code ENOENT}
 * on lookup. A single-element array also serves global data ({@code .data}, {@code .bss},
 * {@code .rodata}) through direct value addresses.
 */
final class ArrayMap extends VmMap {
    private final boolean perCpu;
    private final int copies;
    private final int stride;
    private final int elementSize;
    private final byte[] values;
    private final long base;

    ArrayMap(Vm vm, VmMapSpec spec) {
        super(vm, check(spec));
        perCpu = spec.type() == MapType.PERCPU_ARRAY;
        copies = perCpu ? vm.cpus() : 1;
        stride = roundUp8(spec.valueSize());
        long size = (long) stride * copies * spec.maxEntries();
        if (size > Integer.MAX_VALUE - 16) {
            throw invalidSpec(spec, Errno.ENOMEM, size + " bytes of values is more than the VM can hold");
        }
        elementSize = stride * copies;
        values = new byte[(int) size];
        base = vm.space.add(new Region(Region.Kind.MAP_VALUES, "values of map '" + spec.name() + "'", values, 0,
                values.length, (spec.flags() & F_RDONLY_PROG) != 0, this, null));
    }

    private static VmMapSpec check(VmMapSpec spec) {
        if (spec.keySize() != 4 || spec.valueSize() <= 0 || spec.maxEntries() <= 0) {
            throw invalidSpec(spec, Errno.EINVAL, "arrays need key size 4, a value size and max_entries above 0");
        }
        return spec;
    }

    /** The whole value storage, for loading initial global data. */
    byte[] storage() {
        return values;
    }

    private int index(byte[] key, int off) {
        int index = Memory.getInt(key, off);
        return Integer.compareUnsigned(index, maxEntries()) < 0 ? index : -1;
    }

    @Override
    long lookup(Execution ex, byte[] keyBuf, int keyOff) {
        int index = index(keyBuf, keyOff);
        return index < 0 ? 0 : base + (long) index * elementSize + (perCpu ? (long) ex.cpu * stride : 0);
    }

    @Override
    long lookupOnCpu(Execution ex, byte[] keyBuf, int keyOff, int cpu) {
        int index = index(keyBuf, keyOff);
        return !perCpu || index < 0 || cpu < 0 || cpu >= copies ? 0 : base + (long) index * elementSize + (long) cpu * stride;
    }

    @Override
    int update(Execution ex, byte[] keyBuf, int keyOff, byte[] valueBuf, int valueOff, long flags) {
        int err = checkUpdate(keyBuf, keyOff, flags);
        if (err < 0) {
            return err;
        }
        int at = index(keyBuf, keyOff) * elementSize + (perCpu ? ex.cpu * stride : 0);
        System.arraycopy(valueBuf, valueOff, values, at, valueSize());
        return 0;
    }

    private int checkUpdate(byte[] key, int keyOff, long flags) {
        if (!validUpdateFlags(flags) || (flags & UPDATE_LOCK) != 0) {
            return -Errno.EINVAL;
        }
        if (index(key, keyOff) < 0) {
            return -Errno.E2BIG;
        }
        return flags == UPDATE_NOEXIST ? -Errno.EEXIST : 0;
    }

    @Override
    int delete(Execution ex, byte[] keyBuf, int keyOff) {
        return -Errno.EINVAL;
    }

    @Override
    long directValueAddress(int offset) {
        return !perCpu && maxEntries() == 1 && offset >= 0 && offset < valueSize() ? base + offset : 0;
    }

    @Override
    void forEach(Execution ex, ElementVisitor visitor) {
        long keyAddress = ex.scratchAddress();
        for (int i = 0; i < maxEntries(); i++) {
            ex.scratchInt(i);
            long value = base + (long) i * elementSize + (perCpu ? (long) ex.cpu * stride : 0);
            if (!visitor.visit(keyAddress, value)) {
                return;
            }
        }
    }

    @Override
    int userValueSize() {
        return perCpu ? elementSize : valueSize();
    }

    @Override
    Optional<byte[]> userLookup(byte[] key) {
        int index = index(key, 0);
        if (index < 0) {
            return Optional.empty();
        }
        byte[] out = new byte[userValueSize()];
        int at = index * elementSize;
        if (perCpu) {
            System.arraycopy(values, at, out, 0, elementSize); // every CPU's copy, padding included, as the kernel copies
        } else {
            System.arraycopy(values, at, out, 0, valueSize());
        }
        return Optional.of(out);
    }

    @Override
    int userUpdate(byte[] key, byte[] value, long flags) {
        int err = checkUpdate(key, 0, flags);
        if (err < 0) {
            return err;
        }
        int at = index(key, 0) * elementSize;
        if (perCpu) {
            System.arraycopy(value, 0, values, at, elementSize);
        } else {
            System.arraycopy(value, 0, values, at, valueSize());
        }
        return 0;
    }

    @Override
    int userDelete(byte[] key) {
        return -Errno.EINVAL;
    }

    @Override
    byte[] userNextKey(byte[] key) {
        return nextIndex(key, maxEntries());
    }
}
