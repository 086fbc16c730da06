package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfKind;
import io.bpf4j.btf.CoreTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/** The running kernel's own BTF ({@code /sys/kernel/btf/vmlinux}), read once, for the BTF ids of attach targets. */
final class VmlinuxBtf {
    static final Path PATH = Path.of("/sys/kernel/btf/vmlinux");
    private static volatile CoreTarget target;

    private VmlinuxBtf() {}

    /** The running kernel as a CO-RE target (vmlinux, and its modules when needed), read once. */
    static CoreTarget target() {
        CoreTarget t = target;
        if (t == null) {
            synchronized (VmlinuxBtf.class) {
                t = target;
                if (t == null) {
                    if (!Files.isReadable(PATH)) {
                        throw new UnsupportedFeatureException("this kernel exposes no BTF (" + PATH
                                + " is missing): CO-RE, kernel symbols and BTF-typed attach points need CONFIG_DEBUG_INFO_BTF");
                    }
                    t = CoreTarget.kernel();
                    target = t;
                }
            }
        }
        return t;
    }

    static Btf get() {
        return target().main();
    }

    /** The id of kernel function {@code name}, if the kernel's BTF describes it. */
    static Optional<Integer> function(String name) {
        return get().findId(name, BtfKind.FUNC);
    }

    /** The id of {@code kind} type {@code name}, or a clear error naming {@code what} it was wanted for. */
    static int require(String name, BtfKind kind, String what) {
        return get().findId(name, kind).orElseThrow(() -> new BpfException(what + ": the kernel's BTF has no "
                + kind.name().toLowerCase(Locale.ROOT) + " '" + name + "'"));
    }
}
