package io.bpf4j.junit;

/** Where a {@link BpfTest} runs its BPF programs. */
public enum Backend {
    /** bpf4j's userspace VM: anywhere, without privileges; attached programs run when the test fires their hook. */
    VM,
    /** The running kernel: needs BPF (root or CAP_BPF); skipped with the reason where it is not available. */
    KERNEL
}
