package io.bpf4j.bcc;

import io.bpf4j.BpfException;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfCDump;
import io.bpf4j.kernel.UnsupportedFeatureException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;

/**
 * A {@code vmlinux.h} with every type of a kernel, written by bpf4j's own BTF C dumper from
 * the kernel's BTF ({@code /sys/kernel/btf/vmlinux}) and cached per kernel build: the cache
 * key is made of the BTF's size and CRC-32 (and, for the running kernel, its release and
 * GNU build id), so a new kernel gets a new header and the same kernel never pays twice.
 * (A cryptographic hash of the 5 MB of BTF would cost a JVM that has just started more than
 * a second.) Enums keep their BTF size ({@code mode(byte)}/{@code mode(word)}),
 * so structs laid out from the header match the kernel's.
 *
 * <pre>{@code
 * Path header = VmlinuxHeader.ofRunningKernel().file();   // generated once, then from the cache
 * }</pre>
 *
 * @param file      the header
 * @param generated true when this call wrote it, false when it came from the cache
 */
public record VmlinuxHeader(Path file, boolean generated) {
    /** The running kernel's BTF. */
    public static final Path KERNEL_BTF = Path.of("/sys/kernel/btf/vmlinux");

    // Bumped whenever the dumper's output changes, so that old cached headers are not reused.
    private static final String GENERATOR = "bpf4j-btf-c-dump-1";

    /** The header of the running kernel, under {@link Cache#root()}. */
    public static VmlinuxHeader ofRunningKernel() {
        return ofRunningKernel(Cache.root());
    }

    /** The header of the running kernel, under {@code cacheRoot}. */
    static VmlinuxHeader ofRunningKernel(Path cacheRoot) {
        if (!Files.isReadable(KERNEL_BTF)) {
            throw new UnsupportedFeatureException("this kernel exposes no BTF (" + KERNEL_BTF
                    + " is missing or unreadable): compiling BPF C at run time needs a kernel built with "
                    + "CONFIG_DEBUG_INFO_BTF=y");
        }
        return of(KERNEL_BTF, cacheRoot, KernelBuild.identity());
    }

    /** The header of the kernel whose BTF is {@code btfFile}, cached under {@code cacheRoot}. */
    public static VmlinuxHeader of(Path btfFile, Path cacheRoot) {
        return of(btfFile, cacheRoot, new byte[0]);
    }

    private static VmlinuxHeader of(Path btfFile, Path cacheRoot, byte[] build) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(btfFile);
        } catch (IOException e) {
            throw new BpfException("cannot read kernel BTF " + btfFile + ": " + e.getMessage(), e);
        }
        CRC32 crc = new CRC32();
        crc.update(raw);
        String key = Cache.sha256(GENERATOR.getBytes(StandardCharsets.UTF_8), build,
                (raw.length + ":" + crc.getValue()).getBytes(StandardCharsets.UTF_8)).substring(0, 24);
        Path file = cacheRoot.resolve("vmlinux").resolve(key).resolve("vmlinux.h");
        if (Files.isRegularFile(file)) {
            return new VmlinuxHeader(file, false);
        }
        StringBuilder text = new StringBuilder(4 << 20);
        BtfCDump.dumpHeader(Btf.parse(raw), text, true);
        Cache.write(file, text.toString().getBytes(StandardCharsets.UTF_8));
        return new VmlinuxHeader(file, true);
    }

    /** The directory to put on clang's include path for {@code #include "vmlinux.h"}. */
    public Path directory() {
        return file.getParent();
    }
}
