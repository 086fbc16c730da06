package io.bpf4j.vm;

/**
 * What compiled code calls besides helpers and {@link Memory}: loads and stores through a
 * region the compiler expects (checked in one subtraction and two comparisons, falling back
 * to {@link Memory}'s full lookup when the address is elsewhere), division with the BPF
 * rules, fault location, tail calls and calls the compiled code cannot make itself. All
 * small and static so that HotSpot inlines them into the generated methods.
 */
final class JitRuntime {
    private static final long MASK32 = 0xffff_ffffL;
    /** The region a pointer hint starts with before its defining instruction ran: every access misses it. */
    static final Region NO_REGION = Region.invalid("no region yet");

    private JitRuntime() {}

    /** Thrown when a legacy packet load falls outside the packet: the kernel ends the program with r0 = 0. */
    static final class Abort extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final Abort INSTANCE = new Abort();

        private Abort() {
            super("legacy packet load out of bounds", null, false, false);
        }
    }

    // ---- memory through an expected region: base is the region's id << 32 ----
    //
    // Whole regions (the accessible range is the whole array: stack frames, map values, input
    // memory, plain contexts) need one check, that the offset is an index of the array: one
    // unsigned comparison of the long offset (an address in another region is far off either
    // way) with a limit that depends only on the array, so HotSpot computes it once per loop.
    // (Casting to int and comparing three times, as before, took twice the instructions per
    // access, and kept HotSpot from unrolling memcpy_words' copy loop.) The packet has a window that moves inside its
    // array (headroom, metadata, adjust_head), checked at both ends. Each method spells its
    // check out: a shared predicate costs HotSpot an inlining level at every access, and
    // measurably more time in the benchmark's byte loops.

    /** {@code r} if it is a whole region, which the {@code load}/{@code store} methods take; else a region no access hits. */
    static Region whole(Region r) {
        return r.start == 0 && r.end == r.bytes.length && r.context == null ? r : NO_REGION;
    }

    static long load8(Region r, long base, long addr, Memory mem) {
        long off = addr - base;
        byte[] b = r.bytes;
        if (Long.compareUnsigned(off, b.length) < 0) {
            return b[(int) off] & 0xffL;
        }
        return mem.load8(addr);
    }

    static long load16(Region r, long base, long addr, Memory mem) {
        long off = addr - base;
        byte[] b = r.bytes;
        if (Long.compareUnsigned(off, Math.max(b.length - 1, 0)) < 0) {
            return Memory.getShort(b, (int) off) & 0xffffL;
        }
        return mem.load16(addr);
    }

    static long load32(Region r, long base, long addr, Memory mem) {
        long off = addr - base;
        byte[] b = r.bytes;
        if (Long.compareUnsigned(off, Math.max(b.length - 3, 0)) < 0) {
            return Memory.getInt(b, (int) off) & MASK32;
        }
        return mem.load32(addr);
    }

    static long load64(Region r, long base, long addr, Memory mem) {
        long off = addr - base;
        byte[] b = r.bytes;
        if (Long.compareUnsigned(off, Math.max(b.length - 7, 0)) < 0) {
            return Memory.getLong(b, (int) off);
        }
        return mem.load64(addr);
    }

    static void store8(Region r, long base, long addr, long value, Memory mem) {
        long off = addr - base;
        byte[] b = r.bytes;
        if (Long.compareUnsigned(off, b.length) < 0 && !r.readOnly) {
            b[(int) off] = (byte) value;
        } else {
            mem.store8(addr, value);
        }
    }

    static void store16(Region r, long base, long addr, long value, Memory mem) {
        long off = addr - base;
        byte[] b = r.bytes;
        if (Long.compareUnsigned(off, Math.max(b.length - 1, 0)) < 0 && !r.readOnly) {
            Memory.putShort(b, (int) off, (short) value);
        } else {
            mem.store16(addr, value);
        }
    }

    static void store32(Region r, long base, long addr, long value, Memory mem) {
        long off = addr - base;
        byte[] b = r.bytes;
        if (Long.compareUnsigned(off, Math.max(b.length - 3, 0)) < 0 && !r.readOnly) {
            Memory.putInt(b, (int) off, (int) value);
        } else {
            mem.store32(addr, value);
        }
    }

    static void store64(Region r, long base, long addr, long value, Memory mem) {
        long off = addr - base;
        byte[] b = r.bytes;
        if (Long.compareUnsigned(off, Math.max(b.length - 7, 0)) < 0 && !r.readOnly) {
            Memory.putLong(b, (int) off, value);
        } else {
            mem.store64(addr, value);
        }
    }

    static long windowLoad8(Region r, long base, long addr, Memory mem) {
        long off = addr - base;
        if (off >= r.start && off < r.end) {
            return r.bytes[(int) off] & 0xffL;
        }
        return mem.load8(addr);
    }

    static long windowLoad16(Region r, long base, long addr, Memory mem) {
        long off = addr - base;
        if (off >= r.start && off <= r.end - 2) {
            return Memory.getShort(r.bytes, (int) off) & 0xffffL;
        }
        return mem.load16(addr);
    }

    static long windowLoad32(Region r, long base, long addr, Memory mem) {
        long off = addr - base;
        if (off >= r.start && off <= r.end - 4) {
            return Memory.getInt(r.bytes, (int) off) & MASK32;
        }
        return mem.load32(addr);
    }

    static long windowLoad64(Region r, long base, long addr, Memory mem) {
        long off = addr - base;
        if (off >= r.start && off <= r.end - 8) {
            return Memory.getLong(r.bytes, (int) off);
        }
        return mem.load64(addr);
    }

    static void windowStore8(Region r, long base, long addr, long value, Memory mem) {
        long off = addr - base;
        if (off >= r.start && off < r.end && !r.readOnly) {
            r.bytes[(int) off] = (byte) value;
        } else {
            mem.store8(addr, value);
        }
    }

    static void windowStore16(Region r, long base, long addr, long value, Memory mem) {
        long off = addr - base;
        if (off >= r.start && off <= r.end - 2 && !r.readOnly) {
            Memory.putShort(r.bytes, (int) off, (short) value);
        } else {
            mem.store16(addr, value);
        }
    }

    static void windowStore32(Region r, long base, long addr, long value, Memory mem) {
        long off = addr - base;
        if (off >= r.start && off <= r.end - 4 && !r.readOnly) {
            Memory.putInt(r.bytes, (int) off, (int) value);
        } else {
            mem.store32(addr, value);
        }
    }

    static void windowStore64(Region r, long base, long addr, long value, Memory mem) {
        long off = addr - base;
        if (off >= r.start && off <= r.end - 8 && !r.readOnly) {
            Memory.putLong(r.bytes, (int) off, value);
        } else {
            mem.store64(addr, value);
        }
    }

    // ---- division and modulo: by zero gives 0, modulo by zero keeps the dividend ----

    static long div64(long a, long b) {
        return b == 0 ? 0 : Long.divideUnsigned(a, b);
    }

    static long sdiv64(long a, long b) {
        return b == 0 ? 0 : a / b;
    }

    static long mod64(long a, long b) {
        return b == 0 ? a : Long.remainderUnsigned(a, b);
    }

    static long smod64(long a, long b) {
        return b == 0 ? a : a % b;
    }

    // ---- faults and frames ----

    /**
     * Locates a fault raised in compiled code at {@code pc}; a fault already located (in a
     * function this one called) keeps its place. Leaves the fuel the frame had, as the
     * interpreter does.
     */
    static VmException locate(VmException e, int pc, Code code, boolean tailCalled, Execution ex, long fuel) {
        if (e.pc() >= 0) {
            return e;
        }
        ex.fuel = Math.max(fuel, 0);
        return e.at(pc, code.describe(pc, tailCalled));
    }

    /** Refuses a bpf-to-bpf call from frame {@code depth} when the callee's frame would be one too many. */
    static void checkCall(int depth) {
        if (depth + 1 >= Memory.MAX_FRAMES) {
            throw Interpreter.tooDeep("call", depth);
        }
    }

    /** Ends the run with r0 = 0 (a legacy packet load outside the packet). */
    static Abort abort(Execution ex, long fuel) {
        ex.fuel = fuel;
        return Abort.INSTANCE;
    }

    /**
     * Goes on with the program {@code target} of a successful bpf_tail_call in frame
     * {@code depth}: compiled when it was compiled, else in the interpreter.
     */
    static long tailCall(Code target, Execution ex, int depth, long r0, long r1, long r2, long r3, long r4, long r5,
            long r6, long r7, long r8, long r9) {
        CompiledCode compiled = target.compiled;
        if (compiled != null) {
            return compiled.tailCall(ex, depth, r0, r1, r2, r3, r4, r5, r6, r7, r8, r9);
        }
        setRegisters(ex, depth, r0, r1, r2, r3, r4, r5, r6, r7, r8, r9);
        return Interpreter.execute(ex, target, 0);
    }

    /**
     * A callx whose target is not a function the compiled code knows: a helper id, an
     * instruction of the program that starts no function (the interpreter runs it in a new
     * frame), or neither, which faults as in the interpreter.
     */
    static long callx(Code code, Execution ex, int depth, int dst, long target, long r0, long r1, long r2, long r3,
            long r4, long r5, long r6, long r7, long r8, long r9) {
        // The caller takes r1..r5 from ex.regs after any call, as the interpreter leaves them.
        setRegisters(ex, depth, r0, r1, r2, r3, r4, r5, r6, r7, r8, r9);
        if (Memory.regionId(target) == Memory.FUNCTIONS && (int) target >= 0 && (int) target < code.insns.length) {
            checkCall(depth);
            ex.regs[10] = Memory.framePointer(depth + 1);
            ex.depth = depth + 1;
            ex.mayGoto[depth + 1] = Interpreter.MAY_GOTO_BUDGET;
            try {
                return Interpreter.execute(ex, code, (int) target);
            } finally {
                ex.depth = depth;
            }
        }
        if (target > 0 && target < Integer.MAX_VALUE && VmHelpers.exists((int) target)
                && target != Interpreter.TAIL_CALL_HELPER) {
            return VmHelpers.call((int) target, ex, r1, r2, r3, r4, r5);
        }
        throw Interpreter.badCallx(dst, target);
    }

    /** Hands the registers to the interpreter, which keeps them in {@code ex.regs}, in frame {@code depth}. */
    private static void setRegisters(Execution ex, int depth, long r0, long r1, long r2, long r3, long r4, long r5,
            long r6, long r7, long r8, long r9) {
        long[] r = ex.regs;
        r[0] = r0;
        r[1] = r1;
        r[2] = r2;
        r[3] = r3;
        r[4] = r4;
        r[5] = r5;
        r[6] = r6;
        r[7] = r7;
        r[8] = r8;
        r[9] = r9;
        r[10] = Memory.framePointer(depth);
        ex.depth = depth;
    }
}
