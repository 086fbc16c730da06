package io.bpf4j.kernel;

import io.bpf4j.isa.AluOp;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.Instructions;
import io.bpf4j.isa.JumpOp;
import io.bpf4j.isa.PseudoSource;
import io.bpf4j.isa.Size;
import java.io.ByteArrayOutputStream;
import java.nio.ByteOrder;
import java.util.List;

/** The few encoded instructions the kernel tests need, from io.bpf4j.isa's model. */
final class Insns {
    private Insns() {}

    private static byte[] encode(Instruction... program) {
        return Instructions.encode(List.of(program), ByteOrder.nativeOrder());
    }

    static byte[] movImm(int dst, int imm) {
        return encode(new Instruction.AluImm(true, AluOp.MOV, dst, imm));
    }

    static byte[] movReg(int dst, int src) {
        return encode(new Instruction.AluReg(true, AluOp.MOV, dst, src));
    }

    static byte[] addImm(int dst, int imm) {
        return encode(new Instruction.AluImm(true, AluOp.ADD, dst, imm));
    }

    static byte[] exit() {
        return encode(new Instruction.Exit());
    }

    static byte[] call(int helper) {
        return encode(new Instruction.CallHelper(helper));
    }

    /** {@code *(u32 *)(dst + off) = src}. */
    static byte[] stxW(int dst, int src, int off) {
        return encode(new Instruction.Store(Size.W, dst, src, (short) off));
    }

    /** {@code dst = *(u32 *)(src + off)}. */
    static byte[] ldxW(int dst, int src, int off) {
        return encode(new Instruction.Load(Size.W, false, dst, src, (short) off));
    }

    /** {@code if dst == imm goto +off}. */
    static byte[] jeqImm(int dst, int imm, int off) {
        return encode(new Instruction.JumpImm(false, JumpOp.JEQ, dst, imm, (short) off));
    }

    /** A 64-bit immediate load of a map fd ({@code source} MAP_FD) or a map value address (MAP_VALUE, {@code hi} the offset). */
    static byte[] ldImm64(int dst, PseudoSource source, int lo, int hi) {
        return encode(new Instruction.LoadImm64(dst, source, (long) hi << 32 | Integer.toUnsignedLong(lo)));
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
                ldImm64(1, PseudoSource.MAP_FD, mapFd, 0),
                call(1),
                jeqImm(0, 0, 1),
                ldxW(0, 0, 0),
                exit());
    }
}
