package io.bpf4j.kernel;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Encodes the few instructions the kernel tests need (until tests can use io.bpf4j.isa). */
final class Insns {
    private Insns() {}

    static byte[] insn(int code, int dst, int src, int off, int imm) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .put((byte) code).put((byte) (dst | src << 4)).putShort((short) off).putInt(imm).array();
    }

    static byte[] movImm(int dst, int imm) {
        return insn(0xb7, dst, 0, 0, imm);
    }

    static byte[] movReg(int dst, int src) {
        return insn(0xbf, dst, src, 0, 0);
    }

    static byte[] addImm(int dst, int imm) {
        return insn(0x07, dst, 0, 0, imm);
    }

    static byte[] exit() {
        return insn(0x95, 0, 0, 0, 0);
    }

    static byte[] call(int helper) {
        return insn(0x85, 0, 0, 0, helper);
    }

    /** {@code *(u32 *)(dst + off) = src}. */
    static byte[] stxW(int dst, int src, int off) {
        return insn(0x63, dst, src, off, 0);
    }

    /** {@code dst = *(u32 *)(src + off)}. */
    static byte[] ldxW(int dst, int src, int off) {
        return insn(0x61, dst, src, off, 0);
    }

    /** {@code if dst == imm goto +off}. */
    static byte[] jeqImm(int dst, int imm, int off) {
        return insn(0x15, dst, 0, off, imm);
    }

    /** A 64-bit immediate load (two slots); {@code src} 1 is a map fd, 2 a map value. */
    static byte[] ldImm64(int dst, int src, int lo, int hi) {
        return cat(insn(0x18, dst, src, 0, lo), insn(0, 0, 0, 0, hi));
    }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** {@code r0 = value; exit}. */
    static byte[] returning(int value) {
        return cat(movImm(0, value), exit());
    }

    /** Looks up key 0 of the map with fd {@code mapFd} and returns its first u32 (0 when absent). */
    static byte[] lookupFirstWord(int mapFd) {
        return cat(
                movImm(1, 0),
                stxW(10, 1, -4),
                movReg(2, 10),
                addImm(2, -4),
                ldImm64(1, 1, mapFd, 0),
                call(1),
                jeqImm(0, 0, 1),
                ldxW(0, 0, 0),
                exit());
    }
}
