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
 * <h2>For a compiler to JVM bytecode</h2>
 * The runtime is meant to be called from generated code as directly as from the
 * interpreter: loads and stores are the final methods {@code Memory.load8..64} and
 * {@code store8..64} (and the atomics) taking and returning {@code long}s; every helper is
 * a static method {@code long name(Execution, long r1, .., long r5)} of {@code VmHelpers},
 * named after the kernel helper, so a call site becomes one {@code invokestatic} with no
 * boxing; a map reference is already an address when the code is decoded. Faults are
 * {@link io.bpf4j.vm.VmException}s without a location, which the caller locates with
 * {@code at(pc, instruction)}; budgets, call frames and tail-call counts live in
 * {@code Execution}, where generated code can keep them too.
 */
package io.bpf4j.vm;
