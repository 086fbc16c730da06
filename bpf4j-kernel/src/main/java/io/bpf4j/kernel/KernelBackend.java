package io.bpf4j.kernel;

import io.bpf4j.BpfBackend;
import io.bpf4j.BpfCollection;
import io.bpf4j.btf.CoreTarget;
import io.bpf4j.object.ObjectSpec;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The running kernel as a {@link BpfBackend}: an object's maps are created (global data
 * holding its initial bytes, {@code .rodata} frozen, maps pinned by name reused or pinned),
 * its programs' map references resolved and its programs verified and loaded; attaching goes
 * through this module's link classes, by the program's section or to a network device.
 *
 * <p>An object with CO-RE relocations is relocated against the running kernel's BTF first, as
 * libbpf does ({@link ObjectSpec#relocate}). Maps and programs load without the object's BTF,
 * so features that need it (spin locks, timers, kptrs in map values; global functions;
 * freplace, struct_ops) and {@code .ksyms} and {@code .kconfig} externs are refused with the
 * reason.
 *
 * <pre>{@code
 * try (XdpCounter skel = XdpCounter.open().load(KernelBackend.create())) {
 *     skel.progs().countPackets().attach("eth0");
 * }
 * }</pre>
 */
public final class KernelBackend implements BpfBackend {
    /** Where maps with {@code LIBBPF_PIN_BY_NAME} are pinned by default, as libbpf pins them. */
    public static final Path DEFAULT_PIN_ROOT = Path.of("/sys/fs/bpf");

    private final Path pinRoot;

    private KernelBackend(Path pinRoot) {
        this.pinRoot = pinRoot;
    }

    /** The kernel, pinning under {@link #DEFAULT_PIN_ROOT}. */
    public static KernelBackend create() {
        return new KernelBackend(DEFAULT_PIN_ROOT);
    }

    /** The kernel, pinning maps pinned by name under {@code root} instead. */
    public KernelBackend withPinRoot(Path root) {
        return new KernelBackend(Objects.requireNonNull(root, "root"));
    }

    public Path pinRoot() {
        return pinRoot;
    }

    @Override
    public BpfCollection load(ObjectSpec spec) {
        boolean core = spec.btfExt().map(e -> !e.coreRelos().isEmpty()).orElse(false);
        return KernelCollection.load(core ? spec.relocate(kernelTarget(), line -> { }).spec() : spec, pinRoot);
    }

    private static volatile CoreTarget kernelTarget;

    /** The running kernel's BTF as a CO-RE target, read once (the same vmlinux the tracing targets come from). */
    private static CoreTarget kernelTarget() {
        CoreTarget t = kernelTarget;
        if (t == null) {
            t = CoreTarget.of(VmlinuxBtf.get());
            kernelTarget = t;
        }
        return t;
    }

    @Override
    public String toString() {
        return "KernelBackend[pins under " + pinRoot + "]";
    }
}
