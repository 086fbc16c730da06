package io.bpf4j.gen;

import io.bpf4j.BpfBackend;
import io.bpf4j.gen.fixture.SkeletonObject;
import io.bpf4j.kernel.KernelBackend;
import io.bpf4j.kernel.NetDevice;
import io.bpf4j.kernel.PacketSocket;
import io.bpf4j.kernel.testing.FdSnapshot;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.kernel.testing.VethPair;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The skeleton features on the running kernel: the same tests as on the VM, the tracepoint entered for real. */
@KernelTest
class SkeletonKernelTest extends SkeletonFeatures {
    private static final MethodHandle GETPPID = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("getppid").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private FdSnapshot fds;

    @BeforeEach
    void snapshot() {
        fds = FdSnapshot.take();
    }

    @AfterEach
    void nothingLeaked() {
        fds.assertNoneLeaked();
    }

    @Override
    BpfBackend backend() {
        return KernelBackend.create();
    }

    @Override
    void throughDevice(SkeletonObject skel, List<byte[]> frames) {
        try (VethPair pair = VethPair.create("skel")) {
            pair.receiver().run(() -> skel.progs().fill().attach(DEVICE));
            pair.sender().run(() -> {
                try (PacketSocket socket = PacketSocket.open(NetDevice.of(VethPair.SENDER_DEV))) {
                    for (byte[] frame : frames) {
                        socket.send(frame);
                    }
                }
            });
            // The receiving end runs XDP when it polls its queue, after send returned.
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (skel.bss().packets() < frames.size() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        }
    }

    @Override
    void callGetppid(int times) {
        try {
            for (int i = 0; i < times; i++) {
                int ppid = (int) GETPPID.invokeExact();
                if (ppid <= 0) {
                    throw new IllegalStateException("getppid returned " + ppid);
                }
            }
        } catch (Throwable t) {
            throw new IllegalStateException("getppid", t);
        }
    }
}
