package io.bpf4j.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Helpers called from programs, with the kernel's arguments and results. */
@ParameterizedClass(name = "{0}")
@EnumSource(Vm.Engine.class)
class HelpersTest {
    private final List<String> trace = new ArrayList<>();
    private final Vm.Engine engine;
    private final Vm vm;
    private static final TestRun RAW_TP = new TestRun(new byte[0], 0, new byte[0], 0, 1, 0, 0);

    HelpersTest(Vm.Engine engine) {
        this.engine = engine;
        this.vm = Vm.builder().engine(engine).cpus(2).tracePrintk(trace::add).clock(VmClock.fixed(123_456_789))
            .task(new VmTask(7, 5, 1000, 100, "a-very-long-command-name")).build();
    }

    private long run(Asm p) {
        return vm.load("t", ProgramType.UNSPEC, p.bytes()).run(new byte[0]);
    }

    /** trace_printk(fmt on the stack at fp-64, size, r3, r4, r5). */
    private String printk(String fmt, long a1, long a2, long a3) {
        trace.clear();
        Asm p = Asm.program().string(-64, fmt).lddw(3, 0, a1).lddw(4, 0, a2).lddw(5, 0, a3)
                .movReg(1, 10).alu64(Asm.ADD, 1, -64).mov(2, fmt.length() + 1).call(6).exit();
        long r = run(p);
        if (r < 0) {
            return "error " + r;
        }
        assertEquals(1, trace.size());
        assertEquals(trace.get(0).length(), r);
        return trace.get(0);
    }

    @Test
    void tracePrintkFormatsAsTheKernelDoes() {
        assertEquals("n=-5 u=4294967291 x=fffffffb\n", printk("n=%d u=%u x=%x\n", -5, -5, -5));
        assertEquals("[   42] [42   ] [00042]", printk("[%5d] [%-5d] [%05d]", 42, 42, 42));
        assertEquals("-9223372036854775808 18446744073709551615 FF", printk("%lld %llu %lX", Long.MIN_VALUE, -1, 255));
        assertEquals("100% c=A +7", printk("100%% c=%c %+d", 'A', 7, 0));
        assertEquals("p=000000000000abcd (null)", printk("p=%p %p", 0xabcd, 0, 0));
    }

    @Test
    void tracePrintkRefusesWhatTheKernelRefuses() {
        assertEquals("error " + -Errno.EINVAL, printk("%d %d %d %d", 1, 2, 3));
        assertEquals("error " + -Errno.EINVAL, printk("%f", 1, 2, 3));
        assertEquals("error " + -Errno.EINVAL, printk("%.3d", 1, 2, 3));
        assertEquals("error " + -Errno.EINVAL, printk("%sx", 1, 2, 3));
        assertEquals("error " + -Errno.EINVAL, printk("tab\u0001", 1, 2, 3));
    }

    @Test
    void tracePrintkReadsStringsAndAddresses() {
        // "%s %pI4" with both arguments pointing into the stack
        Asm p = Asm.program().string(-32, "hi").st(Asm.W, 10, -40, 0x0101a8c0).string(-64, "%s %pI4")
                .movReg(3, 10).alu64(Asm.ADD, 3, -32).movReg(4, 10).alu64(Asm.ADD, 4, -40)
                .movReg(1, 10).alu64(Asm.ADD, 1, -64).mov(2, 8).call(6).exit();
        run(p);
        assertEquals(List.of("hi 192.168.1.1"), trace);
    }

    @Test
    void snprintfWritesAndReturnsTheLengthWithTheNul() {
        // args at fp-16: u64 7; fmt "v=%d!" at fp-32; out at fp-48 (4 bytes only)
        Asm p = Asm.program().st(Asm.DW, 10, -16, 7).string(-32, "v=%d!")
                .movReg(1, 10).alu64(Asm.ADD, 1, -48).mov(2, 4)
                .movReg(3, 10).alu64(Asm.ADD, 3, -32)
                .movReg(4, 10).alu64(Asm.ADD, 4, -16).mov(5, 8)
                .call(165).movReg(6, 0)
                .ldx(Asm.W, 0, 10, -48).alu64(Asm.LSH, 0, 8).alu64Reg(Asm.OR, 0, 6).exit();
        long r = run(p);
        assertEquals(5, r & 0xff); // "v=7!" plus NUL
        assertEquals("v=7", new String(MapsTest.u32((int) (r >>> 8)), StandardCharsets.US_ASCII).trim());
    }

    @Test
    void identityAndTimeHelpers() {
        assertEquals(123_456_789, run(Asm.program().call(5).exit()));
        assertEquals(100L << 32 | 1000, run(Asm.program().call(15).exit()));
        // get_current_comm(fp-16, 16) then return the first 8 bytes
        Asm comm = Asm.program().movReg(1, 10).alu64(Asm.ADD, 1, -16).mov(2, 16).call(16)
                .ldx(Asm.DW, 0, 10, -16).exit();
        assertEquals("a-very-l", new String(MapsTest.u64(run(comm)), StandardCharsets.US_ASCII));
        Asm tail = Asm.program().movReg(1, 10).alu64(Asm.ADD, 1, -16).mov(2, 16).call(16)
                .ldx(Asm.DW, 0, 10, -8).exit();
        assertEquals("ong-com\0", new String(MapsTest.u64(run(tail)), StandardCharsets.US_ASCII));
    }

    @Test
    void mapHelpersShareTheValueMemoryWithUserspace() {
        VmMap counts = vm.createMap(VmMapSpec.of("counts", MapType.HASH, 4, 8, 4));
        // key 3 at fp-4; v = lookup; if (!v) { update(key, zero, ANY); v = lookup } ; lock xadd *v += 5
        Asm p = Asm.program()
                .st(Asm.W, 10, -4, 3).st(Asm.DW, 10, -16, 0)
                .map(1, counts).movReg(2, 10).alu64(Asm.ADD, 2, -4).call(1)
                .jmp(Asm.JNE, 0, 0, 8)
                .map(1, counts).movReg(2, 10).alu64(Asm.ADD, 2, -4).movReg(3, 10).alu64(Asm.ADD, 3, -16).mov(4, 0)
                .call(2)
                .map(1, counts).movReg(2, 10).alu64(Asm.ADD, 2, -4).call(1)
                .jmp(Asm.JEQ, 0, 0, 2)
                .mov(1, 5).raw(0xdb, 0, 1, 0, 0) // lock *(u64 *)(r0 + 0) += r1
                .mov(0, 0).exit();
        VmProgram prog = vm.load("count", ProgramType.UNSPEC, p.bytes());
        prog.run(new byte[0]);
        prog.run(new byte[0]);
        assertArrayEquals(MapsTest.u64(10), counts.lookup(MapsTest.u32(3)).orElseThrow());
    }

    @Test
    void perCpuLookupsSeeTheRunsCpu() {
        VmMap pa = vm.createMap(VmMapSpec.of("pa", MapType.PERCPU_ARRAY, 4, 8, 1));
        Asm p = Asm.program().st(Asm.W, 10, -4, 0).map(1, pa).movReg(2, 10).alu64(Asm.ADD, 2, -4).call(1)
                .jmp(Asm.JEQ, 0, 0, 1).st(Asm.DW, 0, 0, 77).mov(0, 0).exit();
        vm.load("pc", ProgramType.RAW_TRACEPOINT, p.bytes()).testRun(new TestRun(new byte[0], 0, new byte[0], 0, 1, 1, 1));
        byte[] both = pa.lookup(MapsTest.u32(0)).orElseThrow();
        assertEquals(0, Memory.getLong(both, 0));
        assertEquals(77, Memory.getLong(both, 8));
    }

    @Test
    void tailCallsStopAfterThirtyThree() {
        VmMap hits = vm.createMap(VmMapSpec.of("hits", MapType.ARRAY, 4, 8, 1));
        VmMap jumps = vm.createMap(VmMapSpec.of("jumps", MapType.PROG_ARRAY, 4, 4, 1));
        // hits[0] += 1; tail_call(ctx, jumps, 0); return 0
        Asm p = Asm.program().movReg(6, 1)
                .st(Asm.W, 10, -4, 0).map(1, hits).movReg(2, 10).alu64(Asm.ADD, 2, -4).call(1)
                .jmp(Asm.JEQ, 0, 0, 2).mov(1, 1).raw(0xdb, 0, 1, 0, 0)
                .movReg(1, 6).map(2, jumps).mov(3, 0).call(12)
                .mov(0, 0).exit();
        VmProgram prog = vm.load("again", ProgramType.RAW_TRACEPOINT, p.bytes());
        jumps.update(MapsTest.u32(0), MapsTest.u32(prog.fd()), BpfMap.UPDATE_ANY);
        prog.testRun(RAW_TP);
        assertArrayEquals(MapsTest.u64(34), hits.lookup(MapsTest.u32(0)).orElseThrow());
    }

    @Test
    void ringBufferRecordsFromAProgram() {
        VmRingBuffer events = (VmRingBuffer) vm.createMap(VmMapSpec.of("events", MapType.RINGBUF, 0, 0, 4096));
        // p = reserve(events, 8, 0); if (!p) return 1; *(u64 *)p = 0x1122; submit(p, 0); return 0
        Asm p = Asm.program().map(1, events).mov(2, 8).mov(3, 0).call(131)
                .jmp(Asm.JNE, 0, 0, 2).mov(0, 1).exit()
                .st(Asm.DW, 0, 0, 0x1122).movReg(1, 0).mov(2, 0).call(132).mov(0, 0).exit();
        assertEquals(0, run(p));
        List<byte[]> got = new ArrayList<>();
        events.poll(got::add);
        assertEquals(1, got.size());
        assertArrayEquals(MapsTest.u64(0x1122), got.get(0));
    }

    @Test
    void loopCallsTheCallbackUntilItAsksToStop() {
        // r0 = bpf_loop(10, cb, fp-8 (ctx), 0); return r0 * 1000 + *(fp-8)
        // cb(i, ctx): *ctx += i; return i == 6
        Asm p = Asm.program().st(Asm.DW, 10, -8, 0)
                .mov(1, 10).lddw(2, 4, 9).movReg(3, 10).alu64(Asm.ADD, 3, -8).mov(4, 0).call(181)
                .alu64(Asm.MUL, 0, 1000).ldx(Asm.DW, 1, 10, -8).alu64Reg(Asm.ADD, 0, 1).exit()
                // cb at pc 13
                .ldx(Asm.DW, 3, 2, 0).alu64Reg(Asm.ADD, 3, 1).stx(Asm.DW, 2, 3, 0)
                .mov(0, 0).jmp(Asm.JNE, 1, 6, 1).mov(0, 1).exit();
        assertEquals(7 * 1000 + 21, run(p));
    }

    @Test
    void forEachMapElementVisitsEveryKey() {
        VmMap h = vm.createMap(VmMapSpec.of("h", MapType.HASH, 4, 8, 8));
        for (int i = 1; i <= 3; i++) {
            h.update(MapsTest.u32(i), MapsTest.u64(i * 10), BpfMap.UPDATE_ANY);
        }
        // for_each(h, cb, fp-8, 0) -> count; return count * 1000 + sum; cb(map, key, value, ctx): *ctx += *value
        Asm p = Asm.program().st(Asm.DW, 10, -8, 0)
                .map(1, h).lddw(2, 4, 9).movReg(3, 10).alu64(Asm.ADD, 3, -8).mov(4, 0).call(164)
                .alu64(Asm.MUL, 0, 1000).ldx(Asm.DW, 1, 10, -8).alu64Reg(Asm.ADD, 0, 1).exit()
                .ldx(Asm.DW, 5, 4, 0).ldx(Asm.DW, 6, 3, 0).alu64Reg(Asm.ADD, 5, 6).stx(Asm.DW, 4, 5, 0)
                .mov(0, 0).exit();
        assertEquals(3 * 1000 + 60, run(p));
    }

    @Test
    void strtolParsesAsTheKernelDoes() {
        // strtol(" -0x1f!", 7, 0, fp-16) -> consumed; return consumed * 1000 + result
        Asm p = Asm.program().string(-32, " -0x1f!")
                .movReg(1, 10).alu64(Asm.ADD, 1, -32).mov(2, 7).mov(3, 0).movReg(4, 10).alu64(Asm.ADD, 4, -16)
                .call(105).alu64(Asm.MUL, 0, 1000).ldx(Asm.DW, 1, 10, -16).alu64Reg(Asm.ADD, 0, 1).exit();
        assertEquals(6 * 1000 - 31, run(p));
    }

    @Test
    void probeReadUsesTheVmsMemoryThenTheCallersAndFailsWithEfault() {
        Vm probing = Vm.builder().engine(engine).probeMemory(ProbeMemory.of(0x7000, new byte[] {9, 8, 7, 6, 5, 4, 3, 2})).build();
        Asm p = Asm.program().movReg(1, 10).alu64(Asm.ADD, 1, -8).mov(2, 8).mov(3, 0x7000).call(113)
                .ldx(Asm.DW, 0, 10, -8).exit();
        assertEquals(0x0203040506070809L, probing.load("p", ProgramType.UNSPEC, p.bytes()).run(new byte[0]));
        Asm miss = Asm.program().movReg(1, 10).alu64(Asm.ADD, 1, -8).mov(2, 8).mov(3, 0x7001).call(113).exit();
        assertEquals(-Errno.EFAULT, probing.load("p", ProgramType.UNSPEC, miss.bytes()).run(new byte[0]));
    }

    @Test
    void badHelperArgumentsStopTheProgram() {
        VmException notMap = assertThrows(VmException.class,
                () -> run(Asm.program().mov(1, 12345).movReg(2, 10).call(1).exit()));
        assertEquals(VmException.Kind.HELPER_ARGUMENT, notMap.kind());
        assertTrue(notMap.what().contains("bpf_map_lookup_elem"), notMap.what());
        VmMap a = vm.createMap(VmMapSpec.of("a", MapType.ARRAY, 4, 8, 1));
        VmException badKey = assertThrows(VmException.class, () -> run(Asm.program().map(1, a).mov(2, 0).call(1).exit()));
        assertEquals(VmException.Kind.MEMORY, badKey.kind());
        VmException xdpOnly = assertThrows(VmException.class, () -> run(Asm.program().mov(2, 4).call(44).exit()));
        assertTrue(xdpOnly.what().contains("not available"), xdpOnly.what());
    }

    @Test
    void spinLockIsReleasedAndCheckedAtExit() {
        VmMap locks = vm.createMap(VmMapSpec.of("locks", MapType.ARRAY, 4, 8, 1));
        Asm lockTwice = Asm.program().st(Asm.W, 10, -4, 0).map(1, locks).movReg(2, 10).alu64(Asm.ADD, 2, -4).call(1)
                .jmp(Asm.JEQ, 0, 0, 4).movReg(6, 0).movReg(1, 6).call(93).mov(0, 0).exit()
                .mov(0, 0).exit();
        VmException e = assertThrows(VmException.class, () -> run(lockTwice));
        assertTrue(e.what().contains("holding the bpf_spin_lock"), e.what());
        assertArrayEquals(new byte[8], locks.lookup(MapsTest.u32(0)).orElseThrow()); // released
    }
}
