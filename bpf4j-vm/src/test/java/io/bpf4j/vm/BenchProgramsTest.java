package io.bpf4j.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.ProgramDefinition;
import io.bpf4j.kernel.testing.KernelTest;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The benchmark's programs (testdata/vm_bench.bpf.c) give the kernel's results in the VM. * Run in each engine of the VM.
 */
@KernelTest
@ParameterizedClass(name = "{0}")
@EnumSource(Vm.Engine.class)
class BenchProgramsTest {
    static final byte[] PACKET = VmBenchmark.packet();
    private final Vm.Engine engine;

    BenchProgramsTest(Vm.Engine engine) {
        this.engine = engine;
    }

    @Test
    void sameResultsAsTheKernel() {
        Map<String, byte[]> programs = ElfPrograms.functions(ElfPrograms.testdata("vm_bench.bpf.o"));
        assertEquals(VmBenchmark.PROGRAMS.length, programs.size(), programs.keySet().toString());
        try (Vm vm = Vm.builder().engine(engine).build()) {
            for (Map.Entry<String, byte[]> e : programs.entrySet()) {
                long expected;
                try (KernelProgram k = KernelProgram.load(ProgramDefinition.of(ProgramType.XDP, e.getKey(), e.getValue(),
                        "GPL"))) {
                    expected = k.testRun(TestRun.ofData(PACKET)).returnValue();
                }
                long actual = vm.load(e.getKey(), ProgramType.XDP, e.getValue()).testRun(TestRun.ofData(PACKET)).returnValue();
                assertEquals(expected, actual, e.getKey());
            }
        }
    }
}
