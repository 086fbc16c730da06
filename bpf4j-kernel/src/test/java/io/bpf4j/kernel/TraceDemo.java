package io.bpf4j.kernel;

import static io.bpf4j.kernel.KernelMapTest.i32;
import static io.bpf4j.kernel.KernelMapTest.i64;

import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Makes one of most kinds of bpf() call with tracing on, writing the trace to the file
 * named by the first argument; {@link StraceOracleTest} runs it under strace and compares.
 */
public final class TraceDemo {
    private TraceDemo() {}

    public static void main(String[] args) throws Exception {
        Path pinDir = Path.of(args[1]);
        try (PrintStream out = new PrintStream(Files.newOutputStream(Path.of(args[0])), true)) {
            Kernel.traceSyscalls(out::println);
            run(pinDir);
            Kernel.traceSyscalls(null);
        }
    }

    static void run(Path pinDir) {
        try (KernelMap m = KernelMap.create(MapDefinition.of(MapType.HASH, 4, 8, 16).withName("trace_map"))) {
            m.update(i32(1), i64(2), 0);
            m.update(i32(2), i64(3), 1);
            m.lookup(i32(1));
            m.lookup(i32(9));
            m.nextKey(null);
            m.nextKey(i32(1));
            m.delete(i32(2));
            m.lookupAndDelete(i32(1));
            m.updateBatch(List.of(i32(5), i32(6)), List.of(i64(5), i64(6)), 0);
            m.lookupBatch(8);
            m.deleteBatch(List.of(i32(5)));
            Path pin = pinDir.resolve("trace_pin");
            m.pin(pin);
            try (KernelMap again = KernelMap.openPinned(pin)) {
                again.freeze();
            }
            Kernel.mapIds();
            try (KernelMap byId = KernelMap.openById(m.id())) {
                byId.info();
            }
        }
        try (KernelMap q = KernelMap.create(MapDefinition.of(MapType.QUEUE, 0, 4, 4).withFlags(MapFlags.NO_PREALLOC | 0x8000_0000))) {
            q.push(i32(1), 0);
        } catch (BpfSyscallException expected) {
            // unknown map flag: EINVAL, printed with the flag's hex
        }
        try (KernelProgram p = KernelProgram.load(ProgramDefinition.of(ProgramType.XDP, "trace_prog",
                Insns.returning(2), "Dual BSD/GPL").withLogLevel(1))) {
            p.testRun(TestRun.ofData(new byte[32]).withRepeat(3));
            p.info();
        }
        try {
            KernelProgram.load(ProgramDefinition.of(ProgramType.SOCKET_FILTER, "bad", Insns.exit(), "GPL"));
        } catch (VerifierException expected) {
            // first a load without a log, then one with a log
        }
        try (KernelBtf btf = KernelBtf.load(TestBtf.intAndStruct())) {
            btf.info();
        }
    }
}
