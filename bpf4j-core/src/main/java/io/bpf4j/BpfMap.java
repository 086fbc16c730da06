package io.bpf4j;

import java.util.Optional;

/**
 * A live BPF map, in the kernel or in bpf4j's userspace VM: the same operations with the
 * kernel's semantics on both backends, so one test can run against either.
 *
 * <p>Keys and values are raw bytes in the map's C layout. For per-CPU maps a value is
 * the kernel's per-CPU buffer: {@code roundUp(valueSize, 8) * possibleCpus} bytes.
 */
public interface BpfMap extends AutoCloseable {
    /** {@code BPF_ANY}: create or replace. */
    long UPDATE_ANY = 0;
    /** {@code BPF_NOEXIST}: create only. */
    long UPDATE_NOEXIST = 1;
    /** {@code BPF_EXIST}: replace only. */
    long UPDATE_EXIST = 2;
    /** {@code BPF_F_LOCK}: update under the value's bpf_spin_lock. */
    long UPDATE_LOCK = 4;

    String name();

    MapType type();

    int keySize();

    int valueSize();

    int maxEntries();

    int flags();

    /** The value stored under {@code key}, or empty when there is none. */
    Optional<byte[]> lookup(byte[] key);

    /** Stores {@code value} under {@code key}; {@code flags} is one of the UPDATE_ constants. */
    void update(byte[] key, byte[] value, long flags);

    /** Removes {@code key}; returns whether it was present. */
    boolean delete(byte[] key);

    /** The key after {@code key} in the map's order, the first key when {@code key} is null, or empty at the end. */
    Optional<byte[]> nextKey(byte[] key);

    /** Releases the map (its fd, or its userspace storage). Closing twice is harmless. */
    @Override
    void close();
}
