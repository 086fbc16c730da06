package io.bpf4j.object;

import io.bpf4j.AttachType;
import io.bpf4j.ProgramType;
import io.bpf4j.btf.BtfExt;
import io.bpf4j.isa.Instruction;
import java.util.List;
import java.util.Objects;

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

    /** This program with autoload on or off. */
    public ProgramSpec withAutoload(boolean load) {
        return new ProgramSpec(name, sectionName, type, attachType, attachTarget, flags, load, license, kernelVersion, instructions,
                references, funcInfos, lineInfos, coreRelos);
    }
}
