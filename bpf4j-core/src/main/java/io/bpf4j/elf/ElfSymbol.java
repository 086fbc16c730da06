package io.bpf4j.elf;

/**
 * One entry of an ELF symbol table. {@code index} is its position in the table (what
 * relocations refer to); {@code sectionIndex} is the section it is defined in, or one of the
 * special {@code SHN_} values.
 */
public record ElfSymbol(
        int index, String name, long value, long size, int type, int bind, int visibility, int sectionIndex) {

    public static final int STT_NOTYPE = 0;
    public static final int STT_OBJECT = 1;
    public static final int STT_FUNC = 2;
    public static final int STT_SECTION = 3;
    public static final int STT_FILE = 4;
    public static final int STT_COMMON = 5;

    public static final int STB_LOCAL = 0;
    public static final int STB_GLOBAL = 1;
    public static final int STB_WEAK = 2;

    public static final int STV_DEFAULT = 0;
    public static final int STV_INTERNAL = 1;
    public static final int STV_HIDDEN = 2;
    public static final int STV_PROTECTED = 3;

    public static final int SHN_UNDEF = 0;
    public static final int SHN_LORESERVE = 0xff00;
    public static final int SHN_ABS = 0xfff1;
    public static final int SHN_COMMON = 0xfff2;
    public static final int SHN_XINDEX = 0xffff;

    /** True if the symbol is defined in a regular section (not undefined, absolute or common). */
    public boolean isInSection() {
        return sectionIndex != SHN_UNDEF && (sectionIndex < SHN_LORESERVE || sectionIndex > SHN_XINDEX);
    }
}
