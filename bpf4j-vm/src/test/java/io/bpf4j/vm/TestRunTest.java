package io.bpf4j.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Test runs of each context kind, with the kernel's BPF_PROG_TEST_RUN contract. */
@ParameterizedClass(name = "{0}")
@EnumSource(Vm.Engine.class)
class TestRunTest {
    private final Vm.Engine engine;
    private final Vm vm;

    private static byte[] packet(int length) {
        byte[] p = new byte[length];
        for (int i = 0; i < length; i++) {
            p[i] = (byte) i;
        }
        p[12] = 0x08; // EtherType IPv4
        p[13] = 0x00;
        return p;
    }

    TestRunTest(Vm.Engine engine) {
        this.engine = engine;
        this.vm = Vm.builder().engine(engine).build();
    }

    @Test
    void xdpSeesThePacketThroughDataAndDataEnd() {
        // r2 = ctx->data; r3 = ctx->data_end; r0 = r3 - r2; *(u8 *)(r2 + 0) = 0xaa; return r0
        Asm p = Asm.program()
                .ldx(Asm.W, 2, 1, 0)
                .ldx(Asm.W, 3, 1, 4)
                .movReg(0, 3)
                .alu64Reg(Asm.SUB, 0, 2)
                .st(Asm.B, 2, 0, 0xaa)
                .exit();
        VmProgram prog = vm.load("xdp_len", ProgramType.XDP, p.bytes());
        byte[] in = packet(60);
        TestRunResult r = prog.testRun(TestRun.ofData(in).withRepeat(3));
        assertEquals(60, r.returnValue());
        byte[] expected = in.clone();
        expected[0] = (byte) 0xaa;
        assertArrayEquals(expected, r.dataOut());
        assertEquals(0, r.ctxOut().length);
    }

    @Test
    void xdpAdjustHeadGrowsThePacketAtTheFront() {
        // r6 = ctx; adjust_head(ctx, -4); r2 = data; *(u32 *)(r2) = 0x11223344; return 2 (XDP_PASS)
        Asm p = Asm.program()
                .movReg(6, 1)
                .mov(2, -4)
                .call(44)
                .ldx(Asm.W, 2, 6, 0)
                .st(Asm.W, 2, 0, 0x11223344)
                .mov(0, 2)
                .exit();
        TestRunResult r = vm.load("push4", ProgramType.XDP, p.bytes()).testRun(TestRun.ofData(packet(20)));
        assertEquals(2, r.returnValue());
        assertEquals(24, r.dataOut().length);
        assertArrayEquals(new byte[] {0x44, 0x33, 0x22, 0x11}, Arrays.copyOf(r.dataOut(), 4));
        assertArrayEquals(packet(20), Arrays.copyOfRange(r.dataOut(), 4, 24));
    }

    @Test
    void xdpAdjustTailLimits() {
        // return adjust_tail(ctx, r7) for a few deltas
        for (int[] c : new int[][] {{-6, 0, 14}, {-7, -Errno.EINVAL, 20}, {100, 0, 120}, {3757, -Errno.EINVAL, 20}}) {
            Asm p = Asm.program().mov(2, c[0]).call(65).exit();
            TestRunResult r = vm.load("tail", ProgramType.XDP, p.bytes()).testRun(TestRun.ofData(packet(20)));
            assertEquals(c[1] & 0xffff_ffffL, r.returnValue(), "delta " + c[0]);
            assertEquals(c[2], r.dataOut().length, "delta " + c[0]);
        }
    }

    @Test
    void xdpMetadataFromTheContextIsInDataOut() {
        // metadata of 4 bytes: xdp_md { data = 4, data_end = 24 }; return data - data_meta
        Asm p = Asm.program().ldx(Asm.W, 2, 1, 0).ldx(Asm.W, 3, 1, 8).movReg(0, 2).alu64Reg(Asm.SUB, 0, 3).exit();
        byte[] md = new byte[24];
        Memory.putInt(md, 0, 4);
        Memory.putInt(md, 4, 24);
        TestRunResult r = vm.load("meta", ProgramType.XDP, p.bytes())
                .testRun(TestRun.ofData(packet(24)).withContext(md, 24));
        assertEquals(4, r.returnValue());
        assertEquals(24, r.dataOut().length);
        assertEquals(4, Memory.getInt(r.ctxOut(), 0));
        assertEquals(24, Memory.getInt(r.ctxOut(), 4));
    }

    @Test
    void xdpContextRefusesStoresAndWideLoads() {
        VmProgram store = vm.load("s", ProgramType.XDP, Asm.program().st(Asm.W, 1, 12, 5).mov(0, 0).exit().bytes());
        VmException e = assertThrows(VmException.class, () -> store.testRun(TestRun.ofData(packet(14))));
        assertTrue(e.what().contains("struct xdp_md"), e.what());
        VmProgram wide = vm.load("w", ProgramType.XDP, Asm.program().ldx(Asm.DW, 0, 1, 0).exit().bytes());
        assertThrows(VmException.class, () -> wide.testRun(TestRun.ofData(packet(14))));
    }

    @Test
    void testRunInputIsCheckedAsTheKernelChecksIt() {
        VmProgram prog = vm.load("p", ProgramType.XDP, Asm.program().mov(0, 2).exit().bytes());
        VmException small = assertThrows(VmException.class, () -> prog.testRun(TestRun.ofData(new byte[13])));
        assertEquals(VmException.Kind.INVALID_INPUT, small.kind());
        assertTrue(small.what().contains("EINVAL"), small.what());
        VmException big = assertThrows(VmException.class,
                () -> prog.testRun(TestRun.ofData(new byte[3520 + 17 * 4096 + 1])));
        assertTrue(big.what().contains("ENOMEM"), big.what());
        VmException noRoom = assertThrows(VmException.class,
                () -> prog.testRun(TestRun.ofData(packet(30)).withDataOutSize(20)));
        assertTrue(noRoom.what().contains("ENOSPC"), noRoom.what());
    }

    @Test
    void tcSeesLengthProtocolAndWritableMark() {
        // r0 = skb->len + skb->protocol; skb->mark = skb->mark + 1
        Asm p = Asm.program()
                .ldx(Asm.W, 0, 1, 0)
                .ldx(Asm.W, 2, 1, 16)
                .alu64Reg(Asm.ADD, 0, 2)
                .ldx(Asm.W, 3, 1, 8)
                .alu64(Asm.ADD, 3, 1)
                .stx(Asm.W, 1, 3, 8)
                .exit();
        byte[] ctx = new byte[SkbContext.SIZE];
        Memory.putInt(ctx, 8, 41);
        TestRunResult r = vm.load("tc", ProgramType.SCHED_CLS, p.bytes())
                .testRun(TestRun.ofData(packet(64)).withContext(ctx, SkbContext.SIZE));
        assertEquals(64 + 8, r.returnValue()); // protocol 0x0800 in network order reads as 8
        assertEquals(42, Memory.getInt(r.ctxOut(), 8));
        assertEquals(64, Memory.getInt(r.ctxOut(), 160)); // wire_len
        assertEquals(1, Memory.getInt(r.ctxOut(), 40)); // ifindex of the loopback device
        assertArrayEquals(packet(64), r.dataOut());
    }

    @Test
    void socketFiltersStartAtTheNetworkHeaderAndGetTheEthernetHeaderBackZeroed() {
        Asm p = Asm.program().ldx(Asm.W, 0, 1, 0).exit();
        TestRunResult r = vm.load("sf", ProgramType.SOCKET_FILTER, p.bytes()).testRun(TestRun.ofData(packet(40)));
        assertEquals(26, r.returnValue());
        byte[] expected = packet(40);
        Arrays.fill(expected, 0, 14, (byte) 0);
        assertArrayEquals(expected, r.dataOut());
    }

    @Test
    void skbContextInAcceptsOnlyTheKernelsFields() {
        VmProgram prog = vm.load("tc", ProgramType.SCHED_CLS, Asm.program().mov(0, 0).exit().bytes());
        byte[] ctx = new byte[SkbContext.SIZE];
        ctx[0] = 1; // len is not settable
        VmException e = assertThrows(VmException.class,
                () -> prog.testRun(TestRun.ofData(packet(20)).withContext(ctx, SkbContext.SIZE)));
        assertTrue(e.what().contains("EINVAL"), e.what());
    }

    @Test
    void legacyPacketLoadsAreBigEndianAndEndTheProgramOutOfBounds() {
        // r6 = ctx; r0 = ldabs_h [2]: socket filters see the packet from the network header (byte 14)
        Asm p = Asm.program().movReg(6, 1).raw(0x28, 0, 0, 0, 2).exit();
        VmProgram prog = vm.load("abs", ProgramType.SOCKET_FILTER, p.bytes());
        assertEquals(0x1011, prog.testRun(TestRun.ofData(packet(40))).returnValue());
        Asm beyond = Asm.program().movReg(6, 1).mov(0, 7).raw(0x20, 0, 0, 0, 1000).exit();
        assertEquals(0, vm.load("abs2", ProgramType.SOCKET_FILTER, beyond.bytes())
                .testRun(TestRun.ofData(packet(40))).returnValue());
    }

    @Test
    void rawTracepointArgumentsAreReadOnlyBytes() {
        Asm p = Asm.program().ldx(Asm.DW, 0, 1, 8).exit();
        byte[] args = new byte[16];
        Memory.putLong(args, 8, 0x1234_5678_9abcL);
        TestRunResult r = vm.load("rtp", ProgramType.RAW_TRACEPOINT, p.bytes())
                .testRun(new TestRun(new byte[0], 0, args, 0, 1, 0, 0));
        assertEquals(0x5678_9abcL, r.returnValue()); // the kernel reports a u32
        VmProgram writer = vm.load("w", ProgramType.RAW_TRACEPOINT, Asm.program().st(Asm.DW, 1, 0, 1).mov(0, 0)
                .exit().bytes());
        assertThrows(VmException.class, () -> writer.testRun(new TestRun(new byte[0], 0, args, 0, 1, 0, 0)));
    }

    @Test
    void syscallProgramsWriteTheirContextBack() {
        Asm p = Asm.program().st(Asm.W, 1, 4, 99).mov(0, 0).exit();
        TestRunResult r = vm.load("sys", ProgramType.SYSCALL, p.bytes())
                .testRun(new TestRun(new byte[0], 0, new byte[8], 8, 1, 0, 0));
        assertEquals(99, Memory.getInt(r.ctxOut(), 4));
    }

    @Test
    void runOnCpuPicksThePerCpuCopy() {
        Vm two = Vm.builder().engine(engine).cpus(2).build();
        Asm p = Asm.program().call(8).exit();
        VmProgram prog = two.load("cpu", ProgramType.RAW_TRACEPOINT, p.bytes());
        assertEquals(1, prog.testRun(new TestRun(new byte[0], 0, new byte[0], 0, 1, 1, 1)).returnValue());
        VmException e = assertThrows(VmException.class,
                () -> prog.testRun(new TestRun(new byte[0], 0, new byte[0], 0, 1, 1, 2)));
        assertTrue(e.what().contains("ENXIO"), e.what());
    }
}
