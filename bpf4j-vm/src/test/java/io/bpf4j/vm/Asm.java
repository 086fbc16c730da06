package io.bpf4j.vm;

import java.io.ByteArrayOutputStream;

/** Builds raw BPF instruction bytes for tests, one encoding per method, in the kernel's insn layout. */
final class Asm {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static Asm program() {
        return new Asm();
    }

    Asm raw(int opcode, int dst, int src, int off, int imm) {
        out.write(opcode);
        out.write(dst | src << 4);
        out.write(off);
        out.write(off >> 8);
        for (int i = 0; i < 4; i++) {
            out.write(imm >> (8 * i));
        }
        return this;
    }

    Asm mov(int dst, int imm) {
        return raw(0xb7, dst, 0, 0, imm);
    }

    Asm movReg(int dst, int src) {
        return raw(0xbf, dst, src, 0, 0);
    }

    Asm alu64(int op, int dst, int imm) {
        return raw(0x07 | op, dst, 0, 0, imm);
    }

    Asm alu64Reg(int op, int dst, int src) {
        return raw(0x0f | op, dst, src, 0, 0);
    }

    Asm lddw(int dst, int src, long value) {
        raw(0x18, dst, src, 0, (int) value);
        return raw(0, 0, 0, 0, (int) (value >>> 32));
    }

    Asm ldx(int size, int dst, int src, int off) {
        return raw(0x61 | size, dst, src, off, 0);
    }

    Asm st(int size, int dst, int off, int imm) {
        return raw(0x62 | size, dst, 0, off, imm);
    }

    Asm stx(int size, int dst, int src, int off) {
        return raw(0x63 | size, dst, src, off, 0);
    }

    Asm jmp(int op, int dst, int imm, int off) {
        return raw(0x05 | op, dst, 0, off, imm);
    }

    Asm ja(int off) {
        return raw(0x05, 0, 0, off, 0);
    }

    Asm call(int helper) {
        return raw(0x85, 0, 0, 0, helper);
    }

    Asm callLocal(int offset) {
        return raw(0x85, 0, 1, 0, offset);
    }

    Asm exit() {
        return raw(0x95, 0, 0, 0, 0);
    }

    /** Stores {@code text} and a NUL at {@code [r10 + offset]}, four bytes per instruction. */
    Asm string(int offset, String text) {
        byte[] b = java.util.Arrays.copyOf(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                (text.length() + 4) & ~3);
        for (int i = 0; i < b.length; i += 4) {
            st(W, 10, offset + i, Memory.getInt(b, i));
        }
        return this;
    }

    /** r{@code dst} = the address of map {@code map}. */
    Asm map(int dst, VmMap map) {
        return lddw(dst, 1, map.fd());
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    // sizes for ldx/st/stx
    static final int W = 0x00, H = 0x08, B = 0x10, DW = 0x18;
    // ALU operations
    static final int ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70;
    static final int MOD = 0x90, XOR = 0xa0;
    // jumps
    static final int JEQ = 0x10, JGT = 0x20, JGE = 0x30, JNE = 0x50, JSGT = 0x60, JLT = 0xa0;
}
