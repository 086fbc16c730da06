package io.bpf4j.kernel;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The program tag computed without a kernel, as {@code bpf_prog_calc_tag()} does: a digest
 * of the submitted instructions in which the map references of 64-bit loads
 * ({@code BPF_PSEUDO_MAP_FD}, {@code BPF_PSEUDO_MAP_VALUE}) have their immediates zeroed,
 * since fds differ from load to load. Its first 8 bytes are the tag. Linux 6.18 and later
 * digest with SHA-256, earlier kernels with SHA-1.
 *
 * <pre>{@code
 * String tag = ProgramTag.hex(insnBytes, ProgramTag.Digest.forRelease(Kernel.release()));
 * }</pre>
 */
public final class ProgramTag {
    private ProgramTag() {}

    /** The digest a kernel uses for tags. */
    public enum Digest {
        SHA1("SHA-1"),
        SHA256("SHA-256");

        private final String algorithm;

        Digest(String algorithm) {
            this.algorithm = algorithm;
        }

        /** The digest of a kernel release such as {@code 6.18.4-arch1}: SHA-256 from 6.18 on. */
        public static Digest forRelease(String release) {
            String[] parts = release.split("[.-]");
            try {
                int major = Integer.parseInt(parts[0]);
                int minor = parts.length > 1 ? Integer.parseInt(parts[1].replaceAll("\\D.*", "")) : 0;
                return major > 6 || major == 6 && minor >= 18 ? SHA256 : SHA1;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a kernel release: '" + release + "'", e);
            }
        }
    }

    private static final int LD_IMM64 = 0x18;
    private static final int PSEUDO_MAP_FD = 1;
    private static final int PSEUDO_MAP_VALUE = 2;

    /** The 8-byte tag of {@code instructions} (encoded, this machine's byte order). */
    public static byte[] compute(byte[] instructions, Digest digest) {
        byte[] insns = instructions.clone();
        boolean afterMapLoad = false;
        for (int off = 0; off + 8 <= insns.length; off += 8) {
            int code = insns[off] & 0xff;
            int src = srcReg(insns[off + 1]);
            if (!afterMapLoad && code == LD_IMM64 && (src == PSEUDO_MAP_FD || src == PSEUDO_MAP_VALUE)) {
                afterMapLoad = true;
                zeroImm(insns, off);
            } else if (afterMapLoad && code == 0 && insns[off + 1] == 0 && insns[off + 2] == 0 && insns[off + 3] == 0) {
                afterMapLoad = false;
                zeroImm(insns, off);
            } else {
                afterMapLoad = false;
            }
        }
        try {
            byte[] d = MessageDigest.getInstance(digest.algorithm).digest(insns);
            byte[] tag = new byte[8];
            System.arraycopy(d, 0, tag, 0, 8);
            return tag;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(digest.algorithm + " is missing from this JDK", e);
        }
    }

    /** The tag as 16 hex digits, as bpftool prints it. */
    public static String hex(byte[] instructions, Digest digest) {
        return HexFormat.of().formatHex(compute(instructions, digest));
    }

    /** The register byte holds dst in its low nibble and src in its high one on little-endian machines, the reverse on big-endian. */
    private static int srcReg(byte regs) {
        return java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN ? (regs >> 4) & 0xf : regs & 0xf;
    }

    private static void zeroImm(byte[] insns, int off) {
        insns[off + 4] = 0;
        insns[off + 5] = 0;
        insns[off + 6] = 0;
        insns[off + 7] = 0;
    }
}
