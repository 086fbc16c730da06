package io.bpf4j.vm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * How {@link Jit} lays a program out in JVM methods: its BPF functions (instruction 0, every
 * bpf-to-bpf call target and every function pointer), the instructions reachable in each,
 * the jump targets that need labels, and, for a function too big for one JVM method that
 * HotSpot still compiles, its split into segments. Refuses, with the reason, control flow
 * that the methods cannot express: a jump from one function into another, or a function
 * that runs on into the next.
 */
final class JitPlan {
    /**
     * Estimated bytecode bytes per segment: below HotSpot's HugeMethodLimit (8000), above
     * which a method is never compiled to machine code.
     */
    static final int DEFAULT_SEGMENT_BYTES = 6500;

    /** One BPF function. */
    record Function(int start, int end, boolean[] reachable, List<Segment> segments) {
        boolean split() {
            return segments.size() > 1;
        }

        /** The segment holding instruction {@code pc}. */
        Segment segmentOf(int pc) {
            for (Segment s : segments) {
                if (pc >= s.start && pc < s.end) {
                    return s;
                }
            }
            throw new IllegalStateException("pc " + pc + " is in no segment of the function at " + start);
        }
    }

    /**
     * Instructions {@code [start, end)} of a function compiled as one JVM method; {@code entries}
     * are where control enters it from elsewhere (its start, and targets of jumps from other
     * segments), in order; {@link #entryIndex} numbers them.
     */
    record Segment(int index, int start, int end, int[] entries) {}

    final Code code;
    final List<Function> functions;

    private JitPlan(Code code, List<Function> functions) {
        this.code = code;
        this.functions = functions;
    }

    static JitPlan of(Code code, int segmentBytes) throws JitDeclined {
        long[] insns = code.insns;
        TreeSet<Integer> starts = new TreeSet<>();
        starts.add(0);
        boolean[] secondHalf = new boolean[insns.length];
        for (int pc = 0; pc < insns.length; pc++) {
            if (secondHalf[pc]) {
                continue;
            }
            long insn = insns[pc];
            int op = Op.op(insn);
            if (op == Op.CALL_LOCAL) {
                starts.add(pc + 1 + Op.imm(insn));
            } else if (op == Op.LDDW) {
                secondHalf[pc + 1] = true;
                if (isFunctionPointer(code, pc)) {
                    starts.add((int) insns[pc + 1]);
                }
            }
        }
        List<Function> functions = new ArrayList<>();
        Integer[] sorted = starts.toArray(new Integer[0]);
        for (int i = 0; i < sorted.length; i++) {
            int start = sorted[i];
            int end = i + 1 < sorted.length ? sorted[i + 1] : insns.length;
            functions.add(function(code, start, end, segmentBytes));
        }
        return new JitPlan(code, functions);
    }

    /** An ld_imm64 of a function's address (BPF_PSEUDO_FUNC), as the decoder resolved it. */
    static boolean isFunctionPointer(Code code, int pc) {
        return Memory.regionId(code.insns[pc + 1]) == Memory.FUNCTIONS && (code.raw[pc] >>> 12 & 0xf) == 4;
    }

    Function functionAt(int start) {
        for (Function f : functions) {
            if (f.start == start) {
                return f;
            }
        }
        return null;
    }

    private static Function function(Code code, int start, int end, int segmentBytes) throws JitDeclined {
        long[] insns = code.insns;
        int length = end - start;
        boolean[] reachable = new boolean[length];
        int[] work = new int[length];
        int top = 0;
        reachable[0] = true;
        work[top++] = start;
        int[] next = new int[2];
        while (top > 0) {
            int pc = work[--top];
            int count = successors(insns, pc, next);
            for (int i = 0; i < count; i++) {
                int s = next[i];
                if (s < start || s >= end) {
                    throw new JitDeclined(s == end && s == fallThrough(insns, pc)
                            ? "the function at instruction " + start + " runs on into the next one at " + end
                            : "instruction " + pc + " jumps from the function at " + start + " to instruction " + s
                                    + " of another function");
                }
                if (!reachable[s - start]) {
                    reachable[s - start] = true;
                    work[top++] = s;
                }
            }
        }
        return new Function(start, end, reachable, segments(code, start, end, reachable, segmentBytes));
    }

    /** The instruction after {@code pc} in straight-line order. */
    static int fallThrough(long[] insns, int pc) {
        return Op.op(insns[pc]) == Op.LDDW ? pc + 2 : pc + 1;
    }

    /** Where control may go after {@code pc}: fills {@code out}, returns how many (0 after exit). */
    static int successors(long[] insns, int pc, int[] out) {
        long insn = insns[pc];
        int op = Op.op(insn);
        if (op == Op.EXIT) {
            return 0;
        }
        if (op == Op.JA) {
            out[0] = pc + 1 + Op.off(insn);
            return 1;
        }
        if (op == Op.JA32) {
            out[0] = pc + 1 + Op.imm(insn);
            return 1;
        }
        if (isConditional(op)) {
            out[0] = pc + 1 + Op.off(insn);
            out[1] = pc + 1;
            return 2;
        }
        out[0] = fallThrough(insns, pc);
        return 1;
    }

    static boolean isConditional(int op) {
        return op >= Op.JEQ_IMM && op <= Op.JSLE32_REG || op == Op.MAY_GOTO;
    }

    /** Upper bounds of the bytecode one instruction becomes, for splitting big functions. */
    static int estimate(long insn) {
        int op = Op.op(insn);
        if (op == Op.CALL_HELPER) {
            return 120;
        }
        if (op == Op.CALL_LOCAL || op == Op.CALLX || op == Op.EXIT) {
            return 160;
        }
        if (op == Op.JA || op == Op.JA32 || isConditional(op)) {
            return 60;
        }
        if (op >= Op.LDX_B && op <= Op.LD_IND_W) {
            return 45;
        }
        return 20;
    }

    private static List<Segment> segments(Code code, int start, int end, boolean[] reachable, int segmentBytes) {
        long[] insns = code.insns;
        List<int[]> bounds = new ArrayList<>();
        int segmentStart = start;
        int bytes = 0;
        for (int pc = start; pc < end; pc = fallThrough(insns, pc)) {
            if (!reachable[pc - start]) {
                continue;
            }
            int size = estimate(insns[pc]);
            if (bytes + size > segmentBytes && pc > segmentStart) {
                bounds.add(new int[] {segmentStart, pc});
                segmentStart = pc;
                bytes = 0;
            }
            bytes += size;
        }
        bounds.add(new int[] {segmentStart, end});
        if (bounds.size() == 1) {
            return List.of(new Segment(0, start, end, new int[] {start}));
        }
        // Entries of each segment: its start, and every target of a jump from another segment.
        List<TreeSet<Integer>> entries = new ArrayList<>();
        for (int[] b : bounds) {
            TreeSet<Integer> set = new TreeSet<>();
            set.add(b[0]);
            entries.add(set);
        }
        int[] next = new int[2];
        for (int i = 0; i < bounds.size(); i++) {
            int[] b = bounds.get(i);
            for (int pc = b[0]; pc < b[1]; pc = fallThrough(insns, pc)) {
                if (!reachable[pc - start]) {
                    continue;
                }
                int count = successors(insns, pc, next);
                for (int k = 0; k < count; k++) {
                    int s = next[k];
                    if (s < b[0] || s >= b[1]) {
                        entries.get(indexOf(bounds, s)).add(s);
                    }
                }
            }
        }
        List<Segment> segments = new ArrayList<>();
        for (int i = 0; i < bounds.size(); i++) {
            int[] e = entries.get(i).stream().mapToInt(Integer::intValue).toArray();
            segments.add(new Segment(i, bounds.get(i)[0], bounds.get(i)[1], e));
        }
        return segments;
    }

    private static int indexOf(List<int[]> bounds, int pc) {
        for (int i = 0; i < bounds.size(); i++) {
            if (pc >= bounds.get(i)[0] && pc < bounds.get(i)[1]) {
                return i;
            }
        }
        throw new IllegalStateException("pc " + pc + " in no segment");
    }

    /**
     * Where control enters a split function's segment at {@code pc}: the segment's index in
     * the high half, the entry's index among the segment's entries in the low half.
     */
    static int entryIndex(Function f, int pc) {
        for (Segment s : f.segments) {
            int at = Arrays.binarySearch(s.entries, pc);
            if (at >= 0) {
                return s.index << 16 | at;
            }
        }
        throw new IllegalStateException("pc " + pc + " is no entry of the function at " + f.start);
    }
}
