package io.bpf4j.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The compiled code's loads and stores through an expected whole region must do what
 * {@link Memory} does, the interpreter's path, at every offset around both ends of the
 * region, for every size, for regions shorter than the access, for read-only regions,
 * and for addresses in another region: the same value, the same bytes written, or the
 * same fault.
 */
class JitRuntimeTest {
    private static final int[] SIZES = {1, 2, 4, 8};
    private static final int[] LENGTHS = {0, 1, 2, 3, 4, 7, 8, 9, 16};

    @Test
    void wholeRegionAccessesAgreeWithMemoryAtEveryEdge() {
        SplittableRandom random = new SplittableRandom(7);
        try (Vm vm = Vm.builder().engine(Vm.Engine.INTERPRETER).build()) {
            for (int length : LENGTHS) {
                for (boolean readOnly : new boolean[] {false, true}) {
                    byte[] initial = new byte[length];
                    random.nextBytes(initial);
                    for (int size : SIZES) {
                        for (long addr : addresses(length)) {
                            long value = random.nextLong();
                            String where = "length " + length + (readOnly ? " read-only" : "") + ", size " + size
                                    + ", address 0x" + Long.toHexString(addr);
                            assertEquals(run(vm, initial, readOnly, m -> m.load(size, addr)),
                                    run(vm, initial, readOnly, m -> m.jitLoad(size, addr)), "load, " + where);
                            assertEquals(run(vm, initial, readOnly, m -> m.store(size, addr, value)),
                                    run(vm, initial, readOnly, m -> m.jitStore(size, addr, value)), "store, " + where);
                        }
                    }
                }
            }
        }
    }

    /** Every offset from before the start to past the end of the input region, and addresses in other regions. */
    private static long[] addresses(int length) {
        long[] a = new long[length + 20 + 4];
        for (int off = -10; off < length + 10; off++) {
            a[off + 10] = Memory.address(Memory.INPUT, off);
        }
        a[length + 20] = Memory.address(Memory.PACKET, 0);
        a[length + 21] = Memory.address(Memory.INPUT + 1, 0);
        a[length + 22] = Memory.address(Memory.INPUT, Integer.MIN_VALUE);
        a[length + 23] = Memory.address(Memory.INPUT, Integer.MAX_VALUE);
        return a;
    }

    private interface Access {
        long apply(Accessor m);
    }

    /** The input region of a fresh execution, holding {@code initial}, accessed as Memory or as compiled code does. */
    private record Accessor(Memory mem, Region region) {
        long load(int size, long addr) {
            return switch (size) {
                case 1 -> mem.load8(addr);
                case 2 -> mem.load16(addr);
                case 4 -> mem.load32(addr);
                default -> mem.load64(addr);
            };
        }

        long jitLoad(int size, long addr) {
            Region r = JitRuntime.whole(region);
            long base = Memory.address(Memory.INPUT, 0);
            return switch (size) {
                case 1 -> JitRuntime.load8(r, base, addr, mem);
                case 2 -> JitRuntime.load16(r, base, addr, mem);
                case 4 -> JitRuntime.load32(r, base, addr, mem);
                default -> JitRuntime.load64(r, base, addr, mem);
            };
        }

        long store(int size, long addr, long value) {
            switch (size) {
                case 1 -> mem.store8(addr, value);
                case 2 -> mem.store16(addr, value);
                case 4 -> mem.store32(addr, value);
                default -> mem.store64(addr, value);
            }
            return 0;
        }

        long jitStore(int size, long addr, long value) {
            Region r = JitRuntime.whole(region);
            long base = Memory.address(Memory.INPUT, 0);
            switch (size) {
                case 1 -> JitRuntime.store8(r, base, addr, value, mem);
                case 2 -> JitRuntime.store16(r, base, addr, value, mem);
                case 4 -> JitRuntime.store32(r, base, addr, value, mem);
                default -> JitRuntime.store64(r, base, addr, value, mem);
            }
            return 0;
        }
    }

    /** The value, or the fault's message, then the region's bytes afterwards. */
    private static String run(Vm vm, byte[] initial, boolean readOnly, Access access) {
        Execution ex = new Execution(vm);
        byte[] bytes = initial.clone();
        Region region = Region.data(Region.Kind.MEMORY, "input", bytes);
        region.readOnly = readOnly;
        ex.mem.setLocal(Memory.INPUT, region);
        String outcome;
        try {
            outcome = Long.toHexString(access.apply(new Accessor(ex.mem, region)));
        } catch (VmException e) {
            outcome = e.getMessage();
        }
        return outcome + " " + Arrays.toString(bytes);
    }
}
