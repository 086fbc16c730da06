package io.bpf4j.vm;

/**
 * Loads and stores on a program context whose fields are not plain memory: the kernel
 * rewrites such accesses (e.g. {@code xdp_md->data}, a {@code __u32} that yields a 64-bit
 * packet pointer), and so does the VM, at run time. Implementations throw
 * {@link VmException} for an access the kernel's verifier would refuse.
 */
interface ContextAccess {
    long load(Execution ex, int offset, int size);

    void store(Execution ex, int offset, int size, long value);
}
