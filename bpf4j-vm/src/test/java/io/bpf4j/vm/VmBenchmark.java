package io.bpf4j.vm;

import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Time of one run of each CPU-bound program of {@code testdata/vm_bench.bpf.c} in the VM's
 * interpreter, through the test-run contract with a repeat count, as the kernel is timed.
 * {@link VmBenchmarkMain} runs it against the kernel's JIT.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class VmBenchmark {
    static final String[] PROGRAMS = {"sieve", "log2sum", "copy", "compare"};
    static final int REPEAT = 100;

    @Param({"sieve", "log2sum", "copy", "compare"})
    public String program;

    private VmProgram prog;
    private TestRun run;

    /** The input of every program: 64 bytes, the first four of which seed it. */
    static byte[] packet() {
        byte[] p = new byte[64];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) (i * 37 + 11);
        }
        return p;
    }

    @Setup
    public void setUp() {
        byte[] code = ElfPrograms.functions(ElfPrograms.testdata("vm_bench.bpf.o")).get(program);
        prog = Vm.builder().engine(Vm.Engine.INTERPRETER).build().load(program, ProgramType.XDP, code);
        run = TestRun.ofData(packet()).withRepeat(REPEAT);
    }

    @Benchmark
    @OperationsPerInvocation(REPEAT)
    public long interpreter() {
        return prog.testRun(run).returnValue();
    }
}
