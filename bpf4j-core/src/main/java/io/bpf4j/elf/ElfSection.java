package io.bpf4j.elf;

import java.nio.ByteBuffer;

/**
 * One section header of an {@link ElfFile} and a view of its contents (empty for
 * {@link #SHT_NOBITS}). Field names follow the ELF specification without the {@code sh_} prefix.
 *
 * <pre>{@code
 * ElfSection text = elf.section("xdp").orElseThrow();
 * byte[] code = text.bytes();
 * }</pre>
 */
public record ElfSection(
        int index,
        String name,
        int type,
        long flags,
        long addr,
        long offset,
        long size,
        int link,
        int info,
        long addralign,
        long entsize,
        ByteBuffer data) {

    public static final int SHT_NULL = 0;
    public static final int SHT_PROGBITS = 1;
    public static final int SHT_SYMTAB = 2;
    public static final int SHT_STRTAB = 3;
    public static final int SHT_RELA = 4;
    public static final int SHT_NOBITS = 8;
    public static final int SHT_REL = 9;
    public static final int SHT_DYNSYM = 11;
    public static final int SHT_SYMTAB_SHNDX = 18;
    /** LLVM's address-significance table. */
    public static final int SHT_LLVM_ADDRSIG = 0x6fff4c03;

    public static final long SHF_WRITE = 0x1;
    public static final long SHF_ALLOC = 0x2;
    public static final long SHF_EXECINSTR = 0x4;

    /** A fresh read-only view of the contents, in the file's byte order, positioned at 0. */
    @Override
    public ByteBuffer data() {
        return data.slice().order(data.order());
    }

    /** A copy of the contents. */
    public byte[] bytes() {
        byte[] out = new byte[data.remaining()];
        data.slice().get(out);
        return out;
    }

    /** True if the section holds code ({@link #SHF_EXECINSTR}). */
    public boolean isExecutable() {
        return (flags & SHF_EXECINSTR) != 0;
    }

    /** True for REL and RELA sections. */
    public boolean isRelocation() {
        return type == SHT_REL || type == SHT_RELA;
    }
}
