package io.bpf4j.kernel;

import io.bpf4j.BpfBackend;
import io.bpf4j.btf.CoreTarget;
import io.bpf4j.object.ObjectSpec;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The Linux kernel as a {@link BpfBackend}: loads whole objects as libbpf's
 * {@code bpf_object__load} does (BTF sanitized for this kernel, maps created or reused from
 * their pins, global data filled and {@code .rodata} frozen, CO-RE against the kernel's BTF,
 * {@code __kconfig} and {@code __ksym} externs resolved, every autoloading program verified
 * and loaded with its BTF info). Immutable: the {@code with...} methods return a changed copy.
 *
 * <pre>{@code
 * try (XdpCounter skel = XdpCounter.open().load(KernelBackend.create())) {   // a generated skeleton
 *     skel.progs().countPackets().attach("eth0");
 * }
 * KernelBackend kernel = KernelBackend.create().withPinRoot(Path.of("/sys/fs/bpf/myapp")).withLog(System.err::println);
 * try (KernelCollection c = kernel.load(ObjectSpec.read(Path.of("xdp_counter.bpf.o")))) {
 *     try (BpfLink link = c.attach("count_packets", "eth0")) { ... }
 * }
 * }</pre>
 *
 * @param pinRoot where maps declared {@code LIBBPF_PIN_BY_NAME} are pinned and reused (libbpf's {@code pin_root_path})
 * @param coreTarget BTF to CO-RE-relocate for, or null for the running kernel's
 * @param log receives libbpf-style debug lines of what the loader does
 */
public record KernelBackend(Path pinRoot, CoreTarget coreTarget, Consumer<String> log) implements BpfBackend {
    /** libbpf's default {@code pin_root_path}. */
    public static final Path DEFAULT_PIN_ROOT = Path.of("/sys/fs/bpf");

    public KernelBackend {
        Objects.requireNonNull(pinRoot, "pinRoot");
        Objects.requireNonNull(log, "log");
    }

    /** Pins under /sys/fs/bpf, the running kernel's BTF, no log. */
    public static KernelBackend create() {
        return new KernelBackend(DEFAULT_PIN_ROOT, null, line -> {});
    }

    public KernelBackend withPinRoot(Path root) {
        return new KernelBackend(root, coreTarget, log);
    }

    public KernelBackend withCoreTarget(CoreTarget target) {
        return new KernelBackend(pinRoot, target, log);
    }

    public KernelBackend withLog(Consumer<String> sink) {
        return new KernelBackend(pinRoot, coreTarget, sink);
    }

    /**
     * Loads {@code spec}: everything or nothing (on failure what was created is released
     * and pins made by this load are removed).
     *
     * @throws VerifierException when the verifier refuses a program (poisoned CO-RE
     *     instructions named by the relocation that failed)
     * @throws io.bpf4j.BpfException naming the map, program or extern that failed
     */
    @Override
    public KernelCollection load(ObjectSpec spec) {
        return ObjectLoader.load(spec, this);
    }
}
