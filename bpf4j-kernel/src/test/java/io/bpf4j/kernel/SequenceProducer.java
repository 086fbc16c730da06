package io.bpf4j.kernel;

import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.isa.AluOp;
import io.bpf4j.isa.AtomicOp;
import io.bpf4j.isa.JumpOp;
import io.bpf4j.isa.Size;
import io.bpf4j.kernel.testing.Asm;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An XDP program, run with {@code BPF_PROG_TEST_RUN}, that writes one record per run into
 * ring buffers (or a perf buffer): the run's sequence number (0, 1, 2... across runs) as a u64, padded with
 * zeros to {@code recordSize} bytes. Records a ring refused are counted in {@link #lost()}.
 */
final class SequenceProducer implements AutoCloseable {
    /** How each run writes its record. */
    enum Mode {
        /** {@code bpf_ringbuf_output} into the first ring. */
        OUTPUT,
        /** {@code bpf_ringbuf_reserve}, then submit even sequence numbers and discard odd ones. */
        DISCARD_ODD,
        /** {@code bpf_ringbuf_output}: even sequence numbers into the first ring, odd ones into the second. */
        SPLIT,
        /** {@code bpf_perf_event_output} into the first map, a perf event array, on the current CPU. */
        PERF
    }

    private static final int KEY_SLOT = -4;
    private static final int RECORD_SLOT = -64;

    private final KernelMap counters;
    private final KernelProgram program;

    private SequenceProducer(KernelMap counters, KernelProgram program) {
        this.counters = counters;
        this.program = program;
    }

    static SequenceProducer create(Mode mode, int recordSize, KernelMap first, KernelMap second) {
        if (recordSize < 8 || recordSize > -RECORD_SLOT || recordSize % 8 != 0) {
            throw new IllegalArgumentException("record size " + recordSize);
        }
        // key 0: the next sequence number; key 1: records lost
        KernelMap counters = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 8, 2));
        try {
            Asm a = new Asm().mov(9, 1);
            for (int off = RECORD_SLOT; off < RECORD_SLOT + recordSize; off += 8) {
                a.st(Size.DW, 10, off, 0);
            }
            a.st(Size.W, 10, KEY_SLOT, 0)
                    .ldMap(1, counters.fd()).mov(2, 10).addImm(2, KEY_SLOT).call("map_lookup_elem")
                    .jmpImm(JumpOp.JEQ, 0, 0, "out")
                    .movImm(6, 1)
                    .atomic(Size.DW, AtomicOp.FETCH_ADD, 0, 6, 0) // r6 = this run's sequence number
                    .stx(Size.DW, 10, 6, RECORD_SLOT)
                    .mov(7, 6).alu(AluOp.AND, 7, 1); // r7 = odd
            switch (mode) {
                case OUTPUT -> output(a, first, recordSize);
                case PERF -> a.mov(1, 9).ldMap(2, first.fd()).ldImm64(3, 0xffffffffL) // BPF_F_CURRENT_CPU
                        .mov(4, 10).addImm(4, RECORD_SLOT).movImm(5, recordSize).call("perf_event_output");
                case SPLIT -> {
                    a.jmpImm(JumpOp.JNE, 7, 0, "odd");
                    output(a, first, recordSize);
                    a.ja("written").label("odd");
                    output(a, second, recordSize);
                    a.label("written");
                }
                case DISCARD_ODD -> a.ldMap(1, first.fd()).movImm(2, recordSize).movImm(3, 0).call("ringbuf_reserve")
                        .jmpImm(JumpOp.JNE, 0, 0, "reserved").movImm(0, -1).ja("written")
                        .label("reserved").stx(Size.DW, 0, 6, 0).mov(1, 0).movImm(2, 0)
                        .jmpImm(JumpOp.JNE, 7, 0, "discard").call("ringbuf_submit").movImm(0, 0).ja("written")
                        .label("discard").call("ringbuf_discard").movImm(0, 0)
                        .label("written");
            }
            a.jmpImm(JumpOp.JEQ, 0, 0, "out")
                    .movImm(7, 1)
                    .incrementArray(counters.fd(), 7, "lost_counted")
                    .label("out").movImm(0, 2).exit();
            return new SequenceProducer(counters, KernelProgram.load(ProgramDefinition.of(ProgramType.XDP,
                    "seq_producer", a.bytes(), "GPL")));
        } catch (RuntimeException e) {
            counters.close();
            throw e;
        }
    }

    /** {@code r0 = bpf_ringbuf_output(ring, record, size, 0)}. */
    private static void output(Asm a, KernelMap ring, int size) {
        a.ldMap(1, ring.fd()).mov(2, 10).addImm(2, RECORD_SLOT).movImm(3, size).movImm(4, 0).call("ringbuf_output");
    }

    /** Runs the program {@code repeat} times in the kernel. */
    void run(int repeat) {
        program.testRun(TestRun.ofData(new byte[64]).withRepeat(repeat));
    }

    /** Sequence numbers handed out so far. */
    long produced() {
        return counter(0);
    }

    /** Records the rings refused (full). */
    long lost() {
        return counter(1);
    }

    private long counter(int key) {
        byte[] k = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(key).array();
        return ByteBuffer.wrap(counters.lookup(k).orElseThrow()).order(ByteOrder.nativeOrder()).getLong();
    }

    @Override
    public void close() {
        program.close();
        counters.close();
    }
}
