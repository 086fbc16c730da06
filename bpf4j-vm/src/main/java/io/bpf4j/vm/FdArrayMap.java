package io.bpf4j.vm;

import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import java.util.Optional;

/**
 * The arrays of references: {@code PROG_ARRAY} (targets of {@code bpf_tail_call}) and
 * {@code ARRAY_OF_MAPS}. Userspace stores a file descriptor ({@link VmProgram#fd()},
 * {@link VmMap#fd()}) and reads back the object's id; a slot can be empty ({@code ENOENT})
 * and deleted; only {@code BPF_ANY} is accepted. Programs may only tail-call through a
 * program array and only look up in an array of maps, which yields the inner map.
 */
final class FdArrayMap extends VmMap {
    private final boolean ofMaps;
    private final int[] slots;
    private ProgramType owner;

    FdArrayMap(Vm vm, VmMapSpec spec) {
        super(vm, check(spec));
        ofMaps = spec.type() == MapType.ARRAY_OF_MAPS;
        slots = new int[spec.maxEntries()];
    }

    private static VmMapSpec check(VmMapSpec spec) {
        if (spec.keySize() != 4 || spec.valueSize() != 4 || spec.maxEntries() <= 0) {
            throw invalidSpec(spec, Errno.EINVAL, "needs key size 4, value size 4 and max_entries above 0");
        }
        if (spec.type() == MapType.ARRAY_OF_MAPS) {
            checkInnerTemplate(spec);
        }
        return spec;
    }

    /** A map of maps needs a template inner map that is not itself a map of maps or a program array. */
    static void checkInnerTemplate(VmMapSpec spec) {
        VmMap inner = spec.innerMap();
        if (inner == null) {
            throw invalidSpec(spec, Errno.EINVAL, "a map of maps needs an inner map template");
        }
        MapType t = inner.type();
        if (t == MapType.ARRAY_OF_MAPS || t == MapType.HASH_OF_MAPS || t == MapType.PROG_ARRAY) {
            throw invalidSpec(spec, Errno.EINVAL, "inner maps cannot be of type " + t);
        }
    }

    /** Whether {@code fd} is a map that may go into {@code outer}: the kernel's bpf_map_meta_equal. */
    static int checkInner(VmMap outer, int fd) {
        VmMap inner = outer.vm.map(fd);
        if (inner == null) {
            return -Errno.EBADF;
        }
        VmMap template = outer.spec().innerMap();
        boolean anySize = (template.flags() & F_INNER_MAP) != 0;
        if (inner.type() != template.type() || inner.keySize() != template.keySize()
                || inner.valueSize() != template.valueSize() || inner.flags() != template.flags()
                || !anySize && inner.maxEntries() != template.maxEntries()) {
            return -Errno.EINVAL;
        }
        return 0;
    }

    private int index(byte[] key, int off) {
        int index = Memory.getInt(key, off);
        return Integer.compareUnsigned(index, maxEntries()) < 0 ? index : -1;
    }

    /** The program at {@code index} of a program array, or null. */
    VmProgram program(long index) {
        if (ofMaps || index < 0 || index >= slots.length) {
            return null;
        }
        int fd = slots[(int) index];
        return fd == 0 ? null : vm.program(fd);
    }

    @Override
    long lookup(Execution ex, byte[] keyBuf, int keyOff) {
        int index = index(keyBuf, keyOff);
        if (!ofMaps || index < 0 || slots[index] == 0) {
            return 0;
        }
        VmMap inner = vm.map(slots[index]);
        return inner == null ? 0 : inner.address();
    }

    @Override
    Optional<byte[]> userLookup(byte[] key) {
        int index = index(key, 0);
        if (index < 0 || slots[index] == 0) {
            return Optional.empty();
        }
        byte[] out = new byte[4];
        Memory.putInt(out, 0, slots[index]);
        return Optional.of(out);
    }

    @Override
    synchronized int userUpdate(byte[] key, byte[] value, long flags) {
        if (flags != UPDATE_ANY) {
            return -Errno.EINVAL;
        }
        int index = index(key, 0);
        if (index < 0) {
            return -Errno.E2BIG;
        }
        int fd = Memory.getInt(value, 0);
        if (ofMaps) {
            int err = checkInner(this, fd);
            if (err < 0) {
                return err;
            }
        } else {
            VmProgram program = vm.program(fd);
            if (program == null) {
                return -Errno.EBADF;
            }
            if (owner != null && owner != program.type()) {
                return -Errno.EINVAL;
            }
            owner = program.type();
        }
        slots[index] = fd;
        return 0;
    }

    @Override
    synchronized int userDelete(byte[] key) {
        int index = index(key, 0);
        if (index < 0) {
            return -Errno.E2BIG;
        }
        if (slots[index] == 0) {
            return -Errno.ENOENT;
        }
        slots[index] = 0;
        return 0;
    }

    @Override
    byte[] userNextKey(byte[] key) {
        return nextIndex(key, maxEntries());
    }
}
