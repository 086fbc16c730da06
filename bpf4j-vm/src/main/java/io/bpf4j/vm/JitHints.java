package io.bpf4j.vm;

import io.bpf4j.ProgramType;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Where the base register of each load and store of a function probably points, so that
 * compiled code can check the access against that region with a subtraction and two
 * comparisons and HotSpot can hoist the region's fields out of loops. A guess, never
 * trusted: the check fails over to {@link Memory}'s full lookup whenever the address is
 * elsewhere, so a wrong guess costs time, not correctness.
 *
 * <p>A hint is {@link #UNKNOWN}, {@link #FRAME} (the function's own stack frame), a
 * constant region (map values named by ld_imm64, the context or input memory in r1, the
 * packet pointers a context yields) encoded by {@link #region}, or the value an
 * instruction produced (a helper's result, a 64-bit load), encoded by {@link #def}: the
 * compiled code looks its region up once, right after that instruction. A forward
 * dataflow over the function follows pointers through moves, additions and 64-bit stack
 * spills.
 */
final class JitHints {
    static final int UNKNOWN = 0;
    static final int FRAME = -1;
    private static final int SLOTS = Memory.STACK_SIZE / 8;
    /** Above this many instructions a function's spill slots are not followed (memory for the states). */
    private static final int MAX_SLOT_TRACKING = 50_000;

    /** Hint of the base register of the access at each instruction of the function (index pc - start). */
    final int[] base;
    private final int start;

    private JitHints(int start, int[] base) {
        this.start = start;
        this.base = base;
    }

    int baseAt(int pc) {
        return base[pc - start];
    }

    static int region(int id) {
        return -2 - id;
    }

    static boolean isRegion(int hint) {
        return hint <= -2;
    }

    static int regionId(int hint) {
        return -2 - hint;
    }

    static int def(int pc) {
        return pc + 1;
    }

    static boolean isDef(int hint) {
        return hint > 0;
    }

    static int defPc(int hint) {
        return hint - 1;
    }

    /**
     * Follows pointers through function {@code f} of {@code code}. In the program's first
     * function r1 holds the context (typed programs) or the input memory.
     */
    static JitHints of(Code code, JitPlan.Function f, Region[] regions) {
        return new Analysis(code, f, regions).run();
    }

    private static final class Analysis {
        private final Code code;
        private final long[] insns;
        private final JitPlan.Function f;
        private final Region[] regions;
        private final int width;
        private final int[][] entry;
        private final int[] base;

        Analysis(Code code, JitPlan.Function f, Region[] regions) {
            this.code = code;
            this.insns = code.insns;
            this.f = f;
            this.regions = regions;
            this.width = Interpreter.REGISTERS + (f.end() - f.start() <= MAX_SLOT_TRACKING ? SLOTS : 0);
            this.entry = new int[f.end() - f.start()][];
            this.base = new int[f.end() - f.start()];
        }

        JitHints run() {
            boolean[] leader = leaders();
            int[] first = new int[width];
            first[10] = FRAME;
            if (f.start() == 0) {
                first[1] = region(code.type == ProgramType.UNSPEC ? Memory.INPUT : Memory.CONTEXT);
            }
            entry[0] = first;
            ArrayDeque<Integer> work = new ArrayDeque<>();
            work.add(f.start());
            int[] next = new int[2];
            while (!work.isEmpty()) {
                int pc = work.poll();
                int[] state = entry[pc - f.start()].clone();
                while (true) {
                    transfer(pc, state);
                    int count = JitPlan.successors(insns, pc, next);
                    if (count == 1 && !leader[next[0] - f.start()]) {
                        pc = next[0];
                        continue;
                    }
                    for (int i = 0; i < count; i++) {
                        if (merge(next[i], state)) {
                            work.add(next[i]);
                        }
                    }
                    break;
                }
            }
            return new JitHints(f.start(), base);
        }

        /** Instructions where paths meet or a branch lands: where states are kept and merged. */
        private boolean[] leaders() {
            boolean[] leader = new boolean[f.end() - f.start()];
            int[] next = new int[2];
            for (int pc = f.start(); pc < f.end(); pc = JitPlan.fallThrough(insns, pc)) {
                if (!f.reachable()[pc - f.start()]) {
                    continue;
                }
                int count = JitPlan.successors(insns, pc, next);
                for (int i = 0; i < count; i++) {
                    if (count > 1 || next[i] != JitPlan.fallThrough(insns, pc)) {
                        leader[next[i] - f.start()] = true;
                    }
                }
            }
            return leader;
        }

        /** Merges {@code state} into the entry state of {@code pc}; returns whether it changed. */
        private boolean merge(int pc, int[] state) {
            int[] known = entry[pc - f.start()];
            if (known == null) {
                entry[pc - f.start()] = state.clone();
                return true;
            }
            boolean changed = false;
            for (int i = 0; i < width; i++) {
                if (known[i] != state[i] && known[i] != UNKNOWN) {
                    known[i] = UNKNOWN;
                    changed = true;
                }
            }
            return changed;
        }

        private void transfer(int pc, int[] s) {
            long insn = insns[pc];
            int op = Op.op(insn);
            int dst = Op.dst(insn);
            int src = Op.src(insn);
            int off = Op.off(insn);
            switch (op) {
                case Op.MOV64_REG -> s[dst] = s[src];
                case Op.ADD64_IMM, Op.SUB64_IMM -> { }
                case Op.ADD64_REG -> s[dst] = s[dst] != UNKNOWN ? s[dst] : s[src];
                case Op.SUB64_REG -> s[dst] = s[src] != UNKNOWN ? UNKNOWN : s[dst];
                case Op.LDDW -> s[dst] = constant(insns[pc + 1]);
                case Op.LDX_DW -> {
                    base[pc - f.start()] = s[src];
                    int slot = (off & 7) == 0 ? slot(src, off, 8) : -1;
                    s[dst] = slot >= 0 && s[slot] != UNKNOWN ? s[slot] : def(pc);
                }
                case Op.LDX_W -> {
                    base[pc - f.start()] = s[src];
                    s[dst] = s[src] == region(Memory.CONTEXT) && packetPointer(off) ? region(Memory.PACKET) : UNKNOWN;
                }
                case Op.LDX_B, Op.LDX_H, Op.LDXS_B, Op.LDXS_H, Op.LDXS_W, Op.LOAD_ACQ_B, Op.LOAD_ACQ_H,
                        Op.LOAD_ACQ_W, Op.LOAD_ACQ_DW -> {
                    base[pc - f.start()] = s[src];
                    s[dst] = UNKNOWN;
                }
                case Op.ST_B, Op.ST_H, Op.ST_W, Op.ST_DW, Op.STX_B, Op.STX_H, Op.STX_W, Op.STX_DW,
                        Op.STORE_REL_B, Op.STORE_REL_H, Op.STORE_REL_W, Op.STORE_REL_DW -> {
                    base[pc - f.start()] = s[dst];
                    int size = 1 << ((op - Op.ST_B) & 3);
                    int slot = slot(dst, off, size);
                    if (slot >= 0) {
                        s[slot] = op == Op.STX_DW && (off & 7) == 0 ? s[src] : UNKNOWN;
                    }
                }
                case Op.ATOMIC_W, Op.ATOMIC_DW -> {
                    base[pc - f.start()] = s[dst];
                    s[src] = UNKNOWN;
                }
                case Op.CMPXCHG_W, Op.CMPXCHG_DW -> {
                    base[pc - f.start()] = s[dst];
                    s[0] = UNKNOWN;
                }
                case Op.CALL_HELPER -> s[0] = Op.imm(insn) == Interpreter.TAIL_CALL_HELPER ? UNKNOWN : def(pc);
                case Op.CALL_LOCAL, Op.CALLX -> {
                    s[0] = def(pc);
                    Arrays.fill(s, 1, 6, UNKNOWN);
                }
                case Op.LD_ABS_B, Op.LD_ABS_H, Op.LD_ABS_W, Op.LD_IND_B, Op.LD_IND_H, Op.LD_IND_W -> s[0] = UNKNOWN;
                default -> {
                    if (op < Op.JA) { // every other ALU operation makes a number
                        s[dst] = UNKNOWN;
                    }
                }
            }
        }

        /** The state index of the 8-byte spill slot {@code [r10 + off]} an access of {@code size} bytes hits, or -1. */
        private int slot(int reg, int off, int size) {
            if (reg != 10 || width == Interpreter.REGISTERS || off < -Memory.STACK_SIZE || off > -size) {
                return -1;
            }
            return Interpreter.REGISTERS + (off + Memory.STACK_SIZE) / 8; // a narrower store spoils its slot
        }

        private int constant(long value) {
            int id = Memory.regionId(value);
            if (id == 0 || id == Memory.FUNCTIONS || id >= regions.length && id >= Memory.LOCAL_REGIONS) {
                return UNKNOWN;
            }
            return region(id);
        }

        /** Whether a 4-byte context load at {@code offset} yields a packet pointer (the kernel rewrites it so). */
        private boolean packetPointer(int offset) {
            return XdpContext.handles(code.type) ? XdpContext.yieldsPacketPointer(offset)
                    : SkbContext.handles(code.type) && SkbContext.yieldsPacketPointer(offset);
        }
    }
}
