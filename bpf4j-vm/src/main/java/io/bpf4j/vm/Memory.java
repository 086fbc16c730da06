package io.bpf4j.vm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The memory one execution sees, and every load and store a program makes.
 *
 * <p>A BPF address is a 64-bit number {@code (regionId << 32) + offset}. Pointer
 * arithmetic, comparison and subtraction within a region work on these numbers as they
 * do on kernel addresses; an access translates the address with one shift and one array
 * index, then checks it against the region's bounds. Region 0 is never valid, so NULL
 * and small integers used as pointers fault. Ids below {@link #LOCAL_REGIONS} are this
 * execution's own (stack frames, context, packet, input memory); the others are the
 * VM's shared regions (maps).
 *
 * <p>The access methods are small and final so that the interpreter, and later generated
 * code, can call them directly; only faults and translated context fields leave the fast
 * path.
 */
final class Memory {
    static final int LOCAL_REGIONS = 16;
    /** Kernel's MAX_CALL_FRAMES: the main program and up to 7 nested calls. */
    static final int MAX_FRAMES = 8;
    static final int STACK_SIZE = 512;
    static final int FIRST_STACK = 1;
    static final int CONTEXT = FIRST_STACK + MAX_FRAMES;
    static final int PACKET = CONTEXT + 1;
    static final int INPUT = PACKET + 1;
    /** Pseudo region whose offsets are instruction indexes: the value of a callback function pointer. */
    static final int FUNCTIONS = INPUT + 1;

    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final Region NULL_REGION = Region.invalid("no region (NULL or not a pointer)");
    private static final Region UNUSED = Region.invalid("no region (not a pointer of this run)");

    private final Execution exec;
    private final AddressSpace space;
    private final Region[] locals = new Region[LOCAL_REGIONS];
    private Region[] source;
    Region[] table;

    Memory(Execution exec, AddressSpace space) {
        this.exec = exec;
        this.space = space;
        java.util.Arrays.fill(locals, UNUSED);
        locals[0] = NULL_REGION;
        for (int i = 0; i < MAX_FRAMES; i++) {
            locals[FIRST_STACK + i] = Region.data(Region.Kind.STACK, "stack frame " + i, new byte[STACK_SIZE]);
        }
        locals[FUNCTIONS] = Region.invalid("a function pointer");
        refresh();
    }

    static long address(int regionId, int offset) {
        return ((long) regionId << 32) + offset;
    }

    static int regionId(long address) {
        return (int) (address >>> 32);
    }

    /** The frame pointer (r10) of call frame {@code depth}: the top of its stack. */
    static long framePointer(int depth) {
        return address(FIRST_STACK + depth, STACK_SIZE);
    }

    /** Picks up maps created since the last run. */
    void refresh() {
        Region[] current = space.table();
        if (current != source) {
            Region[] t = current.clone();
            System.arraycopy(locals, 0, t, 0, LOCAL_REGIONS);
            source = current;
            table = t;
        }
    }

    /** Installs one of this execution's own regions. */
    void setLocal(int id, Region region) {
        locals[id] = region == null ? UNUSED : region;
        table[id] = locals[id];
    }

    Region local(int id) {
        return locals[id];
    }

    /** The region of an address; small enough for the JVM to inline everywhere. */
    Region region(long addr) {
        long id = addr >>> 32;
        Region[] t = table;
        return id < t.length ? t[(int) id] : newRegion(id);
    }

    /** A region created after this execution's table was copied (an inner map inserted meanwhile), or none. */
    private Region newRegion(long id) {
        refresh();
        return id < table.length ? table[(int) id] : UNUSED;
    }

    // ---- loads: zero-extended, as BPF_LDX does ----

    long load8(long addr) {
        Region r = region(addr);
        int off = (int) addr;
        if (off >= r.start && off < r.end) {
            return r.bytes[off] & 0xffL;
        }
        return slowLoad(addr, 1);
    }

    long load16(long addr) {
        Region r = region(addr);
        int off = (int) addr;
        if (off >= r.start && off <= r.end - 2) {
            return (short) I16.get(r.bytes, off) & 0xffffL;
        }
        return slowLoad(addr, 2);
    }

    long load32(long addr) {
        Region r = region(addr);
        int off = (int) addr;
        if (off >= r.start && off <= r.end - 4) {
            return (int) I32.get(r.bytes, off) & 0xffff_ffffL;
        }
        return slowLoad(addr, 4);
    }

    long load64(long addr) {
        Region r = region(addr);
        int off = (int) addr;
        if (off >= r.start && off <= r.end - 8) {
            return (long) I64.get(r.bytes, off);
        }
        return slowLoad(addr, 8);
    }

    private long slowLoad(long addr, int size) {
        Region r = region(addr);
        if (r.context != null) {
            return r.context.load(exec, (int) addr, size);
        }
        throw fault(addr, size, r, "read");
    }

    // ---- stores: the low `size` bytes of value ----

    void store8(long addr, long value) {
        Region r = region(addr);
        int off = (int) addr;
        if (!r.readOnly && off >= r.start && off < r.end) {
            r.bytes[off] = (byte) value;
            return;
        }
        slowStore(addr, 1, value);
    }

    void store16(long addr, long value) {
        Region r = region(addr);
        int off = (int) addr;
        if (!r.readOnly && off >= r.start && off <= r.end - 2) {
            I16.set(r.bytes, off, (short) value);
            return;
        }
        slowStore(addr, 2, value);
    }

    void store32(long addr, long value) {
        Region r = region(addr);
        int off = (int) addr;
        if (!r.readOnly && off >= r.start && off <= r.end - 4) {
            I32.set(r.bytes, off, (int) value);
            return;
        }
        slowStore(addr, 4, value);
    }

    void store64(long addr, long value) {
        Region r = region(addr);
        int off = (int) addr;
        if (!r.readOnly && off >= r.start && off <= r.end - 8) {
            I64.set(r.bytes, off, value);
            return;
        }
        slowStore(addr, 8, value);
    }

    private void slowStore(long addr, int size, long value) {
        Region r = region(addr);
        if (r.context != null) {
            r.context.store(exec, (int) addr, size, value);
            return;
        }
        throw fault(addr, size, r, r.readOnly && r.kind != Region.Kind.INVALID ? "write to read-only" : "write");
    }

    // ---- atomics (BPF_STX | BPF_ATOMIC) ----

    /**
     * Atomic operation {@code op} (BPF_ADD, BPF_OR, BPF_AND, BPF_XOR, BPF_XCHG; fetch bit
     * ignored) on an aligned 4- or 8-byte word; returns the old value (zero-extended for
     * 4 bytes). Java has no atomic access to a byte[]'s words, so the atomics of one
     * region serialise on the region; plain loads and stores stay unsynchronised, as in
     * the kernel.
     */
    long atomic(long addr, int size, int op, long operand) {
        Region r = writable(addr, size, "atomic");
        int off = (int) addr;
        synchronized (r) {
            long old = size == 8 ? (long) I64.get(r.bytes, off) : (int) I32.get(r.bytes, off) & 0xffff_ffffL;
            long value = switch (op) {
                case Op.ATOMIC_ADD -> old + operand;
                case Op.ATOMIC_OR -> old | operand;
                case Op.ATOMIC_AND -> old & operand;
                case Op.ATOMIC_XOR -> old ^ operand;
                default -> operand;
            };
            put(r, off, size, value);
            return old;
        }
    }

    /** Compare-and-exchange: stores {@code replacement} if the word equals {@code expected}; returns the old value. */
    long compareExchange(long addr, int size, long expected, long replacement) {
        Region r = writable(addr, size, "atomic");
        int off = (int) addr;
        synchronized (r) {
            long old = size == 8 ? (long) I64.get(r.bytes, off) : (int) I32.get(r.bytes, off) & 0xffff_ffffL;
            if (size == 8 ? old == expected : (int) old == (int) expected) {
                put(r, off, size, replacement);
            }
            return old;
        }
    }

    /** Load-acquire of 1, 2, 4 or 8 bytes, zero-extended. */
    long loadAcquire(long addr, int size) {
        Region r = accessible(addr, size, "load-acquire");
        int off = (int) addr;
        long v = switch (size) {
            case 1 -> r.bytes[off] & 0xffL;
            case 2 -> (short) I16.get(r.bytes, off) & 0xffffL;
            case 4 -> (int) I32.get(r.bytes, off) & 0xffff_ffffL;
            default -> (long) I64.get(r.bytes, off);
        };
        VarHandle.acquireFence();
        return v;
    }

    /** Store-release of the low {@code size} bytes of value. */
    void storeRelease(long addr, int size, long value) {
        Region r = writable(addr, size, "store-release");
        VarHandle.releaseFence();
        put(r, (int) addr, size, value);
    }

    private static void put(Region r, int off, int size, long value) {
        switch (size) {
            case 1 -> r.bytes[off] = (byte) value;
            case 2 -> I16.set(r.bytes, off, (short) value);
            case 4 -> I32.set(r.bytes, off, (int) value);
            default -> I64.set(r.bytes, off, value);
        }
    }

    private Region accessible(long addr, int size, String what) {
        Region r = region(addr);
        int off = (int) addr;
        if (r.context != null || off < r.start || off > r.end - size) {
            throw fault(addr, size, r, what);
        }
        if ((off & (size - 1)) != 0) {
            throw VmException.memory(addr, "misaligned " + what + " of " + size + " bytes at " + hex(addr));
        }
        return r;
    }

    private Region writable(long addr, int size, String what) {
        Region r = accessible(addr, size, what);
        if (r.readOnly) {
            throw fault(addr, size, r, what + " on read-only");
        }
        return r;
    }

    // ---- helpers' view of memory: a checked (array, offset) range ----

    /** The region holding {@code [addr, addr + size)}, checked for reading; the offset is {@code (int) addr}. */
    Region readable(long addr, int size) {
        Region r = region(addr);
        int off = (int) addr;
        if (size < 0 || r.context != null || off < r.start || off > r.end - size) {
            throw fault(addr, size, r, "helper read");
        }
        return r;
    }

    /** The region holding {@code [addr, addr + size)}, checked for writing; the offset is {@code (int) addr}. */
    Region writableRange(long addr, int size) {
        Region r = region(addr);
        int off = (int) addr;
        if (size < 0 || r.readOnly || r.context != null || off < r.start || off > r.end - size) {
            throw fault(addr, size, r, r.readOnly ? "helper write to read-only" : "helper write");
        }
        return r;
    }

    /** Copies {@code size} bytes from BPF memory into a new array. */
    byte[] copyOut(long addr, int size) {
        Region r = readable(addr, size);
        byte[] out = new byte[size];
        System.arraycopy(r.bytes, (int) addr, out, 0, size);
        return out;
    }

    private VmException fault(long addr, int size, Region r, String what) {
        String access = what + " of " + size + " byte" + (size == 1 ? "" : "s") + " at " + hex(addr);
        if (r.kind == Region.Kind.INVALID && (int) addr < 0) {
            // Just below a region: the address borrowed from the region id (e.g. r10 - 520).
            Region above = region(addr + (1L << 32));
            if (above.kind != Region.Kind.INVALID) {
                return VmException.memory(addr, access + " is " + (-(int) addr) + " bytes below the start of "
                        + above.describe());
            }
        }
        return VmException.memory(addr, access + (r.kind == Region.Kind.INVALID ? ": " : " is outside ") + r.describe());
    }

    static String hex(long addr) {
        return "0x" + Long.toHexString(addr);
    }

    static int getInt(byte[] b, int off) {
        return (int) I32.get(b, off);
    }

    static long getLong(byte[] b, int off) {
        return (long) I64.get(b, off);
    }

    static void putInt(byte[] b, int off, int v) {
        I32.set(b, off, v);
    }

    static void putLong(byte[] b, int off, long v) {
        I64.set(b, off, v);
    }

    static short getShort(byte[] b, int off) {
        return (short) I16.get(b, off);
    }

    static void putShort(byte[] b, int off, short v) {
        I16.set(b, off, v);
    }
}
