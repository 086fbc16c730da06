package io.bpf4j.kernel;

import io.bpf4j.AttachType;

/**
 * An sk_msg or sk_skb program on a sockmap or sockhash (verdict, stream parser), as a bpf_link
 * (Linux 6.10+); and the legacy attach of {@code bpftool prog attach}, which also serves the
 * flow dissector (attached to the calling thread's network namespace, without a map).
 *
 * <pre>{@code
 * try (SockMapLink link = SockMapLink.attach(verdict, sockmap, AttachType.SK_SKB_VERDICT)) { ... }
 * }</pre>
 */
public final class SockMapLink extends SingleKernelLink {

    private SockMapLink(KernelLink link) {
        super(link, "sockmap");
    }

    public static SockMapLink attach(KernelProgram program, KernelMap map, AttachType type) {
        return new SockMapLink(KernelLink.create("attach " + program + " to map '" + map.name() + "' as "
                + type.bpftoolName(), program, map.fd(), type, 0, attr -> {}));
    }

    /**
     * {@code BPF_PROG_ATTACH} of {@code program} to {@code map} (null for the flow dissector);
     * it stays until {@link #detachProgram}.
     */
    public static void attachProgram(KernelProgram program, KernelMap map, AttachType type) {
        Attachments.attach("attach " + program + " as " + type.bpftoolName(), map == null ? 0 : map.fd(), program, type, 0,
                null);
    }

    /** {@code BPF_PROG_DETACH} of {@code program} from {@code map} (null for the flow dissector). */
    public static void detachProgram(KernelProgram program, KernelMap map, AttachType type) {
        Attachments.detach("detach " + program + " from " + type.bpftoolName(), map == null ? 0 : map.fd(), program, type);
    }
}
