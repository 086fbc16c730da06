package io.bpf4j;

import io.bpf4j.object.ObjectSpec;

/**
 * Where the maps and programs of an object come to life: the kernel
 * ({@code io.bpf4j.kernel.KernelBackend}) or bpf4j's userspace VM ({@code io.bpf4j.vm.VmBackend}).
 * Generated skeletons load through one, so the same skeleton runs in production on the
 * kernel and in unit tests on the VM.
 *
 * <pre>{@code
 * try (BpfCollection c = backend.load(ObjectSpec.read(Path.of("xdp_counter.bpf.o")))) {
 *     TestRunResult r = c.program("count_packets").orElseThrow().testRun(TestRun.ofData(packet));
 * }
 * }</pre>
 */
public interface BpfBackend {
    /**
     * Creates the object's maps (global data holding their initial bytes), loads its
     * programs that autoload with their map references resolved, and fills program arrays
     * and maps of maps as the object declares. Nothing is attached yet.
     *
     * @throws BpfException naming the map or program the backend refused
     */
    BpfCollection load(ObjectSpec spec);
}
