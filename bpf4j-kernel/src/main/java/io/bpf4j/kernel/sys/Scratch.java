package io.bpf4j.kernel.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread native memory reused by every bpf(2) call of that thread: the errno capture
 * area, one {@code bpf_attr} and a data area for keys and values. Reuse keeps the hot map
 * operations free of allocation. The memory lives as long as the thread does.
 *
 * <p>Only the innermost operation may use the data area: a method that holds data in it
 * must not call another method that uses it.
 */
public final class Scratch {
    /** Larger than any {@code bpf_attr} member the kernel defines today. */
    private static final int ATTR_CAPACITY = 256;
    private static final ThreadLocal<Scratch> PER_THREAD = ThreadLocal.withInitial(Scratch::new);

    private final Arena arena = Arena.ofAuto();
    private final MemorySegment capture = arena.allocate(Libc.CAPTURE_LAYOUT);
    private final MemorySegment attr = arena.allocate(ATTR_CAPACITY, 8);
    private MemorySegment data = arena.allocate(256, 8);

    private Scratch() {}

    /** The calling thread's scratch memory. */
    public static Scratch get() {
        return PER_THREAD.get();
    }

    MemorySegment capture() {
        return capture;
    }

    /** The attr area, its first {@code size} bytes zeroed, as the kernel wants unused fields. */
    public MemorySegment attr(int size) {
        MemorySegment a = attr.asSlice(0, size);
        a.fill((byte) 0);
        return a;
    }

    /** A data area of at least {@code size} bytes (contents undefined), grown when needed. */
    public MemorySegment data(long size) {
        if (data.byteSize() < size) {
            data = arena.allocate(Math.max(size, data.byteSize() * 2), 8);
        }
        return data;
    }
}
