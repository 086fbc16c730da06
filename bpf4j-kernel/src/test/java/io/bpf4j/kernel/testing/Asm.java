package io.bpf4j.kernel.testing;

import io.bpf4j.isa.AluOp;
import io.bpf4j.isa.AtomicOp;
import io.bpf4j.isa.Helpers;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.Instructions;
import io.bpf4j.isa.JumpOp;
import io.bpf4j.isa.PseudoSource;
import io.bpf4j.isa.Size;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds test programs from {@link Instruction}s with named jump targets, so that kernel
 * tests can write small programs readably until object files can be loaded.
 *
 * <pre>{@code
 * byte[] code = new Asm().movImm(0, 2).jeqImm(1, 0, "out").movImm(0, 1).label("out").exit().bytes();
 * }</pre>
 */
public final class Asm {
    /** The first helper argument and the context pointer on entry. */
    public static final int R1 = 1;
    /** The frame pointer. */
    public static final int R10 = 10;

    private record Pending(int index, JumpOp op, boolean useReg, int dst, int srcOrImm, String label) {}

    private final List<Instruction> insns = new ArrayList<>();
    private final Map<String, Integer> labels = new HashMap<>();
    private final List<Pending> jumps = new ArrayList<>();

    public Asm add(Instruction i) {
        insns.add(i);
        return this;
    }

    public Asm addAll(List<Instruction> list) {
        list.forEach(this::add);
        return this;
    }

    public Asm label(String name) {
        if (labels.put(name, insns.size()) != null) {
            throw new IllegalArgumentException("label " + name + " defined twice");
        }
        return this;
    }

    public Asm movImm(int dst, int imm) {
        return add(new Instruction.AluImm(true, AluOp.MOV, dst, imm));
    }

    public Asm mov(int dst, int src) {
        return add(new Instruction.AluReg(true, AluOp.MOV, dst, src));
    }

    public Asm addImm(int dst, int imm) {
        return add(new Instruction.AluImm(true, AluOp.ADD, dst, imm));
    }

    public Asm alu(AluOp op, int dst, int imm) {
        return add(new Instruction.AluImm(true, op, dst, imm));
    }

    public Asm aluReg(AluOp op, int dst, int src) {
        return add(new Instruction.AluReg(true, op, dst, src));
    }

    /** {@code dst = *(size *)(src + off)}. */
    public Asm ldx(Size size, int dst, int src, int off) {
        return add(new Instruction.Load(size, false, dst, src, (short) off));
    }

    /** {@code *(size *)(dst + off) = src}. */
    public Asm stx(Size size, int dst, int src, int off) {
        return add(new Instruction.Store(size, dst, src, (short) off));
    }

    /** {@code *(size *)(dst + off) = imm}. */
    public Asm st(Size size, int dst, int off, int imm) {
        return add(new Instruction.StoreImm(size, dst, (short) off, imm));
    }

    /** {@code lock *(size *)(dst + off) += src}. */
    public Asm atomicAdd(Size size, int dst, int src, int off) {
        return atomic(size, AtomicOp.ADD, dst, src, off);
    }

    /** An atomic operation on {@code *(size *)(dst + off)} with {@code src} (FETCH_ forms return the old value in src). */
    public Asm atomic(Size size, AtomicOp op, int dst, int src, int off) {
        return add(new Instruction.Atomic(size, op, dst, src, (short) off));
    }

    public Asm ldImm64(int dst, long value) {
        return add(new Instruction.LoadImm64(dst, PseudoSource.NONE, value));
    }

    /** {@code dst = map} for the map with file descriptor {@code mapFd}. */
    public Asm ldMap(int dst, int mapFd) {
        return add(new Instruction.LoadImm64(dst, PseudoSource.MAP_FD, mapFd));
    }

    public Asm call(int helper) {
        return add(new Instruction.CallHelper(helper));
    }

    /** Calls the helper named {@code name} ({@code bpf_} prefix optional). */
    public Asm call(String name) {
        return call(Helpers.id(name).orElseThrow(() -> new IllegalArgumentException("no helper " + name)));
    }

    public Asm exit() {
        return add(new Instruction.Exit());
    }

    /** {@code if dst op imm goto label}. */
    public Asm jmpImm(JumpOp op, int dst, int imm, String label) {
        jumps.add(new Pending(insns.size(), op, false, dst, imm, label));
        insns.add(null);
        return this;
    }

    /** {@code if dst op src goto label}. */
    public Asm jmpReg(JumpOp op, int dst, int src, String label) {
        jumps.add(new Pending(insns.size(), op, true, dst, src, label));
        insns.add(null);
        return this;
    }

    public Asm ja(String label) {
        return jmpImm(JumpOp.JA, 0, 0, label);
    }

    /** Increments the u64 at key {@code keyReg} of array map {@code mapFd} (clobbers r1 to r5 and r0). */
    public Asm incrementArray(int mapFd, int keyReg, String skipLabel) {
        return stx(Size.W, R10, keyReg, -4)
                .ldMap(R1, mapFd)
                .mov(2, R10)
                .addImm(2, -4)
                .call("map_lookup_elem")
                .jmpImm(JumpOp.JEQ, 0, 0, skipLabel)
                .movImm(1, 1)
                .atomicAdd(Size.DW, 0, 1, 0)
                .label(skipLabel);
    }

    /** {@code bpf_trace_printk(text)}, its format string built on the stack below r10 (clobbers r0 to r5). */
    public Asm printk(String text) {
        byte[] fmt = (text + "\0").getBytes(StandardCharsets.UTF_8);
        int size = (fmt.length + 7) & ~7;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.nativeOrder()).put(fmt);
        for (int off = 0; off < size; off += 8) {
            ldImm64(1, b.getLong(off)).stx(Size.DW, R10, 1, -size + off);
        }
        return mov(1, R10).addImm(1, -size).movImm(2, fmt.length).call("trace_printk");
    }

    public List<Instruction> instructions() {
        List<Instruction> out = new ArrayList<>(insns);
        int[] slot = new int[out.size() + 1];
        for (int i = 0; i < out.size(); i++) {
            slot[i + 1] = slot[i] + (out.get(i) == null ? 1 : out.get(i).slots());
        }
        for (Pending p : jumps) {
            Integer target = labels.get(p.label);
            if (target == null) {
                throw new IllegalArgumentException("undefined label " + p.label);
            }
            short off = (short) (slot[target] - slot[p.index + 1]);
            out.set(p.index, p.op == JumpOp.JA ? new Instruction.Jump(off)
                    : p.useReg ? new Instruction.JumpReg(false, p.op, p.dst, p.srcOrImm, off)
                    : new Instruction.JumpImm(false, p.op, p.dst, p.srcOrImm, off));
        }
        return out;
    }

    public byte[] bytes() {
        return Instructions.encode(instructions(), ByteOrder.nativeOrder());
    }
}
