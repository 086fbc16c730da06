package io.bpf4j.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.bpf4j.BpfException;
import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;
import io.bpf4j.kernel.BpfSyscallException;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.ProgramDefinition;
import io.bpf4j.kernel.testing.KernelTest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Contexts and packet helpers against the kernel's test_run: the same program and input
 * on both sides, and the same return value, packet out and context out (or the same
 * refusal of the input), in each engine.
 */
@KernelTest
@ParameterizedClass(name = "{0}")
@EnumSource(Vm.Engine.class)
class ContextDifferentialTest {
    private static final int XDP_MD = 24;
    private static final int SK_BUFF = 192;
    private final Vm vm;

    ContextDifferentialTest(Vm.Engine engine) {
        vm = Vm.builder().engine(engine).build();
    }

    /** Ethernet (to {@code dst}) + IPv4 (10.0.0.1 -> 10.0.0.2, UDP) + UDP + {@code payload} bytes. */
    static byte[] udp(byte[] dst, int payload) {
        byte[] p = new byte[14 + 20 + 8 + payload];
        System.arraycopy(dst, 0, p, 0, 6);
        byte[] src = {2, 0, 0, 0, 0, 1};
        System.arraycopy(src, 0, p, 6, 6);
        p[12] = 0x08;
        p[14] = 0x45;
        p[16] = 0;
        p[17] = (byte) (20 + 8 + payload);
        p[22] = 64;
        p[23] = 17;
        p[24] = (byte) 0xab; // checksum, not a valid one: the helpers do not care
        p[25] = (byte) 0xcd;
        p[26] = 10;
        p[29] = 1;
        p[30] = 10;
        p[33] = 2;
        p[35] = 53;
        p[37] = (byte) 0x99;
        p[39] = (byte) (8 + payload);
        for (int i = 0; i < payload; i++) {
            p[42 + i] = (byte) (i * 7);
        }
        return p;
    }

    static final byte[] HOST = {0, 0, 0, 0, 0, 0};
    static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};
    static final byte[] MULTICAST = {1, 0, 0x5e, 0, 0, 1};
    static final byte[] OTHER = {2, 0, 0, 0, 0, 9};

    private void same(String what, ProgramType type, Asm program, TestRun run) {
        String expected;
        try (KernelProgram k = KernelProgram.load(ProgramDefinition.of(type, "diff", program.bytes(), "GPL"))) {
            expected = outcome(() -> k.testRun(run));
        }
        String actual = outcome(() -> vm.load("diff", type, program.bytes()).testRun(run));
        assertEquals(expected, actual, what);
    }

    private static String outcome(java.util.function.Supplier<TestRunResult> run) {
        try {
            TestRunResult r = run.get();
            HexFormat hex = HexFormat.of();
            return "return " + r.returnValue() + "\ndata " + hex.formatHex(r.dataOut()) + "\nctx " + hex.formatHex(r.ctxOut());
        } catch (BpfSyscallException e) {
            return "refused " + e.errnoName();
        } catch (VmException e) {
            String what = e.what();
            int colon = what.indexOf("): ");
            return "refused " + what.substring(colon + 3, what.indexOf(':', colon + 3));
        } catch (BpfException e) {
            throw e;
        }
    }

    private static TestRun data(byte[] packet) {
        return TestRun.ofData(packet);
    }

    /** r0 = *(u32 *)(ctx + off) - *(u32 *)(ctx + minus) (minus < 0: nothing subtracted). */
    private static Asm field(int off, int minus) {
        Asm a = Asm.program().ldx(Asm.W, 0, 1, off);
        if (minus >= 0) {
            a.ldx(Asm.W, 2, 1, minus).alu64Reg(Asm.SUB, 0, 2);
        }
        return a.exit();
    }

    @Test
    void xdpFields() {
        byte[] p = udp(HOST, 10);
        same("data_end - data", ProgramType.XDP, field(4, 0), data(p));
        same("data - data_meta", ProgramType.XDP, field(0, 8), data(p));
        same("ingress_ifindex", ProgramType.XDP, field(12, -1), data(p));
        same("rx_queue_index", ProgramType.XDP, field(16, -1), data(p));
        byte[] md = new byte[XDP_MD];
        Memory.putInt(md, 0, 8);
        Memory.putInt(md, 4, p.length);
        same("metadata from the context", ProgramType.XDP, field(0, 8), TestRun.ofData(p).withContext(md, XDP_MD));
        byte[] badMd = md.clone();
        Memory.putInt(badMd, 0, 6);
        same("metadata not a multiple of 4", ProgramType.XDP, field(0, 8), TestRun.ofData(p).withContext(badMd, XDP_MD));
        same("packet too short", ProgramType.XDP, field(4, 0), data(new byte[13]));
        same("packet too long", ProgramType.XDP, field(4, 0), data(new byte[3521]));
        same("longest packet", ProgramType.XDP, field(4, 0), data(new byte[3520]));
        byte[] fragmented = new byte[3520 + 2 * 4096 + 100];
        for (int i = 0; i < fragmented.length; i++) {
            fragmented[i] = (byte) (i * 31);
        }
        same("fragments: linear part", ProgramType.XDP, field(4, 0), data(fragmented));
        same("fragments: buffer length", ProgramType.XDP, Asm.program().call(188).exit(), data(fragmented));
        for (int delta : new int[] {-50, -100, -4196, -4197, -8292, -8293, -20000, 10, 3996, 3997}) {
            same("fragments: adjust_tail " + delta, ProgramType.XDP, Asm.program().mov(2, delta).call(65).exit(),
                    data(fragmented));
        }
        for (int off : new int[] {3516, 3520, 7612, 7620, 11700, 11712, 11713}) {
            Asm load = Asm.program().mov(2, off).movReg(3, 10).alu64(Asm.ADD, 3, -8).mov(4, 8).call(189)
                    .jmp(Asm.JNE, 0, 0, 1).ldx(Asm.W, 0, 10, -8).exit();
            same("fragments: xdp_load_bytes at " + off, ProgramType.XDP, load, data(fragmented));
        }
        same("too many fragments", ProgramType.XDP, field(4, 0), data(new byte[3520 + 17 * 4096 + 1]));
        same("no room for data out", ProgramType.XDP, field(4, 0), data(p).withDataOutSize(10));
    }

    @Test
    void xdpAdjustHeadTailAndMeta() {
        byte[] p = udp(HOST, 20);
        for (int delta : new int[] {-4, 4, -200, -216, -217, -300, 48, 49, 0}) {
            same("adjust_head " + delta, ProgramType.XDP, Asm.program().mov(2, delta).call(44).exit(), data(p));
        }
        for (int delta : new int[] {-8, -48, -49, 100, 3000, 3434, 3435, 3500}) {
            same("adjust_tail " + delta, ProgramType.XDP, Asm.program().mov(2, delta).call(65).exit(), data(p));
        }
        for (int delta : new int[] {-4, -8, -6, -252, -256, 4}) {
            same("adjust_meta " + delta, ProgramType.XDP, Asm.program().mov(2, delta).call(54).exit(), data(p));
        }
        // adjust_head(-8); if (data + 8 > data_end) return 1; *(u64 *)data = 0x1122334455667788; return 2
        Asm write = Asm.program().movReg(6, 1).mov(2, -8).call(44)
                .ldx(Asm.W, 2, 6, 0).ldx(Asm.W, 3, 6, 4).movReg(4, 2).alu64(Asm.ADD, 4, 8)
                .raw(0x2d, 4, 3, 5, 0) // if r4 > r3 goto +5
                .lddw(5, 0, 0x1122334455667788L).stx(Asm.DW, 2, 5, 0).mov(0, 2).exit()
                .mov(0, 1).exit();
        same("write into the new head", ProgramType.XDP, write, data(p));
        // adjust_meta(-4); if (meta + 4 > data) return 1; *(u32 *)meta = 0xaabbccdd; return 2
        Asm meta = Asm.program().movReg(6, 1).mov(2, -4).call(54)
                .ldx(Asm.W, 2, 6, 8).ldx(Asm.W, 3, 6, 0).movReg(4, 2).alu64(Asm.ADD, 4, 4)
                .raw(0x2d, 4, 3, 3, 0)
                .st(Asm.W, 2, 0, 0xaabbccdd).mov(0, 2).exit()
                .mov(0, 1).exit();
        same("metadata written by the program", ProgramType.XDP, meta, data(p));
    }

    @Test
    void xdpBytesAndRedirect() {
        byte[] p = udp(HOST, 20);
        // xdp_load_bytes(ctx, off, fp-8, 8); return *(u32 *)(fp-8) (or the error)
        for (int off : new int[] {0, 14, 54, 55, 100}) {
            Asm load = Asm.program().mov(2, off).movReg(3, 10).alu64(Asm.ADD, 3, -8).mov(4, 8).call(189)
                    .jmp(Asm.JNE, 0, 0, 1).ldx(Asm.W, 0, 10, -8).exit();
            same("xdp_load_bytes at " + off, ProgramType.XDP, load, data(p));
        }
        Asm store = Asm.program().st(Asm.DW, 10, -8, 0x55667788).mov(2, 6).movReg(3, 10).alu64(Asm.ADD, 3, -8).mov(4, 8)
                .call(190).exit();
        same("xdp_store_bytes", ProgramType.XDP, store, data(p));
        same("xdp_get_buff_len", ProgramType.XDP, Asm.program().call(188).exit(), data(p));
        same("redirect", ProgramType.XDP, Asm.program().mov(1, 3).mov(2, 0).call(23).exit(), data(p));
        same("redirect with flags", ProgramType.XDP, Asm.program().mov(1, 3).mov(2, 1).call(23).exit(), data(p));
    }

    @Test
    void skbFieldsSeenByTc() {
        int[] fields = {0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 64, 68, 72, 84, 160, 164, 176};
        byte[] ctx = new byte[SK_BUFF];
        Memory.putInt(ctx, 8, 77); // mark
        Memory.putInt(ctx, 32, 5); // priority
        Memory.putInt(ctx, 36, 3); // ingress_ifindex
        Memory.putInt(ctx, 48, 0x1234); // cb[0]
        Memory.putInt(ctx, 64, 99); // cb[4]
        Memory.putLong(ctx, 152, 123456789L); // tstamp
        Memory.putInt(ctx, 164, 2); // gso_segs
        Memory.putInt(ctx, 176, 1400); // gso_size
        for (byte[] dst : new byte[][] {HOST, BROADCAST, MULTICAST, OTHER}) {
            byte[] p = udp(dst, 30);
            for (int off : fields) {
                same("__sk_buff at " + off, ProgramType.SCHED_CLS, field(off, -1), TestRun.ofData(p).withContext(ctx,
                        SK_BUFF));
            }
            same("data_end - data", ProgramType.SCHED_CLS, field(80, 76), data(p));
            same("tstamp (8 bytes)", ProgramType.SCHED_CLS, Asm.program().ldx(Asm.DW, 0, 1, 152).exit(),
                    TestRun.ofData(p).withContext(ctx, SK_BUFF));
        }
        byte[] nonIp = udp(HOST, 30);
        nonIp[12] = 0x05; // a length field (802.3), not an EtherType
        nonIp[13] = (byte) 0xdc;
        same("802.2 protocol", ProgramType.SCHED_CLS, field(16, -1), data(nonIp));
        nonIp[14] = -1;
        nonIp[15] = -1;
        same("raw 802.3 protocol", ProgramType.SCHED_CLS, field(16, -1), data(nonIp));
        byte[] wire = ctx.clone();
        Memory.putInt(wire, 160, 1000);
        same("wire_len", ProgramType.SCHED_CLS, field(160, -1), TestRun.ofData(udp(HOST, 30)).withContext(wire, SK_BUFF));
        byte[] bad = ctx.clone();
        bad[0] = 1;
        same("len is not settable", ProgramType.SCHED_CLS, field(0, -1), TestRun.ofData(udp(HOST, 30)).withContext(bad,
                SK_BUFF));
        same("packet too short", ProgramType.SCHED_CLS, field(0, -1), data(new byte[13]));
    }

    @Test
    void skbWritesComeBackInTheContext() {
        Asm writes = Asm.program().st(Asm.W, 1, 8, 7).st(Asm.W, 1, 32, 9).st(Asm.W, 1, 56, 5).st(Asm.W, 1, 44, 3)
                .st(Asm.DW, 1, 152, 100).st(Asm.W, 1, 72, 4).mov(0, 0).exit();
        same("tc writes", ProgramType.SCHED_CLS, writes, TestRun.ofData(udp(HOST, 10)).withContext(new byte[SK_BUFF], SK_BUFF));
        Asm cb = Asm.program().st(Asm.W, 1, 52, 11).mov(0, 0).exit();
        same("socket filter cb", ProgramType.SOCKET_FILTER, cb, TestRun.ofData(udp(HOST, 10)).withContext(new byte[SK_BUFF],
                SK_BUFF));
    }

    @Test
    void cgroupSkbSeesTheSocketAddresses() {
        // cb[0] = family, cb[1] = remote_ip4, cb[2] = local_ip4, cb[3] = remote_ip6[3], cb[4] = len; return 1
        Asm p = Asm.program()
                .ldx(Asm.W, 2, 1, 88).stx(Asm.W, 1, 2, 48)
                .ldx(Asm.W, 2, 1, 92).stx(Asm.W, 1, 2, 52)
                .ldx(Asm.W, 2, 1, 96).stx(Asm.W, 1, 2, 56)
                .ldx(Asm.W, 2, 1, 112).stx(Asm.W, 1, 2, 60)
                .ldx(Asm.W, 2, 1, 0).stx(Asm.W, 1, 2, 64)
                .mov(0, 1).exit();
        same("ipv4", ProgramType.CGROUP_SKB, p, TestRun.ofData(udp(HOST, 10)).withContext(new byte[SK_BUFF], SK_BUFF));
        byte[] v6 = new byte[14 + 40 + 8];
        v6[12] = (byte) 0x86;
        v6[13] = (byte) 0xdd;
        v6[14] = 0x60;
        for (int i = 0; i < 32; i++) {
            v6[22 + i] = (byte) (i + 1);
        }
        same("ipv6", ProgramType.CGROUP_SKB, p, TestRun.ofData(v6).withContext(new byte[SK_BUFF], SK_BUFF));
        same("short ipv4", ProgramType.CGROUP_SKB, p, TestRun.ofData(java.util.Arrays.copyOf(udp(HOST, 0), 30))
                .withContext(new byte[SK_BUFF], SK_BUFF));
    }

    @Test
    void socketFilterPacketAccess() {
        byte[] p = udp(OTHER, 16);
        same("len from the network header", ProgramType.SOCKET_FILTER, field(0, -1), data(p));
        for (int off : new int[] {0, 9, 12, 20, 40, 41, 43, 44}) {
            same("ld_abs_w " + off, ProgramType.SOCKET_FILTER, Asm.program().movReg(6, 1).raw(0x20, 0, 0, 0, off).exit(),
                    data(p));
            same("ld_abs_b " + off, ProgramType.SOCKET_FILTER, Asm.program().movReg(6, 1).raw(0x30, 0, 0, 0, off).exit(),
                    data(p));
        }
        same("ld_ind_h", ProgramType.SOCKET_FILTER, Asm.program().movReg(6, 1).mov(7, 10).raw(0x48, 0, 7, 0, 6).exit(),
                data(p));
        same("ld_abs at SKF_LL_OFF", ProgramType.SOCKET_FILTER,
                Asm.program().movReg(6, 1).raw(0x28, 0, 0, 0, -0x200000 + 12).exit(), data(p));
        same("ld_abs at SKF_NET_OFF", ProgramType.SOCKET_FILTER,
                Asm.program().movReg(6, 1).raw(0x30, 0, 0, 0, -0x100000 + 9).exit(), data(p));
    }

    @Test
    void skbHelpers() {
        byte[] p = udp(HOST, 24);
        for (int off : new int[] {0, 12, 58, 59, 70}) {
            Asm load = Asm.program().mov(2, off).movReg(3, 10).alu64(Asm.ADD, 3, -8).mov(4, 8).call(26)
                    .jmp(Asm.JNE, 0, 0, 1).ldx(Asm.W, 0, 10, -8).exit();
            same("skb_load_bytes at " + off, ProgramType.SCHED_CLS, load, data(p));
        }
        Asm store = Asm.program().st(Asm.DW, 10, -8, 0x01020304).mov(2, 30).movReg(3, 10).alu64(Asm.ADD, 3, -8).mov(4, 8)
                .mov(5, 0).call(9).exit();
        same("skb_store_bytes", ProgramType.SCHED_CLS, store, data(p));
        // l3_csum_replace(skb, 24, old, new, size): the IPv4 checksum after changing the TTL/protocol word
        for (int size : new int[] {2, 4, 0, 3}) {
            Asm l3 = Asm.program().mov(2, 24).mov(3, size == 0 ? 0 : 0x1140).mov(4, 0x2240).mov(5, size).call(10)
                    .exit();
            same("l3_csum_replace size " + size, ProgramType.SCHED_CLS, l3, data(p));
        }
        for (int flags : new int[] {4, 2, 0x14, 0x22, 0x34}) {
            Asm l4 = Asm.program().mov(2, 40).mov(3, 0x0a000001).mov(4, 0x0a000009).mov(5, flags).call(11).exit();
            same("l4_csum_replace flags " + Integer.toHexString(flags), ProgramType.SCHED_CLS, l4, data(p));
        }
        Asm zeroSum = Asm.program().mov(2, 40).mov(3, 1).mov(4, 2).mov(5, 0x22).call(11).exit();
        byte[] noUdpSum = p.clone();
        same("l4_csum_replace keeps a zero UDP checksum", ProgramType.SCHED_CLS, zeroSum, data(noUdpSum));
        // csum_diff(fp-16, 8, fp-8, 8, seed) over stack words
        for (int[] c : new int[][] {{8, 8, 0}, {0, 8, 0x1234}, {8, 0, 0x1234}, {4, 8, -1}, {0, 0, 77}, {6, 8, 0}}) {
            Asm diff = Asm.program().st(Asm.DW, 10, -16, 0x12345678).st(Asm.W, 10, -12, 0x9abcdef0)
                    .st(Asm.DW, 10, -8, 0x0badf00d)
                    .movReg(1, 10).alu64(Asm.ADD, 1, -16).mov(2, c[0]).movReg(3, 10).alu64(Asm.ADD, 3, -8).mov(4, c[1])
                    .mov(5, c[2]).call(28).exit();
            same("csum_diff " + java.util.Arrays.toString(c), ProgramType.SCHED_CLS, diff, data(p));
        }
        same("redirect", ProgramType.SCHED_CLS, Asm.program().mov(1, 1).mov(2, 0).call(23).exit(), data(p));
        same("redirect to ingress", ProgramType.SCHED_CLS, Asm.program().mov(1, 1).mov(2, 1).call(23).exit(), data(p));
        same("redirect with bad flags", ProgramType.SCHED_CLS, Asm.program().mov(1, 1).mov(2, 4).call(23).exit(), data(p));
        same("pull_data", ProgramType.SCHED_CLS, Asm.program().mov(2, 40).call(39).exit(), data(p));
        same("pull_data past the end", ProgramType.SCHED_CLS, Asm.program().mov(2, 4000).call(39).exit(), data(p));
    }

    @Test
    void rawTracepointArguments() {
        byte[] args = new byte[16];
        Memory.putLong(args, 8, 0xfeedface_cafeL);
        same("argument 1", ProgramType.RAW_TRACEPOINT, Asm.program().ldx(Asm.DW, 0, 1, 8).exit(),
                new TestRun(new byte[0], 0, args, 0, 0, 0, 0));
    }
}
