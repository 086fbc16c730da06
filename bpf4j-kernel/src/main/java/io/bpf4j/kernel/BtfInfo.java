package io.bpf4j.kernel;

import io.bpf4j.kernel.sys.Layouts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What the kernel reports about a BTF object ({@code struct bpf_btf_info}).
 *
 * @param name       "vmlinux", a module's name, or empty for BTF loaded by a program
 * @param size       bytes of raw BTF data
 * @param kernelBtf  whether the kernel itself (vmlinux or a module) provides it
 */
public record BtfInfo(int id, String name, int size, boolean kernelBtf) {

    static BtfInfo of(int fd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(Layouts.BtfInfo.SIZE, 8);
            MemorySegment name = arena.allocate(256);
            Layouts.BtfInfo.NAME.set(s, name);
            Layouts.BtfInfo.NAME_LEN.set(s, (int) name.byteSize());
            Sys.info(fd, s, what);
            return new BtfInfo(Layouts.BtfInfo.ID.get(s), name.getString(0), Layouts.BtfInfo.BTF_SIZE.get(s),
                    Layouts.BtfInfo.KERNEL_BTF.get(s) != 0);
        }
    }
}
