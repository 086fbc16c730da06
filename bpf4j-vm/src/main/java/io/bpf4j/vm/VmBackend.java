package io.bpf4j.vm;

import io.bpf4j.BpfBackend;
import io.bpf4j.BpfCollection;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;
import io.bpf4j.object.ObjectSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * bpf4j's VM as a {@link BpfBackend}: objects load into one {@link Vm}, and attaching a
 * program puts it on a simulated hook named as {@link io.bpf4j.BpfLink#hook} names it
 * ({@code tracepoint/syscalls/sys_enter_execve}, {@code xdp/eth0}). Nothing fires a hook by
 * itself: {@link #fire} runs the programs attached to one, as the kernel would when the event
 * happens, so tests can drive attached programs without root.
 *
 * <pre>{@code
 * try (VmBackend vm = VmBackend.create(); XdpCounter skel = XdpCounter.open().load(vm)) {
 *     skel.progs().countPackets().attach("eth0");
 *     vm.fire("xdp/eth0", TestRun.ofData(packet));
 * }
 * }</pre>
 */
public final class VmBackend implements BpfBackend, AutoCloseable {
    private final Vm vm;
    private final boolean owned;
    private final Map<String, List<VmCollection.Attachment>> hooks = new LinkedHashMap<>();

    private VmBackend(Vm vm, boolean owned) {
        this.vm = vm;
        this.owned = owned;
    }

    /** A backend with a VM of its own (one CPU), closed with it. */
    public static VmBackend create() {
        return new VmBackend(Vm.create(), true);
    }

    /** A backend over {@code vm}, which the caller keeps and closes. */
    public static VmBackend of(Vm vm) {
        return new VmBackend(Objects.requireNonNull(vm, "vm"), false);
    }

    public Vm vm() {
        return vm;
    }

    @Override
    public BpfCollection load(ObjectSpec spec) {
        return new VmCollection(this, vm.load(spec), spec);
    }

    /**
     * Runs every program attached at {@code hook} on {@code run}, in the order they were
     * attached, and returns their results (empty when nothing is attached there).
     */
    public List<TestRunResult> fire(String hook, TestRun run) {
        List<VmCollection.Attachment> attached;
        synchronized (hooks) {
            attached = new ArrayList<>(hooks.getOrDefault(hook, List.of()));
        }
        List<TestRunResult> results = new ArrayList<>(attached.size());
        for (VmCollection.Attachment a : attached) {
            results.add(a.run(run));
        }
        return results;
    }

    /** The hooks that have programs attached now, each with its programs' names. */
    public Map<String, List<String>> attachments() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        synchronized (hooks) {
            hooks.forEach((hook, list) -> out.put(hook, list.stream().map(VmCollection.Attachment::program).toList()));
        }
        return out;
    }

    void add(VmCollection.Attachment a) {
        synchronized (hooks) {
            hooks.computeIfAbsent(a.hook(), h -> new ArrayList<>()).add(a);
        }
    }

    void remove(VmCollection.Attachment a) {
        synchronized (hooks) {
            List<VmCollection.Attachment> list = hooks.get(a.hook());
            if (list != null && list.remove(a) && list.isEmpty()) {
                hooks.remove(a.hook());
            }
        }
    }

    /** Closes the VM if this backend made it. */
    @Override
    public void close() {
        if (owned) {
            vm.close();
        }
    }

    @Override
    public String toString() {
        return "VmBackend[" + vm.cpus() + " CPU(s)]";
    }
}
