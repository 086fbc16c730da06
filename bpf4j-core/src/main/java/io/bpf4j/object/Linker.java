package io.bpf4j.object;

import io.bpf4j.BpfFormatException;
import io.bpf4j.btf.BtfExt;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.Instructions;
import io.bpf4j.isa.PseudoSource;
import io.bpf4j.isa.SlotMap;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Links an entry-point function into one instruction stream as libbpf's
 * {@code bpf_object__reloc_code} does: a subprogram is appended where first called (depth
 * first), every call and function pointer gets its final relative offset, and the function's
 * func_info, line_info and CO-RE records follow its instructions. Map and data references
 * become {@link Reference}s.
 */
final class Linker {
    /** The result of linking one program. */
    record Linked(List<Instruction> instructions, List<Reference> references, List<BtfExt.FuncInfo> funcInfos,
            List<BtfExt.LineInfo> lineInfos, List<BtfExt.CoreRelo> coreRelos) {}

    private final String file;
    private final List<Function> functions;
    private final BtfExt ext;
    private final ByteOrder order;
    private final Map<Function, List<Instruction>> decoded = new HashMap<>();

    Linker(String file, List<Function> functions, BtfExt ext, ByteOrder order) {
        this.file = file;
        this.functions = functions;
        this.ext = ext;
        this.order = order;
    }

    /** The progress of linking one program. */
    private static final class State {
        final List<Instruction> out = new ArrayList<>();
        final Map<Function, Integer> slotOf = new HashMap<>();
        final Map<Function, Integer> indexOf = new HashMap<>();
        final List<Reference> references = new ArrayList<>();
        final List<BtfExt.FuncInfo> funcInfos = new ArrayList<>();
        final List<BtfExt.LineInfo> lineInfos = new ArrayList<>();
        final List<BtfExt.CoreRelo> coreRelos = new ArrayList<>();
        int slots;
    }

    Linked link(Function main) {
        State st = new State();
        append(st, main);
        resolveCalls(st, main);
        return new Linked(st.out, st.references, st.funcInfos, st.lineInfos, st.coreRelos);
    }

    private BpfFormatException error(Function f, String message) {
        return new BpfFormatException(file + ": program '" + f.name() + "' in section '" + f.sectionName() + "': " + message);
    }

    private List<Instruction> decode(Function f) {
        return decoded.computeIfAbsent(f, k -> {
            try {
                return Instructions.decode(k.code(), order);
            } catch (BpfFormatException e) {
                throw error(k, e.getMessage());
            }
        });
    }

    private void append(State st, Function f) {
        int base = st.slots;
        int firstIndex = st.out.size();
        st.slotOf.put(f, base);
        st.indexOf.put(f, firstIndex);
        List<Instruction> code = decode(f);
        st.out.addAll(code);
        st.slots += f.slotCount();
        SlotMap slots = SlotMap.of(code);
        for (Function.Relocation r : f.relocations()) {
            int index = slots.index(r.slot());
            if (index < 0) {
                throw error(f, "relocation at insn #" + r.slot() + ", inside an lddw");
            }
            Instruction insn = code.get(index);
            int at = base + r.slot();
            switch (r) {
                case Function.MapLoad m -> {
                    st.references.add(new Reference.MapFd(at, m.map()));
                    st.out.set(firstIndex + index, new Instruction.LoadImm64(insn.dst(), PseudoSource.MAP_FD, 0));
                }
                case Function.DataLoad d -> {
                    int offset = (int) (insn.imm() + d.symbolValue());
                    st.references.add(new Reference.MapValue(at, d.map(), offset));
                    st.out.set(firstIndex + index, new Instruction.LoadImm64(insn.dst(), PseudoSource.MAP_VALUE, (long) offset << 32));
                }
                case Function.KconfigLoad k -> {
                    st.references.add(new Reference.MapValue(at, k.map(), k.offset()));
                    st.out.set(firstIndex + index, new Instruction.LoadImm64(insn.dst(), PseudoSource.MAP_VALUE, (long) k.offset() << 32));
                }
                case Function.KsymUse k -> {
                    st.references.add(new Reference.Extern(at, k.name(), k.function(), k.weak()));
                    if (k.function()) {
                        st.out.set(firstIndex + index, new Instruction.CallKfunc(0, (short) 0));
                    }
                }
                case Function.Call c -> { }
                case Function.FunctionAddress a -> {
                    if (!(insn instanceof Instruction.LoadImm64)) {
                        throw error(f, "function address relocation at insn #" + r.slot() + " on a " + insn);
                    }
                }
            }
        }
        if (ext != null) {
            moveExt(ext.funcInfos().get(f.sectionName()), f, base, st.funcInfos,
                    (x, off) -> new BtfExt.FuncInfo(off, x.typeId()), BtfExt.FuncInfo::insnOffset);
            moveExt(ext.lineInfos().get(f.sectionName()), f, base, st.lineInfos,
                    (x, off) -> new BtfExt.LineInfo(off, x.fileName(), x.lineText(), x.line(), x.column()), BtfExt.LineInfo::insnOffset);
            moveExt(ext.coreRelos().get(f.sectionName()), f, base, st.coreRelos,
                    (x, off) -> new BtfExt.CoreRelo(off, x.typeId(), x.accessString(), x.kind()), BtfExt.CoreRelo::insnOffset);
        }
    }

    private interface Mover<T> {
        T at(T record, int byteOffset);
    }

    /** Copies the records of {@code f}'s instructions, with offsets moved to where it now starts. */
    private static <T> void moveExt(List<T> records, Function f, int base, List<T> out, Mover<T> mover,
            java.util.function.ToIntFunction<T> offset) {
        if (records == null) {
            return;
        }
        for (T r : records) {
            long slot = Integer.toUnsignedLong(offset.applyAsInt(r)) / 8;
            if (slot >= f.slotOffset() && slot < f.slotOffset() + f.slotCount()) {
                out.add(mover.at(r, (int) (slot - f.slotOffset() + base) * 8));
            }
        }
    }

    private Function functionAt(int sectionIndex, long sectionSlot) {
        for (Function g : functions) {
            if (sectionSlot >= 0 && sectionSlot <= Integer.MAX_VALUE && g.contains(sectionIndex, (int) sectionSlot)) {
                return g;
            }
        }
        return null;
    }

    private void resolveCalls(State st, Function f) {
        List<Instruction> code = decode(f);
        SlotMap slots = SlotMap.of(code);
        for (int i = 0; i < code.size(); i++) {
            Instruction insn = code.get(i);
            int slot = slots.slot(i);
            Function.Relocation r = f.relocationAt(slot);
            boolean call = insn instanceof Instruction.CallLocal;
            boolean address = insn instanceof Instruction.LoadImm64 && r instanceof Function.FunctionAddress;
            if (!call && !address || r instanceof Function.KsymUse) {
                continue;
            }
            int section;
            long target;
            switch (r) {
                case Function.Call c -> {
                    section = c.sectionIndex();
                    target = c.symbolValue() / 8 + insn.imm() + 1;
                }
                case Function.FunctionAddress a -> {
                    section = a.sectionIndex();
                    target = (a.symbolValue() + insn.imm()) / 8;
                }
                case null -> {
                    // A call with no relocation stays within its own section.
                    section = f.sectionIndex();
                    target = f.slotOffset() + slot + (long) insn.imm() + 1;
                }
                default -> throw error(f, "unexpected relocation " + r + " for the call at insn #" + slot);
            }
            Function sub = functionAt(section, target);
            if (sub == null) {
                throw error(f, "insn #" + slot + " calls insn #" + target + " of section " + section + ", where no function is");
            }
            if (!st.slotOf.containsKey(sub)) {
                append(st, sub);
                resolveCalls(st, sub);
            }
            int imm = st.slotOf.get(sub) - (st.slotOf.get(f) + slot) - 1;
            st.out.set(st.indexOf.get(f) + i, call ? new Instruction.CallLocal(imm)
                    : new Instruction.LoadImm64(insn.dst(), PseudoSource.FUNC, Integer.toUnsignedLong(imm)));
        }
    }
}
