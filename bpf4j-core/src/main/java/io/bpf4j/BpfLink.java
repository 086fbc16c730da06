package io.bpf4j;

/**
 * A program attached to a hook by a {@link BpfCollection}: a kernel link, or an attachment
 * to one of the VM's simulated hooks. Closing it detaches the program.
 *
 * <pre>{@code
 * try (BpfLink link = collection.attach("handle_exec", "")) {
 *     System.out.println(link.program() + " on " + link.hook());
 * }
 * }</pre>
 */
public interface BpfLink extends AutoCloseable {
    /** The attached program's name. */
    String program();

    /** The hook it is attached to: its section ({@code tracepoint/sched/sched_switch}) or {@code xdp/DEVICE}. */
    String hook();

    /** Detaches the program. Closing twice is harmless. */
    @Override
    void close();
}
