package io.bpf4j.vm;

/**
 * The state of one program run on one thread: registers, call frames, budgets, the CPU
 * it pretends to run on, the context, and its own memory regions. An execution is
 * reused across the repetitions of a test run; it is never shared between threads.
 */
final class Execution {
    /** Kernel's MAX_TAIL_CALL_CNT. */
    static final int MAX_TAIL_CALLS = 33;
    static final int SCRATCH = Memory.FUNCTIONS + 1;

    final Vm vm;
    final Memory mem;
    final long[] regs = new long[Interpreter.REGISTERS];
    final int[] returnPc = new int[Memory.MAX_FRAMES];
    final Code[] returnCode = new Code[Memory.MAX_FRAMES];
    final long[] saved = new long[Memory.MAX_FRAMES * 4];
    final long[] mayGoto = new long[Memory.MAX_FRAMES];
    /** Registers, may_goto count and entry of the frames of compiled functions split into several methods. */
    /** The registers a compiled callback restores, per frame of its caller. */
    final long[] callbackRegs = new long[Memory.MAX_FRAMES * Interpreter.REGISTERS];
    /** r0..r9 and the may_goto count of each frame of a compiled function split over several methods. */
    final long[] jitFrames = new long[Memory.MAX_FRAMES * JitEmitter.FRAME_SLOTS];
    private final byte[] scratch = new byte[64];
    int depth;
    long fuel;
    long budget;
    int tailCalls;
    int cpu;
    /** The code of the frame that called the current helper. */
    Code code;
    /** The program type's context state (packet and context regions), or null for plain memory runs. */
    ProgramContext context;
    /** Address of the bpf_spin_lock this run holds, or 0. */
    long heldLock;

    Execution(Vm vm) {
        this.vm = vm;
        this.mem = new Memory(this, vm.space);
        mem.setLocal(SCRATCH, Region.data(Region.Kind.STACK, "helper scratch", scratch));
    }

    /** Resets the per-run counters before one run. */
    void prepare(long instructionBudget, int onCpu) {
        mem.refresh();
        budget = instructionBudget;
        fuel = instructionBudget;
        tailCalls = 0;
        cpu = onCpu;
        heldLock = 0;
    }

    /** Instructions executed by the last run. */
    long executed() {
        return budget - fuel;
    }

    long scratchAddress() {
        return Memory.address(SCRATCH, 0);
    }

    void scratchInt(int value) {
        Memory.putInt(scratch, 0, value);
    }

    /**
     * bpf_tail_call: the program at {@code index} of the program array at {@code mapAddress},
     * or null when the index is out of range, the slot is empty or 33 tail calls were made.
     */
    Code tailCall(long mapAddress, long index) {
        VmMap map = mem.region(mapAddress).map;
        if (!(map instanceof FdArrayMap array) || map.type() != io.bpf4j.MapType.PROG_ARRAY || (int) mapAddress != 0) {
            throw VmException.of(VmException.Kind.HELPER_ARGUMENT,
                    "bpf_tail_call: r2 = " + Memory.hex(mapAddress) + " is not a program array");
        }
        VmProgram target = array.program(index & 0xffff_ffffL);
        if (target == null || tailCalls >= MAX_TAIL_CALLS) {
            return null;
        }
        tailCalls++;
        mayGoto[depth] = Interpreter.MAY_GOTO_BUDGET;
        return target.code();
    }

    /**
     * Calls the BPF function at {@code pc} of {@code code} for a helper (bpf_loop and
     * friends) in a new frame with arguments r1..r5; returns its r0. Compiled code runs
     * compiled, else the interpreter runs it.
     */
    long callback(Code code, int pc, long a1, long a2, long a3, long a4, long a5) {
        CompiledCode compiled = code.compiled;
        return compiled != null ? compiled.callback(this, pc, a1, a2, a3, a4, a5)
                : Interpreter.callback(this, code, pc, a1, a2, a3, a4, a5);
    }

    /** A legacy BPF_ABS/BPF_IND load: the big-endian value, or -1 when outside the packet. */
    long loadPacketBigEndian(long offset, int size) {
        if (!(context instanceof SkbContext skb)) {
            throw VmException.of(VmException.Kind.INVALID_PROGRAM, "legacy packet load outside a socket buffer program");
        }
        return skb.loadBigEndian(offset, size);
    }

    /**
     * Reads {@code len} bytes at {@code address} the way bpf_probe_read does: from the
     * VM's own memory when the address is there, else from the memory the caller gave
     * the VM. Returns whether all bytes could be read.
     */
    boolean probeRead(long address, byte[] dst, int off, int len, boolean user) {
        Region r = mem.region(address);
        int at = (int) address;
        if (r.context == null && r.kind != Region.Kind.INVALID && at >= r.start && at <= r.end - len) {
            System.arraycopy(r.bytes, at, dst, off, len);
            return true;
        }
        return vm.probeMemory().read(address, dst, off, len, user);
    }
}
