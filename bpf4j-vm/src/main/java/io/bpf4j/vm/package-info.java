/**
 * bpf4j's userspace eBPF virtual machine: runs BPF programs with the kernel's semantics
 * on any OS, without privileges.
 *
 * <p>Public: {@link io.bpf4j.vm.Vm} (the machine and its settings), {@link io.bpf4j.vm.VmProgram}
 * (test runs with the {@code BPF_PROG_TEST_RUN} contract), {@link io.bpf4j.vm.VmMap} and the
 * maps with extra operations ({@link io.bpf4j.vm.VmRingBuffer}, {@link io.bpf4j.vm.VmPerfEventArray},
 * {@link io.bpf4j.vm.VmQueueMap}), {@link io.bpf4j.vm.VmObject} (a loaded object file), and the
 * exceptions {@link io.bpf4j.vm.VmException} and {@link io.bpf4j.vm.VmMapException}.
 *
 * <h2>How it runs a program</h2>
 * {@code Decoder} checks the instructions with the ISA's strict decoder and packs each into
 * one {@code long} ({@code Op}); {@code Interpreter} runs them with one switch, registers in
 * a {@code long[]}, nothing allocated per instruction. Every address is
 * {@code (regionId << 32) + offset}: {@code Memory} turns it into a {@code Region} (a
 * {@code byte[]} and its valid range) with a shift and an array index, and checks the access
 * against the range. Stack frames, context and packet are regions of the one
 * {@code Execution}; map values, map handles and ring buffers are regions of the whole VM
 * ({@code AddressSpace}). Contexts whose fields stand for pointers ({@code xdp_md},
 * {@code __sk_buff}) translate their loads in {@code ContextAccess}.
 *
 * <h2>The JIT</h2>
 * {@code Jit} compiles a decoded program to a hidden class when it loads (unless the VM's
 * {@link io.bpf4j.vm.Vm.Engine} is the interpreter): {@code JitPlan} finds its functions and
 * splits those too big for one compiled JVM method into segments, {@code JitHints} guesses
 * which region each load and store reaches, {@code JitEmitter} writes one static method per
 * function with {@code java.lang.classfile}. The generated code calls the runtime directly:
 * loads and stores through {@code JitRuntime}'s region checks (falling back to
 * {@code Memory.load8..64} and {@code store8..64}), every helper as the static method
 * {@code long name(Execution, long r1, .., long r5)} of {@code VmHelpers} named after the
 * kernel helper (one {@code invokestatic}, no boxing), map references already addresses.
 * Faults are {@link io.bpf4j.vm.VmException}s without a location, which the generated
 * code's handler locates with {@code at(pc, instruction)} from the pc it keeps in a local;
 * budgets, call frames and tail-call counts live in {@code Execution}, shared with the
 * interpreter, so that the two call each other (tail calls, callbacks, callx) mid-run.
 */
package io.bpf4j.vm;
