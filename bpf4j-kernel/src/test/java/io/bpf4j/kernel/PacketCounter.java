package io.bpf4j.kernel;

import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.isa.JumpOp;
import io.bpf4j.isa.Size;
import io.bpf4j.kernel.testing.Asm;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A packet program and its counters for the XDP and tc tests: it counts every packet (key
 * {@link #ALL}), and packets by IPv4 protocol (key {@link #NOT_IPV4} for the others), in an
 * array map, and returns {@code pass}, or {@code drop} for ICMP when asked to drop it.
 */
final class PacketCounter implements AutoCloseable {
    static final int ALL = 256;
    static final int NOT_IPV4 = 255;
    static final int XDP_DROP = 1;
    static final int XDP_PASS = 2;
    static final int TC_ACT_OK = 0;
    static final int TC_ACT_SHOT = 2;

    final KernelMap counts;
    final KernelProgram program;

    private PacketCounter(KernelMap counts, KernelProgram program) {
        this.counts = counts;
        this.program = program;
    }

    /** For XDP ({@code struct xdp_md}: data at 0, data_end at 4). */
    static PacketCounter xdp(String name, boolean dropIcmp) {
        return create(ProgramType.XDP, name, 0, 4, XDP_PASS, dropIcmp ? XDP_DROP : XDP_PASS);
    }

    /** For tc ({@code struct __sk_buff}: data at 76, data_end at 80). */
    static PacketCounter tc(String name, boolean dropIcmp) {
        return create(ProgramType.SCHED_CLS, name, 76, 80, TC_ACT_OK, dropIcmp ? TC_ACT_SHOT : TC_ACT_OK);
    }

    private static PacketCounter create(ProgramType type, String name, int dataOff, int dataEndOff, int pass, int icmp) {
        KernelMap counts = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 8, ALL + 1));
        try {
            short ipv4 = (short) (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? 0x0008 : 0x0800);
            byte[] code = new Asm()
                    .mov(6, 1)
                    .movImm(7, ALL)
                    .incrementArray(counts.fd(), 7, "counted_all")
                    .ldx(Size.W, 7, 6, dataOff)
                    .ldx(Size.W, 8, 6, dataEndOff)
                    .movImm(9, NOT_IPV4)
                    .mov(2, 7)
                    .addImm(2, 34) // Ethernet and a minimal IPv4 header
                    .jmpReg(JumpOp.JGT, 2, 8, "count")
                    .ldx(Size.H, 2, 7, 12)
                    .jmpImm(JumpOp.JNE, 2, ipv4, "count")
                    .ldx(Size.B, 9, 7, 23)
                    .label("count")
                    .incrementArray(counts.fd(), 9, "counted_protocol")
                    .movImm(0, pass)
                    .jmpImm(JumpOp.JNE, 9, 1, "out")
                    .movImm(0, icmp)
                    .label("out")
                    .exit()
                    .bytes();
            return new PacketCounter(counts, KernelProgram.load(ProgramDefinition.of(type, name, code, "GPL")));
        } catch (RuntimeException e) {
            counts.close();
            throw e;
        }
    }

    long count(int key) {
        byte[] k = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(key).array();
        return ByteBuffer.wrap(counts.lookup(k).orElseThrow()).order(ByteOrder.nativeOrder()).getLong();
    }

    @Override
    public void close() {
        program.close();
        counts.close();
    }
}
