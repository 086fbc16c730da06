package io.bpf4j.vm;

import io.bpf4j.MapType;
import java.util.Arrays;
import java.util.Optional;

/**
 * The hash maps: {@code HASH}, {@code PERCPU_HASH}, {@code LRU_HASH},
 * {@code LRU_PERCPU_HASH} and {@code HASH_OF_MAPS}. Like the kernel's preallocated hash
 * maps, all {@code max_entries} elements are allocated up front: keys and values live in
 * two slabs, chained through a power-of-two bucket table, so lookups and updates from a
 * program allocate nothing. A new key in a full map is {@code E2BIG}, except in the LRU
 * kinds, which evict the least recently used element (the kernel's LRU is an
 * approximation of this order). Iteration follows bucket order, as the kernel's does.
 */
final class HashTableMap extends VmMap {
    private final boolean perCpu;
    private final boolean lru;
    private final boolean ofMaps;
    private final int copies;
    private final int stride;
    private final int elementSize;
    private final int capacity;
    private final byte[] keys;
    private final byte[] values;
    private final int[] heads;
    private final int[] chain;
    private final int[] hashes;
    private final boolean[] used;
    private final int[] older;
    private final int[] newer;
    private final int mask;
    private final long keysBase;
    private final long valuesBase;
    private int free;
    private int count;
    private int newest = -1;
    private int oldest = -1;

    HashTableMap(Vm vm, VmMapSpec spec) {
        super(vm, check(spec));
        MapType t = spec.type();
        perCpu = t == MapType.PERCPU_HASH || t == MapType.LRU_PERCPU_HASH;
        lru = t == MapType.LRU_HASH || t == MapType.LRU_PERCPU_HASH;
        ofMaps = t == MapType.HASH_OF_MAPS;
        copies = perCpu ? vm.cpus() : 1;
        stride = roundUp8(spec.valueSize());
        elementSize = stride * copies;
        capacity = spec.maxEntries();
        long valueBytes = (long) elementSize * capacity;
        long keyBytes = (long) spec.keySize() * capacity;
        if (valueBytes > Integer.MAX_VALUE - 16 || keyBytes > Integer.MAX_VALUE - 16) {
            throw invalidSpec(spec, Errno.ENOMEM, "the map needs more memory than the VM can hold");
        }
        keys = new byte[(int) keyBytes];
        values = new byte[(int) valueBytes];
        int buckets = Integer.highestOneBit(Math.max(1, capacity - 1)) << 1;
        mask = buckets - 1;
        heads = new int[buckets];
        Arrays.fill(heads, -1);
        chain = new int[capacity];
        hashes = new int[capacity];
        used = new boolean[capacity];
        for (int i = 0; i < capacity; i++) {
            chain[i] = i + 1 < capacity ? i + 1 : -1;
        }
        older = lru ? new int[capacity] : null;
        newer = lru ? new int[capacity] : null;
        keysBase = vm.space.add(new Region(Region.Kind.MAP_VALUES, "keys of map '" + spec.name() + "'", keys, 0,
                keys.length, true, this, null));
        valuesBase = vm.space.add(new Region(Region.Kind.MAP_VALUES, "values of map '" + spec.name() + "'", values, 0,
                values.length, ofMaps || (spec.flags() & F_RDONLY_PROG) != 0, this, null));
    }

    private static VmMapSpec check(VmMapSpec spec) {
        if (spec.keySize() <= 0 || spec.valueSize() <= 0 || spec.maxEntries() <= 0) {
            throw invalidSpec(spec, Errno.EINVAL, "hash maps need key size, value size and max_entries above 0");
        }
        if (spec.keySize() > 512) {
            throw invalidSpec(spec, Errno.E2BIG, "key size " + spec.keySize() + " is above the kernel's 512");
        }
        if (spec.type() == MapType.HASH_OF_MAPS) {
            FdArrayMap.checkInnerTemplate(spec);
        }
        return spec;
    }

    // ---- table ----

    private static int hash(byte[] k, int off, int len) {
        int h = 0x9747b28c ^ len;
        int i = 0;
        for (; i + 4 <= len; i += 4) {
            int v = Memory.getInt(k, off + i) * 0xcc9e2d51;
            h ^= Integer.rotateLeft(v, 15) * 0x1b873593;
            h = Integer.rotateLeft(h, 13) * 5 + 0xe6546b64;
        }
        for (; i < len; i++) {
            h ^= (k[off + i] & 0xff) * 0x9e3779b1;
            h = Integer.rotateLeft(h, 11);
        }
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return h;
    }

    private int find(byte[] key, int off, int h) {
        int ks = keySize();
        for (int s = heads[h & mask]; s >= 0; s = chain[s]) {
            if (hashes[s] == h && Arrays.equals(keys, s * ks, s * ks + ks, key, off, off + ks)) {
                return s;
            }
        }
        return -1;
    }

    private int insert(byte[] key, int off, int h) {
        int s = free;
        free = chain[s];
        int ks = keySize();
        System.arraycopy(key, off, keys, s * ks, ks);
        hashes[s] = h;
        chain[s] = heads[h & mask];
        heads[h & mask] = s;
        used[s] = true;
        count++;
        if (lru) {
            linkNewest(s);
        }
        return s;
    }

    private void remove(int s) {
        int b = hashes[s] & mask;
        if (heads[b] == s) {
            heads[b] = chain[s];
        } else {
            int p = heads[b];
            while (chain[p] != s) {
                p = chain[p];
            }
            chain[p] = chain[s];
        }
        chain[s] = free;
        free = s;
        used[s] = false;
        count--;
        if (lru) {
            unlink(s);
        }
    }

    private void linkNewest(int s) {
        older[s] = newest;
        newer[s] = -1;
        if (newest >= 0) {
            newer[newest] = s;
        }
        newest = s;
        if (oldest < 0) {
            oldest = s;
        }
    }

    private void unlink(int s) {
        if (older[s] >= 0) {
            newer[older[s]] = newer[s];
        } else {
            oldest = newer[s];
        }
        if (newer[s] >= 0) {
            older[newer[s]] = older[s];
        } else {
            newest = older[s];
        }
    }

    private void touch(int s) {
        if (newest != s) {
            unlink(s);
            linkNewest(s);
        }
    }

    private int first() {
        for (int b = 0; b <= mask; b++) {
            if (heads[b] >= 0) {
                return heads[b];
            }
        }
        return -1;
    }

    private int after(int s) {
        if (chain[s] >= 0) {
            return chain[s];
        }
        for (int b = (hashes[s] & mask) + 1; b <= mask; b++) {
            if (heads[b] >= 0) {
                return heads[b];
            }
        }
        return -1;
    }

    /**
     * Stores a value. {@code cpu} is the CPU whose copy a program writes, or -1 for
     * userspace, whose buffer holds every CPU's copy of a per-CPU value.
     */
    private synchronized int put(byte[] key, int keyOff, byte[] value, int valueOff, long flags, int cpu) {
        if (!validUpdateFlags(flags) || (flags & UPDATE_LOCK) != 0) {
            return -Errno.EINVAL;
        }
        int h = hash(key, keyOff, keySize());
        int s = find(key, keyOff, h);
        boolean created = s < 0;
        if (!created && flags == UPDATE_NOEXIST) {
            return -Errno.EEXIST;
        }
        if (created) {
            if (flags == UPDATE_EXIST) {
                return -Errno.ENOENT;
            }
            if (count == capacity) {
                if (!lru) {
                    return -Errno.E2BIG;
                }
                remove(oldest);
            }
            s = insert(key, keyOff, h);
        } else if (lru) {
            touch(s);
        }
        int at = s * elementSize;
        int vs = valueSize();
        if (cpu < 0) {
            // Userspace writes every CPU's copy of a per-CPU value whole, padding included, as the kernel does.
            System.arraycopy(value, valueOff, values, at, perCpu ? elementSize : vs);
        } else {
            if (created && perCpu) {
                Arrays.fill(values, at, at + elementSize, (byte) 0);
            }
            System.arraycopy(value, valueOff, values, at + (perCpu ? cpu * stride : 0), vs);
        }
        return 0;
    }

    // ---- program side ----

    @Override
    synchronized long lookup(Execution ex, byte[] keyBuf, int keyOff) {
        int s = find(keyBuf, keyOff, hash(keyBuf, keyOff, keySize()));
        if (s < 0) {
            return 0;
        }
        if (lru) {
            touch(s);
        }
        if (ofMaps) {
            VmMap inner = vm.map(Memory.getInt(values, s * elementSize));
            return inner == null ? 0 : inner.address();
        }
        return valuesBase + (long) s * elementSize + (perCpu ? (long) ex.cpu * stride : 0);
    }

    @Override
    synchronized long lookupOnCpu(Execution ex, byte[] keyBuf, int keyOff, int cpu) {
        int s = find(keyBuf, keyOff, hash(keyBuf, keyOff, keySize()));
        return !perCpu || s < 0 || cpu < 0 || cpu >= copies ? 0 : valuesBase + (long) s * elementSize + (long) cpu * stride;
    }

    @Override
    int update(Execution ex, byte[] keyBuf, int keyOff, byte[] valueBuf, int valueOff, long flags) {
        return ofMaps ? -Errno.EINVAL : put(keyBuf, keyOff, valueBuf, valueOff, flags, ex.cpu);
    }

    @Override
    synchronized int delete(Execution ex, byte[] keyBuf, int keyOff) {
        int s = find(keyBuf, keyOff, hash(keyBuf, keyOff, keySize()));
        if (s < 0) {
            return -Errno.ENOENT;
        }
        remove(s);
        return 0;
    }

    @Override
    synchronized void forEach(Execution ex, ElementVisitor visitor) {
        if (ofMaps) {
            super.forEach(ex, visitor);
        }
        int[] slots = new int[count];
        int n = 0;
        for (int s = first(); s >= 0; s = after(s)) {
            slots[n++] = s;
        }
        for (int i = 0; i < n; i++) {
            int s = slots[i];
            if (!used[s]) {
                continue; // deleted by an earlier callback
            }
            long value = valuesBase + (long) s * elementSize + (perCpu ? (long) ex.cpu * stride : 0);
            if (!visitor.visit(keysBase + (long) s * keySize(), value)) {
                return;
            }
        }
    }

    // ---- user side ----

    @Override
    int userValueSize() {
        return perCpu ? elementSize : valueSize();
    }

    @Override
    synchronized Optional<byte[]> userLookup(byte[] key) {
        int s = find(key, 0, hash(key, 0, keySize()));
        if (s < 0) {
            return Optional.empty();
        }
        byte[] out = new byte[userValueSize()];
        System.arraycopy(values, s * elementSize, out, 0, out.length);
        return Optional.of(out);
    }

    @Override
    int userUpdate(byte[] key, byte[] value, long flags) {
        if (ofMaps) {
            int err = FdArrayMap.checkInner(this, Memory.getInt(value, 0));
            if (err < 0) {
                return err;
            }
        }
        return put(key, 0, value, 0, flags, -1);
    }

    @Override
    int userDelete(byte[] key) {
        return delete(null, key, 0);
    }

    @Override
    synchronized byte[] userNextKey(byte[] key) {
        int s = -1;
        if (key != null) {
            s = find(key, 0, hash(key, 0, keySize()));
        }
        int next = s < 0 ? first() : after(s);
        if (next < 0) {
            return null;
        }
        int ks = keySize();
        return Arrays.copyOfRange(keys, next * ks, next * ks + ks);
    }
}
