package io.bpf4j.vm;

/**
 * Runs decoded BPF code with the semantics of RFC 9669 and the kernel: 64-bit and 32-bit
 * arithmetic (32-bit results zero-extended), division by zero giving 0 and modulo by zero
 * keeping the dividend, shift counts masked, signed division and modulo truncating with
 * {@code MIN / -1 == MIN}, bpf-to-bpf calls with their own 512-byte stack frames up to the
 * kernel's depth of 8, tail calls, may_goto and an instruction budget.
 *
 * <p>One loop with one switch over the decoded operation; registers live in a
 * {@code long[]}, nothing is allocated per instruction.
 */
final class Interpreter {
    private static final long MASK32 = 0xffff_ffffL;
    /** The kernel's BPF_MAX_LOOPS: how many times one frame's may_goto falls through. */
    static final long MAY_GOTO_BUDGET = 8 * 1024 * 1024;
    static final int TAIL_CALL_HELPER = 12;
    /** r0..r10. */
    static final int REGISTERS = 11;

    private Interpreter() {}

    /** Runs {@code code} from its first instruction in frame 0 with arguments r1 and r2; returns r0. */
    static long run(Execution ex, Code code, long r1, long r2) {
        long[] r = ex.regs;
        java.util.Arrays.fill(r, 0);
        r[1] = r1;
        r[2] = r2;
        ex.depth = 0;
        r[10] = Memory.framePointer(0);
        ex.mayGoto[0] = MAY_GOTO_BUDGET;
        return execute(ex, code, 0);
    }

    /**
     * Calls the BPF function at {@code pc} of {@code code} from a helper (a callback of
     * bpf_loop and friends) in a new frame, with arguments r1..r5; returns its r0. The
     * caller's registers are restored afterwards.
     */
    static long callback(Execution ex, Code code, int pc, long a1, long a2, long a3, long a4, long a5) {
        long[] r = ex.regs;
        int depth = ex.depth;
        if (depth + 1 >= Memory.MAX_FRAMES) {
            throw tooDeep("callback", depth);
        }
        long[] saved = r.clone();
        int newDepth = depth + 1;
        ex.depth = newDepth;
        r[1] = a1;
        r[2] = a2;
        r[3] = a3;
        r[4] = a4;
        r[5] = a5;
        r[10] = Memory.framePointer(newDepth);
        ex.mayGoto[newDepth] = MAY_GOTO_BUDGET;
        try {
            return execute(ex, code, pc);
        } finally {
            System.arraycopy(saved, 0, r, 0, r.length);
            ex.depth = depth;
        }
    }

    /**
     * The main loop: runs from {@code entryPc} with the registers in {@code ex.regs} in frame
     * {@code ex.depth}; returns r0 when that frame exits.
     */
    static long execute(Execution ex, Code entry, int entryPc) {
        final long[] r = ex.regs;
        final Memory mem = ex.mem;
        final int baseDepth = ex.depth;
        Code code = entry;
        long[] insns = code.insns;
        int pc = entryPc;
        long fuel = ex.fuel;
        try {
            while (true) {
                if (--fuel < 0) {
                    throw budgetExhausted(ex);
                }
                long insn = insns[pc];
                int dst = (int) (insn >>> 8) & 0xf;
                int src = (int) (insn >>> 12) & 0xf;
                int imm = (int) (insn >>> 32);
                switch ((int) insn & 0xff) {
                    // ---- ALU64 ----
                    case Op.ADD64_IMM -> r[dst] += imm;
                    case Op.ADD64_REG -> r[dst] += r[src];
                    case Op.SUB64_IMM -> r[dst] -= imm;
                    case Op.SUB64_REG -> r[dst] -= r[src];
                    case Op.MUL64_IMM -> r[dst] *= imm;
                    case Op.MUL64_REG -> r[dst] *= r[src];
                    case Op.DIV64_IMM -> r[dst] = imm == 0 ? 0 : Long.divideUnsigned(r[dst], imm);
                    case Op.DIV64_REG -> r[dst] = r[src] == 0 ? 0 : Long.divideUnsigned(r[dst], r[src]);
                    case Op.SDIV64_IMM -> r[dst] = imm == 0 ? 0 : r[dst] / imm;
                    case Op.SDIV64_REG -> r[dst] = r[src] == 0 ? 0 : r[dst] / r[src];
                    case Op.OR64_IMM -> r[dst] |= imm;
                    case Op.OR64_REG -> r[dst] |= r[src];
                    case Op.AND64_IMM -> r[dst] &= imm;
                    case Op.AND64_REG -> r[dst] &= r[src];
                    case Op.LSH64_IMM -> r[dst] <<= imm;
                    case Op.LSH64_REG -> r[dst] <<= r[src];
                    case Op.RSH64_IMM -> r[dst] >>>= imm;
                    case Op.RSH64_REG -> r[dst] >>>= r[src];
                    case Op.NEG64 -> r[dst] = -r[dst];
                    case Op.MOD64_IMM -> r[dst] = imm == 0 ? r[dst] : Long.remainderUnsigned(r[dst], imm);
                    case Op.MOD64_REG -> r[dst] = r[src] == 0 ? r[dst] : Long.remainderUnsigned(r[dst], r[src]);
                    case Op.SMOD64_IMM -> r[dst] = imm == 0 ? r[dst] : r[dst] % imm;
                    case Op.SMOD64_REG -> r[dst] = r[src] == 0 ? r[dst] : r[dst] % r[src];
                    case Op.XOR64_IMM -> r[dst] ^= imm;
                    case Op.XOR64_REG -> r[dst] ^= r[src];
                    case Op.MOV64_IMM -> r[dst] = imm;
                    case Op.MOV64_REG -> r[dst] = r[src];
                    case Op.MOVSX64_8 -> r[dst] = (byte) r[src];
                    case Op.MOVSX64_16 -> r[dst] = (short) r[src];
                    case Op.MOVSX64_32 -> r[dst] = (int) r[src];
                    case Op.ARSH64_IMM -> r[dst] >>= imm;
                    case Op.ARSH64_REG -> r[dst] >>= r[src];
                    // ---- ALU32 ----
                    case Op.ADD32_IMM -> r[dst] = ((int) r[dst] + imm) & MASK32;
                    case Op.ADD32_REG -> r[dst] = ((int) r[dst] + (int) r[src]) & MASK32;
                    case Op.SUB32_IMM -> r[dst] = ((int) r[dst] - imm) & MASK32;
                    case Op.SUB32_REG -> r[dst] = ((int) r[dst] - (int) r[src]) & MASK32;
                    case Op.MUL32_IMM -> r[dst] = ((int) r[dst] * imm) & MASK32;
                    case Op.MUL32_REG -> r[dst] = ((int) r[dst] * (int) r[src]) & MASK32;
                    case Op.DIV32_IMM -> r[dst] = imm == 0 ? 0 : Integer.divideUnsigned((int) r[dst], imm) & MASK32;
                    case Op.DIV32_REG -> r[dst] = div32((int) r[dst], (int) r[src]);
                    case Op.SDIV32_IMM -> r[dst] = imm == 0 ? 0 : ((int) r[dst] / imm) & MASK32;
                    case Op.SDIV32_REG -> r[dst] = sdiv32((int) r[dst], (int) r[src]);
                    case Op.OR32_IMM -> r[dst] = ((int) r[dst] | imm) & MASK32;
                    case Op.OR32_REG -> r[dst] = ((int) r[dst] | (int) r[src]) & MASK32;
                    case Op.AND32_IMM -> r[dst] = ((int) r[dst] & imm) & MASK32;
                    case Op.AND32_REG -> r[dst] = ((int) r[dst] & (int) r[src]) & MASK32;
                    case Op.LSH32_IMM -> r[dst] = ((int) r[dst] << imm) & MASK32;
                    case Op.LSH32_REG -> r[dst] = ((int) r[dst] << (int) r[src]) & MASK32;
                    case Op.RSH32_IMM -> r[dst] = ((int) r[dst] >>> imm) & MASK32;
                    case Op.RSH32_REG -> r[dst] = ((int) r[dst] >>> (int) r[src]) & MASK32;
                    case Op.NEG32 -> r[dst] = -(int) r[dst] & MASK32;
                    case Op.MOD32_IMM -> r[dst] = (imm == 0 ? (int) r[dst] : Integer.remainderUnsigned((int) r[dst], imm))
                            & MASK32;
                    case Op.MOD32_REG -> r[dst] = mod32((int) r[dst], (int) r[src]);
                    case Op.SMOD32_IMM -> r[dst] = (imm == 0 ? (int) r[dst] : (int) r[dst] % imm) & MASK32;
                    case Op.SMOD32_REG -> r[dst] = smod32((int) r[dst], (int) r[src]);
                    case Op.XOR32_IMM -> r[dst] = ((int) r[dst] ^ imm) & MASK32;
                    case Op.XOR32_REG -> r[dst] = ((int) r[dst] ^ (int) r[src]) & MASK32;
                    case Op.MOV32_IMM -> r[dst] = imm & MASK32;
                    case Op.MOV32_REG -> r[dst] = r[src] & MASK32;
                    case Op.MOVSX32_8 -> r[dst] = (byte) r[src] & MASK32;
                    case Op.MOVSX32_16 -> r[dst] = (short) r[src] & MASK32;
                    case Op.ARSH32_IMM -> r[dst] = ((int) r[dst] >> imm) & MASK32;
                    case Op.ARSH32_REG -> r[dst] = ((int) r[dst] >> (int) r[src]) & MASK32;
                    // ---- byte order ----
                    case Op.ZEXT16 -> r[dst] &= 0xffff;
                    case Op.ZEXT32 -> r[dst] &= MASK32;
                    case Op.NOP -> { }
                    case Op.BSWAP16 -> r[dst] = Short.reverseBytes((short) r[dst]) & 0xffffL;
                    case Op.BSWAP32 -> r[dst] = Integer.reverseBytes((int) r[dst]) & MASK32;
                    case Op.BSWAP64 -> r[dst] = Long.reverseBytes(r[dst]);
                    // ---- jumps ----
                    case Op.JA -> pc += (short) (insn >>> 16);
                    case Op.JA32 -> pc += imm;
                    case Op.JEQ_IMM -> pc += r[dst] == imm ? (short) (insn >>> 16) : 0;
                    case Op.JEQ_REG -> pc += r[dst] == r[src] ? (short) (insn >>> 16) : 0;
                    case Op.JGT_IMM -> pc += Long.compareUnsigned(r[dst], imm) > 0 ? (short) (insn >>> 16) : 0;
                    case Op.JGT_REG -> pc += Long.compareUnsigned(r[dst], r[src]) > 0 ? (short) (insn >>> 16) : 0;
                    case Op.JGE_IMM -> pc += Long.compareUnsigned(r[dst], imm) >= 0 ? (short) (insn >>> 16) : 0;
                    case Op.JGE_REG -> pc += Long.compareUnsigned(r[dst], r[src]) >= 0 ? (short) (insn >>> 16) : 0;
                    case Op.JSET_IMM -> pc += (r[dst] & imm) != 0 ? (short) (insn >>> 16) : 0;
                    case Op.JSET_REG -> pc += (r[dst] & r[src]) != 0 ? (short) (insn >>> 16) : 0;
                    case Op.JNE_IMM -> pc += r[dst] != imm ? (short) (insn >>> 16) : 0;
                    case Op.JNE_REG -> pc += r[dst] != r[src] ? (short) (insn >>> 16) : 0;
                    case Op.JSGT_IMM -> pc += r[dst] > imm ? (short) (insn >>> 16) : 0;
                    case Op.JSGT_REG -> pc += r[dst] > r[src] ? (short) (insn >>> 16) : 0;
                    case Op.JSGE_IMM -> pc += r[dst] >= imm ? (short) (insn >>> 16) : 0;
                    case Op.JSGE_REG -> pc += r[dst] >= r[src] ? (short) (insn >>> 16) : 0;
                    case Op.JLT_IMM -> pc += Long.compareUnsigned(r[dst], imm) < 0 ? (short) (insn >>> 16) : 0;
                    case Op.JLT_REG -> pc += Long.compareUnsigned(r[dst], r[src]) < 0 ? (short) (insn >>> 16) : 0;
                    case Op.JLE_IMM -> pc += Long.compareUnsigned(r[dst], imm) <= 0 ? (short) (insn >>> 16) : 0;
                    case Op.JLE_REG -> pc += Long.compareUnsigned(r[dst], r[src]) <= 0 ? (short) (insn >>> 16) : 0;
                    case Op.JSLT_IMM -> pc += r[dst] < imm ? (short) (insn >>> 16) : 0;
                    case Op.JSLT_REG -> pc += r[dst] < r[src] ? (short) (insn >>> 16) : 0;
                    case Op.JSLE_IMM -> pc += r[dst] <= imm ? (short) (insn >>> 16) : 0;
                    case Op.JSLE_REG -> pc += r[dst] <= r[src] ? (short) (insn >>> 16) : 0;
                    case Op.JEQ32_IMM -> pc += (int) r[dst] == imm ? (short) (insn >>> 16) : 0;
                    case Op.JEQ32_REG -> pc += (int) r[dst] == (int) r[src] ? (short) (insn >>> 16) : 0;
                    case Op.JGT32_IMM -> pc += Integer.compareUnsigned((int) r[dst], imm) > 0 ? (short) (insn >>> 16) : 0;
                    case Op.JGT32_REG -> pc += Integer.compareUnsigned((int) r[dst], (int) r[src]) > 0
                            ? (short) (insn >>> 16) : 0;
                    case Op.JGE32_IMM -> pc += Integer.compareUnsigned((int) r[dst], imm) >= 0 ? (short) (insn >>> 16) : 0;
                    case Op.JGE32_REG -> pc += Integer.compareUnsigned((int) r[dst], (int) r[src]) >= 0
                            ? (short) (insn >>> 16) : 0;
                    case Op.JSET32_IMM -> pc += ((int) r[dst] & imm) != 0 ? (short) (insn >>> 16) : 0;
                    case Op.JSET32_REG -> pc += ((int) r[dst] & (int) r[src]) != 0 ? (short) (insn >>> 16) : 0;
                    case Op.JNE32_IMM -> pc += (int) r[dst] != imm ? (short) (insn >>> 16) : 0;
                    case Op.JNE32_REG -> pc += (int) r[dst] != (int) r[src] ? (short) (insn >>> 16) : 0;
                    case Op.JSGT32_IMM -> pc += (int) r[dst] > imm ? (short) (insn >>> 16) : 0;
                    case Op.JSGT32_REG -> pc += (int) r[dst] > (int) r[src] ? (short) (insn >>> 16) : 0;
                    case Op.JSGE32_IMM -> pc += (int) r[dst] >= imm ? (short) (insn >>> 16) : 0;
                    case Op.JSGE32_REG -> pc += (int) r[dst] >= (int) r[src] ? (short) (insn >>> 16) : 0;
                    case Op.JLT32_IMM -> pc += Integer.compareUnsigned((int) r[dst], imm) < 0 ? (short) (insn >>> 16) : 0;
                    case Op.JLT32_REG -> pc += Integer.compareUnsigned((int) r[dst], (int) r[src]) < 0
                            ? (short) (insn >>> 16) : 0;
                    case Op.JLE32_IMM -> pc += Integer.compareUnsigned((int) r[dst], imm) <= 0 ? (short) (insn >>> 16) : 0;
                    case Op.JLE32_REG -> pc += Integer.compareUnsigned((int) r[dst], (int) r[src]) <= 0
                            ? (short) (insn >>> 16) : 0;
                    case Op.JSLT32_IMM -> pc += (int) r[dst] < imm ? (short) (insn >>> 16) : 0;
                    case Op.JSLT32_REG -> pc += (int) r[dst] < (int) r[src] ? (short) (insn >>> 16) : 0;
                    case Op.JSLE32_IMM -> pc += (int) r[dst] <= imm ? (short) (insn >>> 16) : 0;
                    case Op.JSLE32_REG -> pc += (int) r[dst] <= (int) r[src] ? (short) (insn >>> 16) : 0;
                    case Op.MAY_GOTO -> {
                        int depth = ex.depth;
                        if (ex.mayGoto[depth] == 0) {
                            pc += (short) (insn >>> 16);
                        } else {
                            ex.mayGoto[depth]--;
                        }
                    }
                    // ---- calls ----
                    case Op.CALL_HELPER -> {
                        ex.fuel = fuel;
                        ex.code = code;
                        if (imm == TAIL_CALL_HELPER) {
                            // On success the target replaces this frame's code; on failure execution goes on
                            // (the kernel leaves r0 undefined: the verifier forbids reading it).
                            Code target = ex.tailCall(r[2], r[3]);
                            if (target != null) {
                                code = target;
                                insns = code.insns;
                                pc = -1;
                            }
                        } else {
                            r[0] = VmHelpers.call(imm, ex, r[1], r[2], r[3], r[4], r[5]);
                        }
                        fuel = ex.fuel;
                    }
                    case Op.CALL_LOCAL -> {
                        enter(ex, code, pc);
                        pc += imm;
                    }
                    case Op.CALLX -> {
                        long target = r[dst];
                        if (Memory.regionId(target) == Memory.FUNCTIONS && (int) target >= 0
                                && (int) target < insns.length) {
                            enter(ex, code, pc);
                            pc = (int) target - 1;
                        } else if (target > 0 && target < Integer.MAX_VALUE && VmHelpers.exists((int) target)
                                && target != TAIL_CALL_HELPER) {
                            ex.fuel = fuel;
                            ex.code = code;
                            r[0] = VmHelpers.call((int) target, ex, r[1], r[2], r[3], r[4], r[5]);
                            fuel = ex.fuel;
                        } else {
                            throw badCallx(dst, target);
                        }
                    }
                    case Op.EXIT -> {
                        int depth = ex.depth;
                        if (depth == baseDepth) {
                            ex.fuel = fuel;
                            return r[0];
                        }
                        depth--;
                        ex.depth = depth;
                        int s = depth * 4;
                        r[6] = ex.saved[s];
                        r[7] = ex.saved[s + 1];
                        r[8] = ex.saved[s + 2];
                        r[9] = ex.saved[s + 3];
                        r[10] = Memory.framePointer(depth);
                        code = ex.returnCode[depth];
                        insns = code.insns;
                        pc = ex.returnPc[depth];
                    }
                    // ---- memory ----
                    case Op.LDX_B -> r[dst] = mem.load8(r[src] + (short) (insn >>> 16));
                    case Op.LDX_H -> r[dst] = mem.load16(r[src] + (short) (insn >>> 16));
                    case Op.LDX_W -> r[dst] = mem.load32(r[src] + (short) (insn >>> 16));
                    case Op.LDX_DW -> r[dst] = mem.load64(r[src] + (short) (insn >>> 16));
                    case Op.LDXS_B -> r[dst] = (byte) mem.load8(r[src] + (short) (insn >>> 16));
                    case Op.LDXS_H -> r[dst] = (short) mem.load16(r[src] + (short) (insn >>> 16));
                    case Op.LDXS_W -> r[dst] = (int) mem.load32(r[src] + (short) (insn >>> 16));
                    case Op.ST_B -> mem.store8(r[dst] + (short) (insn >>> 16), imm);
                    case Op.ST_H -> mem.store16(r[dst] + (short) (insn >>> 16), imm);
                    case Op.ST_W -> mem.store32(r[dst] + (short) (insn >>> 16), imm);
                    case Op.ST_DW -> mem.store64(r[dst] + (short) (insn >>> 16), imm);
                    case Op.STX_B -> mem.store8(r[dst] + (short) (insn >>> 16), r[src]);
                    case Op.STX_H -> mem.store16(r[dst] + (short) (insn >>> 16), r[src]);
                    case Op.STX_W -> mem.store32(r[dst] + (short) (insn >>> 16), r[src]);
                    case Op.STX_DW -> mem.store64(r[dst] + (short) (insn >>> 16), r[src]);
                    case Op.ATOMIC_W, Op.ATOMIC_DW, Op.CMPXCHG_W, Op.CMPXCHG_DW, Op.LOAD_ACQ_B, Op.LOAD_ACQ_H,
                            Op.LOAD_ACQ_W, Op.LOAD_ACQ_DW, Op.STORE_REL_B, Op.STORE_REL_H, Op.STORE_REL_W,
                            Op.STORE_REL_DW -> atomic(mem, r, insn);
                    case Op.LDDW -> r[dst] = insns[++pc];
                    case Op.LD_ABS_B, Op.LD_ABS_H, Op.LD_ABS_W, Op.LD_IND_B, Op.LD_IND_H, Op.LD_IND_W -> {
                        int op = (int) insn & 0xff;
                        long offset = op >= Op.LD_IND_B ? (int) (r[src] + imm) : imm;
                        int size = switch (op) {
                            case Op.LD_ABS_B, Op.LD_IND_B -> 1;
                            case Op.LD_ABS_H, Op.LD_IND_H -> 2;
                            default -> 4;
                        };
                        long value = ex.loadPacketBigEndian(offset, size);
                        if (value < 0) {
                            ex.fuel = fuel;
                            return 0; // the kernel ends the program with 0 when the load is out of bounds
                        }
                        r[0] = value;
                    }
                    default -> throw new IllegalStateException("undecoded operation " + ((int) insn & 0xff));
                }
                pc++;
            }
        } catch (VmException e) {
            ex.fuel = Math.max(fuel, 0);
            throw e.at(pc, code.describe(pc, code != entry));
        }
    }

    /** The atomic operations, apart from the main loop to keep it small enough for the JVM's compiler. */
    private static void atomic(Memory mem, long[] r, long insn) {
        int dst = (int) (insn >>> 8) & 0xf;
        int src = (int) (insn >>> 12) & 0xf;
        int imm = (int) (insn >>> 32);
        long addr = (short) (insn >>> 16);
        switch ((int) insn & 0xff) {
            case Op.ATOMIC_W, Op.ATOMIC_DW -> {
                int size = ((int) insn & 0xff) == Op.ATOMIC_W ? 4 : 8;
                long old = mem.atomic(r[dst] + addr, size, imm & ~Op.ATOMIC_FETCH, r[src]);
                if ((imm & Op.ATOMIC_FETCH) != 0) {
                    r[src] = old;
                }
            }
            case Op.CMPXCHG_W -> r[0] = mem.compareExchange(r[dst] + addr, 4, r[0], r[src]);
            case Op.CMPXCHG_DW -> r[0] = mem.compareExchange(r[dst] + addr, 8, r[0], r[src]);
            case Op.LOAD_ACQ_B -> r[dst] = mem.loadAcquire(r[src] + addr, 1);
            case Op.LOAD_ACQ_H -> r[dst] = mem.loadAcquire(r[src] + addr, 2);
            case Op.LOAD_ACQ_W -> r[dst] = mem.loadAcquire(r[src] + addr, 4);
            case Op.LOAD_ACQ_DW -> r[dst] = mem.loadAcquire(r[src] + addr, 8);
            case Op.STORE_REL_B -> mem.storeRelease(r[dst] + addr, 1, r[src]);
            case Op.STORE_REL_H -> mem.storeRelease(r[dst] + addr, 2, r[src]);
            case Op.STORE_REL_W -> mem.storeRelease(r[dst] + addr, 4, r[src]);
            default -> mem.storeRelease(r[dst] + addr, 8, r[src]);
        }
    }

    /** Pushes a call frame: the kernel allows 8 frames (MAX_CALL_FRAMES). */
    private static void enter(Execution ex, Code code, int pc) {
        int depth = ex.depth;
        if (depth + 1 >= Memory.MAX_FRAMES) {
            throw tooDeep("call", depth);
        }
        long[] r = ex.regs;
        int s = depth * 4;
        ex.saved[s] = r[6];
        ex.saved[s + 1] = r[7];
        ex.saved[s + 2] = r[8];
        ex.saved[s + 3] = r[9];
        ex.returnPc[depth] = pc;
        ex.returnCode[depth] = code;
        depth++;
        ex.depth = depth;
        r[10] = Memory.framePointer(depth);
        ex.mayGoto[depth] = MAY_GOTO_BUDGET;
    }

    static VmException budgetExhausted(Execution ex) {
        return VmException.of(VmException.Kind.INSTRUCTION_BUDGET,
                "instruction budget of " + ex.budget + " exhausted (endless loop?)");
    }

    /** A call ({@code what}: "call" or "callback") from frame {@code depth} that would pass the kernel's frame limit. */
    static VmException tooDeep(String what, int depth) {
        return VmException.of(VmException.Kind.CALL_DEPTH,
                what + " would need call frame " + (depth + 2) + "; the kernel allows " + Memory.MAX_FRAMES);
    }

    static VmException badCallx(int dst, long target) {
        return VmException.of(VmException.Kind.INVALID_PROGRAM, "callx through r" + dst + " = " + Memory.hex(target)
                + ", which is neither a function of this program nor a helper id");
    }

    static long div32(int a, int b) {
        return b == 0 ? 0 : Integer.divideUnsigned(a, b) & MASK32;
    }

    static long sdiv32(int a, int b) {
        return b == 0 ? 0 : (a / b) & MASK32;
    }

    static long mod32(int a, int b) {
        return (b == 0 ? a : Integer.remainderUnsigned(a, b)) & MASK32;
    }

    static long smod32(int a, int b) {
        return (b == 0 ? a : a % b) & MASK32;
    }
}
