package io.bpf4j.object;

import io.bpf4j.AttachType;
import io.bpf4j.ProgramType;
import io.bpf4j.btf.BtfExt;
import io.bpf4j.BpfFormatException;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.PseudoSource;
import io.bpf4j.isa.SlotMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.ToIntFunction;

/**
 * One entry-point program of an object, linked: its instructions with every subprogram it
 * calls appended (as libbpf appends them), and its func_info, line_info and CO-RE records
 * moved along. What is left for a backend is in {@link #references()}: maps, global data and
 * kernel symbols, by name. {@code lddw} instructions that load a map or map value already have
 * the right pseudo source ({@code MAP_FD}, {@code MAP_VALUE} with the offset in the upper half),
 * and subprogram calls and function pointers their final offsets.
 *
 * <pre>{@code
 * ProgramSpec p = spec.program("handle_exec").orElseThrow();
 * System.out.println(p.type() + " " + p.attachTarget() + " " + p.instructions().size());
 * }</pre>
 *
 * @param name the function's name
 * @param sectionName its ELF section, without the {@code ?} prefix
 * @param type the program type its section implies
 * @param attachType the expected attach type, or null
 * @param attachTarget the text after the section prefix's {@code /} (function, tracepoint...), or ""
 * @param flags load flags ({@link SectionDefinition#SLEEPABLE}, {@link SectionDefinition#XDP_FRAGS})
 * @param autoload false for {@code SEC("?...")} programs, which are not loaded unless asked for
 * @param license the object's license
 * @param kernelVersion the object's {@code version} section, 0 if none
 * @param instructions the linked instructions
 * @param references instructions a backend must resolve, by slot
 * @param funcInfos BTF function of each (sub)program start; offsets in bytes into the linked code
 * @param lineInfos source lines; offsets in bytes into the linked code
 * @param coreRelos CO-RE relocations; offsets in bytes into the linked code
 */
public record ProgramSpec(
        String name,
        String sectionName,
        ProgramType type,
        AttachType attachType,
        String attachTarget,
        int flags,
        boolean autoload,
        String license,
        int kernelVersion,
        List<Instruction> instructions,
        List<Reference> references,
        List<BtfExt.FuncInfo> funcInfos,
        List<BtfExt.LineInfo> lineInfos,
        List<BtfExt.CoreRelo> coreRelos) {

    public ProgramSpec {
        Objects.requireNonNull(name);
        Objects.requireNonNull(sectionName);
        Objects.requireNonNull(type);
        Objects.requireNonNull(attachTarget);
        Objects.requireNonNull(license);
        instructions = List.copyOf(instructions);
        references = List.copyOf(references);
        funcInfos = List.copyOf(funcInfos);
        lineInfos = List.copyOf(lineInfos);
        coreRelos = List.copyOf(coreRelos);
    }

    /** Number of 8-byte instruction slots ({@code lddw} takes two). */
    public int slotCount() {
        int n = 0;
        for (Instruction i : instructions) {
            n += i.slots();
        }
        return n;
    }

    /**
     * The instructions with the map references resolved the way a backend loads them: an
     * {@code lddw} of a map gets the map's file descriptor ({@code BPF_PSEUDO_MAP_FD}), one of
     * a map's value the descriptor and the offset ({@code BPF_PSEUDO_MAP_VALUE}), as {@code mapFd}
     * gives descriptors by map name. Each kernel symbol reference is replaced by what
     * {@code extern} makes of it and of the instruction there (an {@code lddw}, or a call of a
     * kernel function), which is where a backend resolves or refuses them.
     *
     * @throws BpfFormatException if a map reference is not on a 64-bit load
     */
    public List<Instruction> resolve(ToIntFunction<String> mapFd, BiFunction<Reference.Extern, Instruction, Instruction> extern) {
        List<Instruction> insns = new ArrayList<>(instructions);
        SlotMap slots = SlotMap.of(insns);
        for (Reference ref : references) {
            int index = slots.index(ref.slot());
            Instruction at = insns.get(index);
            insns.set(index, switch (ref) {
                case Reference.MapFd(int slot, String map) ->
                        new Instruction.LoadImm64(load(at, ref).dst(), PseudoSource.MAP_FD, mapFd.applyAsInt(map));
                case Reference.MapValue(int slot, String map, int offset) -> new Instruction.LoadImm64(load(at, ref).dst(),
                        PseudoSource.MAP_VALUE, (long) offset << 32 | mapFd.applyAsInt(map) & 0xffff_ffffL);
                case Reference.Extern e -> extern.apply(e, at);
            });
        }
        return insns;
    }

    private Instruction.LoadImm64 load(Instruction at, Reference ref) {
        if (!(at instanceof Instruction.LoadImm64 ld)) {
            throw new BpfFormatException("program '" + name + "': slot " + ref.slot() + " is not a 64-bit load but has a reference "
                    + ref);
        }
        return ld;
    }

    /** This program with autoload on or off. */
    public ProgramSpec withAutoload(boolean load) {
        return new ProgramSpec(name, sectionName, type, attachType, attachTarget, flags, load, license, kernelVersion, instructions,
                references, funcInfos, lineInfos, coreRelos);
    }
}
