package io.bpf4j.gen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.bpf4j.BpfBackend;
import io.bpf4j.TestRun;
import io.bpf4j.gen.fixture.SkeletonObject;
import io.bpf4j.vm.VmBackend;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** The skeleton features on bpf4j's VM: no root needed; attached programs run when a test fires their hook. */
class SkeletonVmTest extends SkeletonFeatures {
    private VmBackend vm;

    @Override
    BpfBackend backend() {
        if (vm == null) {
            vm = VmBackend.create();
        }
        return vm;
    }

    @Override
    void callGetppid(int times) {
        TestRun tracepointRecord = new TestRun(new byte[0], 0, new byte[16], 0, 1, 0, 0);
        for (int i = 0; i < times; i++) {
            assertEquals(vm.attachments().isEmpty() ? 0 : 1, vm.fire("tracepoint/syscalls/sys_enter_getppid", tracepointRecord).size());
        }
    }

    @Override
    void throughDevice(SkeletonObject skel, List<byte[]> frames) {
        skel.progs().fill().attach(DEVICE);
        for (byte[] frame : frames) {
            assertEquals(1, vm.fire("xdp/" + DEVICE, TestRun.ofData(frame)).size());
        }
    }

    @AfterEach
    void closeVm() {
        if (vm != null) {
            vm.close();
        }
    }
}
