package io.bpf4j.vm;

import io.bpf4j.BpfProgram;
import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A program loaded into a {@link Vm}. {@link #testRun} follows the kernel's
 * {@code BPF_PROG_TEST_RUN} for the program's type (packet and context in and out,
 * repeat, return value as {@code u32}, average duration); {@link #run(byte[])} runs it
 * the way the bpf_conformance suite does, on plain memory. A program that faults, loops
 * past its instruction budget or calls too deep stops with a {@link VmException}; the VM
 * and the JVM carry on. The VM's {@link Vm.Engine} runs it: compiled to JVM bytecode by
 * default, interpreted when the JIT declines it ({@link #jitFallbackReason}) or the VM was
 * built to interpret.
 *
 * <pre>{@code
 * VmProgram prog = vm.load("drop_icmp", ProgramType.XDP, bytecode);
 * TestRunResult r = prog.testRun(TestRun.ofData(packet).withRepeat(1000));
 * System.out.println("Return value: " + r.returnValue() + ", duration (average): " + r.averageDurationNs() + "ns");
 * }</pre>
 */
public final class VmProgram implements BpfProgram {
    /** BPF_F_TEST_RUN_ON_CPU. */
    private static final int RUN_ON_CPU = 1;

    private final Vm vm;
    private final Code code;
    private final int fd;
    private final AtomicReference<Execution> spare = new AtomicReference<>();
    private final String jitFallbackReason;
    private volatile boolean closed;
    private volatile long lastInstructions;

    VmProgram(Vm vm, Code code, int fd) {
        this.vm = vm;
        this.code = code;
        this.fd = fd;
        String declined = null;
        if (vm.engine() == Vm.Engine.JIT) {
            try {
                code.compiled = Jit.compile(code, vm.space.table(), vm.jitSegmentBytes());
            } catch (JitDeclined e) {
                declined = e.getMessage();
            }
        }
        this.jitFallbackReason = declined;
    }

    @Override
    public String name() {
        return code.name;
    }

    @Override
    public ProgramType type() {
        return code.type;
    }

    /** The VM's file descriptor number of this program: what a program array holds. */
    public int fd() {
        return fd;
    }

    /** Number of instruction slots (a 64-bit immediate load takes two). */
    public int instructionCount() {
        return code.insns.length;
    }

    /** The engine that runs this program: the JIT's, or the interpreter when the VM interprets or the JIT declined. */
    public Vm.Engine engine() {
        return code.compiled != null ? Vm.Engine.JIT : Vm.Engine.INTERPRETER;
    }

    /** Why the JIT declined this program (which the interpreter then runs); empty when it did not. */
    public Optional<String> jitFallbackReason() {
        return Optional.ofNullable(jitFallbackReason);
    }

    /**
     * Instructions the last completed run executed on this program's behalf (callbacks and tail calls included).
     * Compiled code counts only the loops it runs: each jump backwards charges the instructions from its target to
     * itself, which bounds endless loops without a count per instruction.
     */
    public long lastInstructionCount() {
        return lastInstructions;
    }

    Code code() {
        return code;
    }

    @Override
    public TestRunResult testRun(TestRun run) {
        checkOpen();
        if (code.type == ProgramType.UNSPEC) {
            throw VmException.of(VmException.Kind.INVALID_INPUT, "program '" + name()
                    + "' has no program type, so no test-run context; run it on memory instead");
        }
        int cpu = 0;
        if (run.cpu() != 0 || (run.flags() & RUN_ON_CPU) != 0 && BytesContext.handles(code.type)) {
            if ((run.flags() & RUN_ON_CPU) == 0 || run.cpu() >= vm.cpus() || run.cpu() < 0) {
                throw ProgramContext.invalid(this, (run.flags() & RUN_ON_CPU) == 0 ? "EINVAL" : "ENXIO",
                        "CPU " + run.cpu() + " needs BPF_F_TEST_RUN_ON_CPU and must be below the VM's " + vm.cpus());
            }
            cpu = run.cpu();
        }
        Execution ex = acquire();
        try {
            ProgramContext context = ProgramContext.create(this, ex, run);
            ex.context = context;
            long arg = context.argument();
            int repeat = Math.max(1, run.repeat());
            long r0 = 0;
            long start = System.nanoTime();
            for (int i = 0; i < repeat; i++) {
                r0 = runOnce(ex, cpu, arg, 0);
            }
            long average = Math.min((System.nanoTime() - start) / repeat, 0xffff_ffffL);
            return context.result(r0 & 0xffff_ffffL, average);
        } finally {
            release(ex);
        }
    }

    /**
     * Runs the program as the bpf_conformance suite does: r1 points to {@code memory}
     * (0 when it is empty), r2 holds its length; the program may read and write it in
     * place. Returns r0, all 64 bits.
     */
    public long run(byte[] memory) {
        checkOpen();
        Execution ex = acquire();
        try {
            ex.context = null;
            ex.mem.setLocal(Memory.INPUT, Region.data(Region.Kind.MEMORY, "input memory", memory));
            long pointer = memory.length == 0 ? 0 : Memory.address(Memory.INPUT, 0);
            return runOnce(ex, 0, pointer, memory.length);
        } finally {
            ex.mem.setLocal(Memory.INPUT, null);
            release(ex);
        }
    }

    private long runOnce(Execution ex, int cpu, long r1, long r2) {
        ex.prepare(vm.instructionBudget(), cpu);
        ex.code = code;
        try {
            CompiledCode compiled = code.compiled;
            long r0 = compiled != null ? compiled.run(ex, r1, r2) : Interpreter.run(ex, code, r1, r2);
            if (ex.heldLock != 0) {
                throw VmException.of(VmException.Kind.HELPER_ARGUMENT,
                        "program '" + name() + "' exited holding the bpf_spin_lock at " + Memory.hex(ex.heldLock));
            }
            return r0;
        } finally {
            lastInstructions = ex.executed();
            if (ex.heldLock != 0) {
                ex.mem.atomic(ex.heldLock, 4, Op.ATOMIC_XCHG, 0);
                ex.heldLock = 0;
            }
        }
    }

    private Execution acquire() {
        Execution ex = spare.getAndSet(null);
        return ex != null ? ex : new Execution(vm);
    }

    private void release(Execution ex) {
        ex.mem.setLocal(Memory.CONTEXT, null);
        ex.mem.setLocal(Memory.PACKET, null);
        ex.context = null;
        spare.set(ex);
    }

    private void checkOpen() {
        if (closed) {
            throw VmException.of(VmException.Kind.INVALID_INPUT, "program '" + name() + "' is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            vm.forget(this);
        }
    }
}
