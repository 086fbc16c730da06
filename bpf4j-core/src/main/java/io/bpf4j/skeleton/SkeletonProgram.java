package io.bpf4j.skeleton;

import io.bpf4j.BpfLink;
import io.bpf4j.BpfProgram;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;
import io.bpf4j.object.ProgramSpec;
import java.util.Optional;

/**
 * A program of a skeleton: its spec, and once loaded the live program, test runs and its
 * link. What a skeleton's {@code progs()} gives for each program.
 *
 * <pre>{@code
 * TestRunResult r = skel.progs().countPackets().testRun(TestRun.ofData(packet));
 * skel.progs().countPackets().attach("eth0");            // XDP: on a device
 * skel.progs().handleExec().link().ifPresent(l -> System.out.println(l.hook()));
 * }</pre>
 */
public final class SkeletonProgram {
    private final Skeleton skeleton;
    private final String name;

    SkeletonProgram(Skeleton skeleton, String name) {
        this.skeleton = skeleton;
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** The program as the object defines it (before load, with the skeleton's current changes). */
    public ProgramSpec spec() {
        return skeleton.spec().program(name).orElseThrow();
    }

    /**
     * The loaded program.
     *
     * @throws IllegalStateException before load, or if the program does not autoload
     */
    public BpfProgram program() {
        return skeleton.loadedProgram(name);
    }

    /** Runs the loaded program once per {@link TestRun#repeat()}. */
    public TestRunResult testRun(TestRun run) {
        return program().testRun(run);
    }

    /** Attaches the program to the hook its section names (see {@link io.bpf4j.BpfCollection#attach}). */
    public BpfLink attach() {
        return attach("");
    }

    /** Attaches the program to {@code target} (a network device for XDP and tc programs). */
    public BpfLink attach(String target) {
        return skeleton.attach(name, target);
    }

    /** The program's link, once attached. */
    public Optional<BpfLink> link() {
        return skeleton.link(name);
    }

    @Override
    public String toString() {
        return "SkeletonProgram[" + name + "]";
    }
}
