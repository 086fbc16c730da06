package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.kernel.sys.Bpf;
import io.bpf4j.kernel.sys.BpfCmd;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Layouts;
import io.bpf4j.kernel.sys.Layouts.BtfLoad;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * BTF type information loaded into the kernel, which maps and programs refer to by fd.
 *
 * <pre>{@code
 * try (KernelBtf btf = KernelBtf.load(rawBtfBytes)) {
 *     KernelMap m = KernelMap.create(MapDefinition.of(MapType.HASH, 4, 8, 16).withBtf(btf, 1, 2));
 * }
 * }</pre>
 */
public final class KernelBtf extends KernelObject {
    private KernelBtf(Fd fd, int id) {
        super(fd, id);
    }

    private static KernelBtf adopt(Fd fd) {
        return closingOnFailure(fd, f -> new KernelBtf(f, BtfInfo.of(f.get(), "read BTF info").id()));
    }

    /**
     * Loads a raw BTF blob (header, types, strings). On failure the kernel's log is in the
     * exception's message; {@code logLevel} above 0 asks for a log from the first attempt.
     */
    public static KernelBtf load(byte[] blob, int logLevel) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(Math.max(1, blob.length), 8);
            MemorySegment.copy(blob, 0, data, ValueLayout.JAVA_BYTE, 0, blob.length);
            MemorySegment attr = Sys.attr(arena, BtfLoad.SIZE);
            KernelLog.Outcome o = KernelLog.load((level, buffer, trueSize) -> {
                attr.fill((byte) 0);
                BtfLoad.BTF.set(attr, data);
                BtfLoad.BTF_SIZE.set(attr, blob.length);
                BtfLoad.BTF_LOG_BUF.set(attr, buffer);
                BtfLoad.BTF_LOG_SIZE.set(attr, (int) buffer.byteSize());
                BtfLoad.BTF_LOG_LEVEL.set(attr, level);
                long r = Bpf.call(BpfCmd.BTF_LOAD, attr);
                trueSize[0] = BtfLoad.BTF_LOG_TRUE_SIZE.get(attr);
                return r;
            }, logLevel);
            if (o.result() < 0) {
                throw new BpfSyscallException(withLog("load BTF (" + blob.length + " bytes)", o.log()),
                        BpfCmd.BTF_LOAD, (int) -o.result());
            }
            return adopt(new Fd((int) o.result()));
        }
    }

    public static KernelBtf load(byte[] blob) {
        return load(blob, 0);
    }

    /** Opens the BTF object with kernel id {@code id} (1 is usually vmlinux). */
    public static KernelBtf openById(int id) {
        return adopt(Sys.openById(BpfCmd.BTF_GET_FD_BY_ID, id, "open BTF id " + id));
    }

    private static String withLog(String what, String log) {
        List<String> lines = Arrays.stream(log.split("\n")).filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty()) {
            return what;
        }
        return what + " (kernel log: " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 4), lines.size())) + ")";
    }

    /** Fresh information from the kernel. */
    public BtfInfo info() {
        return BtfInfo.of(fd(), "read info of " + this);
    }

    /** The raw BTF data as the kernel holds it. */
    public byte[] rawData() {
        int size = info().size();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(Layouts.BtfInfo.SIZE, 8);
            MemorySegment data = arena.allocate(Math.max(1, size), 8);
            Layouts.BtfInfo.BTF.set(s, data);
            Layouts.BtfInfo.BTF_SIZE.set(s, size);
            Sys.info(fd(), s, "read BTF data of " + this);
            int got = Layouts.BtfInfo.BTF_SIZE.get(s);
            if (got > size) {
                throw new BpfException(this + " grew from " + size + " to " + got + " bytes while being read");
            }
            return data.asSlice(0, got).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    @Override
    public String toString() {
        return "BTF id " + id();
    }
}
