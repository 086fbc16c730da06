package io.bpf4j.vm;

import java.util.Objects;

/**
 * Memory outside the VM that {@code bpf_probe_read*} may read: what kernel or user
 * addresses found in a context (a {@code pt_regs} argument, a tracepoint field) point to.
 * The VM's own memory (stack, maps, context, packet) is always readable; anything else is
 * asked here, and an address nobody answers for makes the helper fail with {@code -EFAULT}.
 *
 * <pre>{@code
 * byte[] filename = "/etc/passwd\0".getBytes(StandardCharsets.US_ASCII);
 * Vm vm = Vm.builder().probeMemory(ProbeMemory.of(0x7fff_0000L, filename)).build();
 * }</pre>
 */
@FunctionalInterface
public interface ProbeMemory {
    /** Copies {@code length} bytes at {@code address} into {@code dst}; returns false if any is unreadable. */
    boolean read(long address, byte[] dst, int offset, int length, boolean user);

    /** Nothing is readable. */
    static ProbeMemory none() {
        return (address, dst, offset, length, user) -> false;
    }

    /** {@code bytes} is readable at {@code base}, in both the kernel and the user address space. */
    static ProbeMemory of(long base, byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        byte[] copy = bytes.clone();
        return (address, dst, offset, length, user) -> {
            long from = address - base;
            if (from < 0 || length < 0 || from + length > copy.length) {
                return false;
            }
            System.arraycopy(copy, (int) from, dst, offset, length);
            return true;
        };
    }

    /** This memory, and {@code other} where this has nothing. */
    default ProbeMemory or(ProbeMemory other) {
        return (address, dst, offset, length, user) ->
                read(address, dst, offset, length, user) || other.read(address, dst, offset, length, user);
    }
}
