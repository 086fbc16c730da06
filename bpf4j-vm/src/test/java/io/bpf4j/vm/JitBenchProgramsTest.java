package io.bpf4j.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import io.bpf4j.TestRunResult;
import io.bpf4j.kernel.testing.KernelTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The JIT benchmark's programs (testdata/jit_bench.bpf.c) give the kernel's results in both
 * engines of the VM: return value, packet out and every map's contents (per-CPU values
 * summed over the CPUs, which differ in number and in which one ran), after a few runs.
 */
@KernelTest
class JitBenchProgramsTest {
    private static final int RUNS = 3;

    @Test
    void bothEnginesGiveTheKernelsResults() {
        for (String name : JitBenchPrograms.PROGRAMS) {
            String expected;
            try (JitBenchPrograms.Loaded k = JitBenchPrograms.inKernel(name)) {
                expected = outcome(k);
            }
            for (Vm.Engine engine : Vm.Engine.values()) {
                try (Vm vm = Vm.builder().engine(engine).build(); JitBenchPrograms.Loaded l = JitBenchPrograms.inVm(vm, name)) {
                    assertEquals(engine, ((VmProgram) l.program()).engine(), name);
                    assertEquals(expected, outcome(l), name + " in the " + engine);
                }
            }
        }
    }

    private static String outcome(JitBenchPrograms.Loaded loaded) {
        TestRunResult r = loaded.program().testRun(loaded.run(RUNS).withDataOutSize(256));
        StringBuilder s = new StringBuilder("r0=" + r.returnValue() + " data=" + HexFormat.of().formatHex(r.dataOut()));
        for (Map.Entry<String, BpfMap> m : new TreeMap<>(loaded.maps()).entrySet()) {
            s.append(' ').append(m.getKey()).append(':');
            Optional<byte[]> key = m.getValue().nextKey(null);
            while (key.isPresent()) {
                byte[] value = m.getValue().lookup(key.get()).orElseThrow();
                if (m.getValue().type() == MapType.PERCPU_HASH || m.getValue().type() == MapType.PERCPU_ARRAY) {
                    value = sumOverCpus(value, m.getValue().valueSize());
                }
                s.append(HexFormat.of().formatHex(key.get())).append('=').append(HexFormat.of().formatHex(value)).append(',');
                key = m.getValue().nextKey(key.get());
            }
        }
        return s.toString();
    }

    /** The per-CPU copies of a value of 64-bit counters, added up. */
    private static byte[] sumOverCpus(byte[] copies, int valueSize) {
        ByteBuffer in = ByteBuffer.wrap(copies).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(valueSize).order(ByteOrder.LITTLE_ENDIAN);
        for (int word = 0; word < valueSize; word += 8) {
            long sum = 0;
            for (int at = word; at < copies.length; at += (valueSize + 7) / 8 * 8) {
                sum += in.getLong(at);
            }
            out.putLong(word, sum);
        }
        return out.array();
    }
}
