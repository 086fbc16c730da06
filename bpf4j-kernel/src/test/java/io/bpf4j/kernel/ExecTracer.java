package io.bpf4j.kernel;

import io.bpf4j.ProgramType;
import io.bpf4j.isa.AluOp;
import io.bpf4j.isa.Size;
import io.bpf4j.kernel.testing.Asm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;

/**
 * The exec tracer of the tracepoint tests: a program for {@code sched:sched_process_exec}
 * that sends {@code {u32 pid; u32 pad; char comm[16]}} of each new program, and a uniquely
 * named copy of {@code /bin/true} to run, so that other activity on the machine is told apart.
 */
final class ExecTracer {
    static final int RECORD_SIZE = 24;

    record Exec(int pid, String comm) {
        static Exec of(MemorySegment r) {
            byte[] comm = r.asSlice(8, 16).toArray(ValueLayout.JAVA_BYTE);
            int n = 0;
            while (n < comm.length && comm[n] != 0) {
                n++;
            }
            return new Exec(r.get(ValueLayout.JAVA_INT_UNALIGNED, 0), new String(comm, 0, n, StandardCharsets.UTF_8));
        }
    }

    private ExecTracer() {}

    /** The program; it writes with {@code bpf_ringbuf_output} into {@code ring}, or with {@code bpf_perf_event_output} into {@code perfArray}. */
    static KernelProgram program(KernelMap ring, KernelMap perfArray) {
        return program(ProgramType.TRACEPOINT, ring, perfArray, d -> d);
    }

    /** The program as {@code type}, its definition adjusted by {@code adjust} (attach type and target). */
    static KernelProgram program(ProgramType type, KernelMap ring, KernelMap perfArray,
            UnaryOperator<ProgramDefinition> adjust) {
        Asm a = new Asm()
                .mov(6, 1)
                .call("get_current_pid_tgid")
                .alu(AluOp.RSH, 0, 32)
                .stx(Size.W, 10, 0, -24)
                .st(Size.W, 10, -20, 0)
                .mov(1, 10).addImm(1, -16).movImm(2, 16).call("get_current_comm");
        if (ring != null) {
            a.ldMap(1, ring.fd()).mov(2, 10).addImm(2, -24).movImm(3, RECORD_SIZE).movImm(4, 0).call("ringbuf_output");
        } else {
            a.mov(1, 6).ldMap(2, perfArray.fd()).ldImm64(3, 0xffffffffL) // BPF_F_CURRENT_CPU
                    .mov(4, 10).addImm(4, -24).movImm(5, RECORD_SIZE).call("perf_event_output");
        }
        byte[] code = a.movImm(0, 0).exit().bytes();
        return KernelProgram.load(adjust.apply(ProgramDefinition.of(type, "exec_tracer", code, "GPL")));
    }

    /** A copy of /bin/true with a name no other program has, as the comm of its processes. */
    static Path uniqueTrue(Path dir) {
        Path p = dir.resolve("b4j" + ThreadLocalRandom.current().nextInt(10_000_000, 100_000_000));
        try {
            Files.copy(Path.of("/bin/true"), p, StandardCopyOption.COPY_ATTRIBUTES);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code binary} {@code n} times, one after the other; returns the pids. */
    static List<Integer> spawn(Path binary, int n) throws IOException, InterruptedException {
        List<Integer> pids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Process p = new ProcessBuilder(binary.toString()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            p.getInputStream().close();
            pids.add((int) p.pid());
            if (p.waitFor() != 0) {
                throw new IllegalStateException(binary + " failed");
            }
        }
        return pids;
    }
}
