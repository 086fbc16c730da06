package io.bpf4j.object;

import java.util.List;

/**
 * One function of an executable section before linking, as libbpf's {@code bpf_program}
 * before relocation: its bytecode (never modified once built) and its relocations, with slot
 * indexes counted from the function's start.
 *
 * @param name the symbol name
 * @param sectionIndex the ELF section
 * @param sectionName the section's name as written (with any {@code ?} prefix)
 * @param slotOffset where the function starts in its section, in slots
 * @param code the function's bytecode in the object's byte order
 * @param subprogram true for functions of {@code .text}, which are appended to callers
 * @param relocations its relocations, by slot
 */
record Function(String name, int sectionIndex, String sectionName, int slotOffset, byte[] code, boolean subprogram,
        List<Relocation> relocations) {

    int slotCount() {
        return code.length / 8;
    }

    boolean contains(int sectionIndex, int sectionSlot) {
        return this.sectionIndex == sectionIndex && sectionSlot >= slotOffset && sectionSlot < slotOffset + slotCount();
    }

    Function withCode(byte[] newCode) {
        return new Function(name, sectionIndex, sectionName, slotOffset, newCode, subprogram, relocations);
    }

    /** The relocation of the instruction at {@code slot}, or null. */
    Relocation relocationAt(int slot) {
        for (Relocation r : relocations) {
            if (r.slot() == slot) {
                return r;
            }
        }
        return null;
    }

    /** An ELF relocation of a function, classified as libbpf classifies it. */
    sealed interface Relocation {
        int slot();
    }

    /** A call of the function at byte {@code symbolValue} of section {@code sectionIndex} (plus the call's imm). */
    record Call(int slot, int sectionIndex, long symbolValue) implements Relocation {}

    /** An {@code lddw} of a function's address. */
    record FunctionAddress(int slot, int sectionIndex, long symbolValue) implements Relocation {}

    /** An {@code lddw} of map {@code map}. */
    record MapLoad(int slot, String map) implements Relocation {}

    /** An {@code lddw} of an address in map {@code map}'s value; the offset is {@code symbolValue} plus the imm. */
    record DataLoad(int slot, String map, long symbolValue) implements Relocation {}

    /** An {@code lddw} of a {@code .kconfig} extern at {@code offset} in map {@code map}. */
    record KconfigLoad(int slot, String map, int offset) implements Relocation {}

    /** A {@code .ksyms} extern variable load or kfunc call. */
    record KsymUse(int slot, String name, boolean function, boolean weak) implements Relocation {}
}
