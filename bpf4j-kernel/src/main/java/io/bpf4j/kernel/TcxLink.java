package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.kernel.sys.Layouts.LinkCreate;
import java.util.Locale;

/**
 * A tc program on a device through tcx (Linux 6.6+): a bpf_link on the ingress or egress
 * hook, ordered among the other tcx programs of that hook.
 *
 * <pre>{@code
 * try (TcxLink link = TcxLink.attach(program, NetDevice.of("eth0"), TcxLink.Direction.INGRESS)) { ... }
 * }</pre>
 */
public final class TcxLink extends SingleKernelLink {
    /** The hook. */
    public enum Direction {
        INGRESS(AttachType.TCX_INGRESS),
        EGRESS(AttachType.TCX_EGRESS);

        private final AttachType attachType;

        Direction(AttachType attachType) {
            this.attachType = attachType;
        }

        public AttachType attachType() {
            return attachType;
        }
    }

    private final NetDevice device;
    private final Direction direction;

    private TcxLink(KernelLink link, NetDevice device, Direction direction) {
        super(link, "tcx " + direction.name().toLowerCase(Locale.ROOT) + " on " + device);
        this.device = device;
        this.direction = direction;
    }

    /** Attaches {@code program} after the programs already on the hook. */
    public static TcxLink attach(KernelProgram program, NetDevice device, Direction direction) {
        return attach(program, device, direction, 0, null, 0);
    }

    /**
     * Attaches with ordering: {@code flags} {@link Attachments#F_BEFORE} or {@link Attachments#F_AFTER}
     * relative to {@code relative} (or first/last when it is null); {@code expectedRevision}
     * (0 for any) makes the attach fail if the hook changed since it was queried.
     */
    public static TcxLink attach(KernelProgram program, NetDevice device, Direction direction, int flags,
            KernelProgram relative, long expectedRevision) {
        KernelLink link = KernelLink.create("attach tcx " + direction.name().toLowerCase(Locale.ROOT) + " "
                + program + " to " + device, program, device.index(), direction.attachType, flags, attr -> {
                    if (relative != null) {
                        LinkCreate.TCX_RELATIVE_FD.set(attr, relative.fd());
                    }
                    LinkCreate.TCX_EXPECTED_REVISION.set(attr, expectedRevision);
                });
        return new TcxLink(link, device, direction);
    }

    /**
     * Attaches without a link ({@code BPF_PROG_ATTACH}): the program stays until
     * {@link #detachProgram}, as {@code bpftool net attach tcx_ingress} does; first with {@code prepend}.
     */
    public static void attachProgram(KernelProgram program, NetDevice device, Direction direction, boolean prepend) {
        Attachments.attach("attach tcx " + program + " to " + device, device.index(), program, direction.attachType,
                prepend ? Attachments.F_BEFORE : 0, null);
    }

    /** Detaches a program attached without a link: {@code program}, or with null the last one. */
    public static void detachProgram(NetDevice device, Direction direction, KernelProgram program) {
        Attachments.detach("detach tcx from " + device, device.index(), program, direction.attachType);
    }

    /** The programs on the hook, in the order they run. */
    public static Attachments query(NetDevice device, Direction direction) {
        return Attachments.query(device.index(), direction.attachType);
    }

    public NetDevice device() {
        return device;
    }

    public Direction direction() {
        return direction;
    }
}
