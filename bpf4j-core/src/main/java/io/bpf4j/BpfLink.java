package io.bpf4j;

import io.bpf4j.object.ProgramSpec;

/**
 * A program attached to a hook by a {@link BpfCollection}: a kernel link, or an attachment
 * to one of the VM's simulated hooks. Closing it detaches the program.
 *
 * <pre>{@code
 * try (BpfLink link = collection.attach("handle_exec", "")) {
 *     System.out.println(link.program() + " on " + link.hook());   // handle_exec on tracepoint/syscalls/sys_enter_execve
 * }
 * }</pre>
 */
public interface BpfLink extends AutoCloseable {
    /** The attached program's name. */
    String program();

    /** The hook it is attached to, as {@link #hook(ProgramSpec, String)} names it. */
    String hook();

    /** Detaches the program. Closing twice is harmless. */
    @Override
    void close();

    /**
     * Whether a program's section alone names its hook, as libbpf's auto-attach has it:
     * kprobes, uprobes and USDT with their target, tracepoints, raw tracepoints, fentry/fexit
     * and LSM. XDP, tc, cgroup and socket programs need a target; iterators are read, not attached.
     */
    static boolean attachesBySection(ProgramSpec p) {
        boolean hookType = switch (p.type()) {
            case KPROBE, TRACEPOINT, RAW_TRACEPOINT, RAW_TRACEPOINT_WRITABLE -> true;
            case TRACING -> p.attachType() != AttachType.TRACE_ITER;
            case LSM -> p.attachType() != AttachType.LSM_CGROUP;
            default -> false;
        };
        return hookType && !p.attachTarget().isEmpty();
    }

    /**
     * The hook program {@code p} attaches to with {@code target}: its section when the target
     * is empty ({@code tracepoint/syscalls/sys_enter_execve}); else the section with its target
     * part replaced ({@code kprobe/do_unlinkat} with {@code vfs_unlink} is {@code kprobe/vfs_unlink})
     * or, for a section without one, followed by it ({@code xdp} with {@code eth0} is {@code xdp/eth0}).
     */
    static String hook(ProgramSpec p, String target) {
        if (target.isEmpty()) {
            return p.sectionName();
        }
        String section = p.sectionName();
        String own = p.attachTarget();
        String base = !own.isEmpty() && section.endsWith("/" + own) ? section.substring(0, section.length() - own.length() - 1) : section;
        return base + "/" + target;
    }
}
