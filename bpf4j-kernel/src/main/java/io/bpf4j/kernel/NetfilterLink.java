package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.kernel.sys.Layouts.LinkCreate;

/**
 * A netfilter program on a netfilter hook of the calling thread's network namespace
 * (Linux 6.4+, {@code CONFIG_NETFILTER_BPF_LINK}); it returns {@link #NF_ACCEPT} or {@link #NF_DROP}.
 *
 * <pre>{@code
 * try (NetfilterLink link = NetfilterLink.attach(program, NetfilterLink.NFPROTO_IPV4, NetfilterLink.LOCAL_IN, -128, 0)) { ... }
 * }</pre>
 */
public final class NetfilterLink extends SingleKernelLink {
    public static final int NFPROTO_IPV4 = 2;
    public static final int NFPROTO_IPV6 = 10;
    public static final int PRE_ROUTING = 0;
    public static final int LOCAL_IN = 1;
    public static final int FORWARD = 2;
    public static final int LOCAL_OUT = 3;
    public static final int POST_ROUTING = 4;
    /** Flag: reassemble fragments before the program sees them. */
    public static final int F_IP_DEFRAG = 1;
    public static final int NF_DROP = 0;
    public static final int NF_ACCEPT = 1;


    private NetfilterLink(KernelLink link) {
        super(link, "netfilter");
    }

    /** Attaches to {@code hook} of {@code protocolFamily} at {@code priority} (lower runs first). */
    public static NetfilterLink attach(KernelProgram program, int protocolFamily, int hook, int priority, int flags) {
        return new NetfilterLink(KernelLink.create("attach " + program + " to netfilter pf " + protocolFamily + " hook "
                + hook + " priority " + priority, program, 0, AttachType.NETFILTER, 0, attr -> {
                    LinkCreate.NETFILTER_PF.set(attr, protocolFamily);
                    LinkCreate.NETFILTER_HOOKNUM.set(attr, hook);
                    LinkCreate.NETFILTER_PRIORITY.set(attr, priority);
                    LinkCreate.NETFILTER_FLAGS.set(attr, flags);
                }));
    }
}
