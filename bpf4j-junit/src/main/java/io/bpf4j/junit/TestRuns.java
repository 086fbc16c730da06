package io.bpf4j.junit;

import io.bpf4j.BpfProgram;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;
import io.bpf4j.skeleton.SkeletonProgram;
import java.util.function.Function;

/**
 * Test runs of packet programs with their verdicts typed: an XDP or tc program gets a frame
 * and gives back its action and the frame as it left the program.
 *
 * <pre>{@code
 * TestRuns.XdpResult r = TestRuns.xdp(skel.progs().filter(), PacketBuilder.udp().ports(1, 53).build());
 * assertEquals(XdpAction.DROP, r.action());
 * }</pre>
 */
public final class TestRuns {
    private TestRuns() {}

    /** An XDP program's verdict and the frame after it (its length changes with head or tail adjustments). */
    public record XdpResult(XdpAction action, byte[] packet) {}

    /** A tc program's verdict and the frame after it. */
    public record TcResult(TcAction action, byte[] packet) {}

    public static XdpResult xdp(BpfProgram program, byte[] frame) {
        return xdp(program::testRun, frame);
    }

    public static XdpResult xdp(SkeletonProgram program, byte[] frame) {
        return xdp(program::testRun, frame);
    }

    public static TcResult tc(BpfProgram program, byte[] frame) {
        return tc(program::testRun, frame);
    }

    public static TcResult tc(SkeletonProgram program, byte[] frame) {
        return tc(program::testRun, frame);
    }

    private static XdpResult xdp(Function<TestRun, TestRunResult> run, byte[] frame) {
        TestRunResult r = run.apply(TestRun.ofData(frame));
        return new XdpResult(XdpAction.of(r.returnValue()), r.dataOut());
    }

    private static TcResult tc(Function<TestRun, TestRunResult> run, byte[] frame) {
        TestRunResult r = run.apply(TestRun.ofData(frame));
        return new TcResult(TcAction.of(r.returnValue()), r.dataOut());
    }
}
