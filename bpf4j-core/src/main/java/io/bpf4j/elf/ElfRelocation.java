package io.bpf4j.elf;

/**
 * One REL or RELA entry: patch the target section at {@code offset} according to
 * {@code type}, using symbol {@code symbol} (an index into the linked symbol table, 0 for
 * none). {@code addend} is 0 for REL entries, whose addend lies in the patched bytes.
 */
public record ElfRelocation(long offset, int symbol, int type, long addend) {
    /** BPF relocation types ({@code R_BPF_*}). */
    public static final int R_BPF_NONE = 0;
    public static final int R_BPF_64_64 = 1;
    public static final int R_BPF_64_ABS64 = 2;
    public static final int R_BPF_64_ABS32 = 3;
    public static final int R_BPF_64_NODYLD32 = 4;
    public static final int R_BPF_64_32 = 10;
}
