package io.bpf4j.isa;

import java.util.Arrays;
import java.util.List;

/**
 * Maps between instruction indexes and 8-byte slot numbers of a program. Jump offsets and
 * relocation offsets count slots, and {@code lddw} takes two, so the two numberings differ
 * after the first {@code lddw}.
 *
 * <pre>{@code
 * SlotMap slots = SlotMap.of(program);
 * int target = slots.target(i, jump.offset());   // index the jump at index i goes to, or -1
 * }</pre>
 */
public final class SlotMap {
    private final int[] slotOfIndex;
    private final int[] indexOfSlot;

    private SlotMap(int[] slotOfIndex, int[] indexOfSlot) {
        this.slotOfIndex = slotOfIndex;
        this.indexOfSlot = indexOfSlot;
    }

    /** The map of a program. */
    public static SlotMap of(List<? extends Instruction> program) {
        int[] slotOfIndex = new int[program.size() + 1];
        int slot = 0;
        for (int i = 0; i < program.size(); i++) {
            slotOfIndex[i] = slot;
            slot += program.get(i).slots();
        }
        slotOfIndex[program.size()] = slot;
        int[] indexOfSlot = new int[slot];
        Arrays.fill(indexOfSlot, -1);
        for (int i = 0; i < program.size(); i++) {
            indexOfSlot[slotOfIndex[i]] = i;
        }
        return new SlotMap(slotOfIndex, indexOfSlot);
    }

    /** Number of slots of the program. */
    public int slotCount() {
        return indexOfSlot.length;
    }

    /** Number of instructions of the program. */
    public int size() {
        return slotOfIndex.length - 1;
    }

    /** The slot where instruction {@code index} starts; {@code size()} gives the end slot. */
    public int slot(int index) {
        return slotOfIndex[index];
    }

    /** The instruction starting at {@code slot}, or -1 if none does (out of range, or inside an lddw). */
    public int index(int slot) {
        return slot >= 0 && slot < indexOfSlot.length ? indexOfSlot[slot] : -1;
    }

    /**
     * The instruction a jump or call at {@code index} with a relative offset of {@code relative}
     * slots reaches (counted from the next slot), or -1 if that is no instruction boundary.
     */
    public int target(int index, long relative) {
        long slot = slotOfIndex[index] + 1L + relative;
        return slot >= 0 && slot < indexOfSlot.length ? indexOfSlot[(int) slot] : -1;
    }
}
