package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.BpfFormatException;
import io.bpf4j.ProgramType;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.Instructions;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Objects;

/**
 * What {@link KernelProgram#load} submits: the fields of {@code BPF_PROG_LOAD}. File
 * descriptors in it (BTF, attach target) are borrowed, not owned.
 *
 * <pre>{@code
 * ProgramDefinition d = ProgramDefinition.of(ProgramType.XDP, "xdp_pass", insnBytes, "GPL")
 *         .withLogLevel(1);
 * }</pre>
 *
 * @param instructions     encoded {@code struct bpf_insn}s, 8 bytes each, in this machine's byte order
 * @param expectedAttachType kernel number of the expected attach type (0 when the type needs none)
 * @param kernVersion      {@code LINUX_VERSION_CODE} for old kprobe programs; 0 otherwise
 * @param flags            {@code BPF_F_*} program flags ({@link #SLEEPABLE}, ...)
 * @param btfFd            BTF that {@code funcInfo}/{@code lineInfo} refer to, 0 for none
 * @param funcInfo         {@code struct bpf_func_info} records, {@code funcInfoRecordSize} bytes each
 * @param lineInfo         {@code struct bpf_line_info} records, {@code lineInfoRecordSize} bytes each
 * @param attachBtfId      for tracing, LSM and struct_ops programs: the BTF id of the target
 * @param attachFd         the attach target's BTF object fd (kernel module BTF) or program fd (freplace); 0 for vmlinux
 * @param logLevel         0: a log only to explain a failure; 1, 2 (with 4 for stats): always keep the verifier's log
 * @param fdArray          BTF object fds that kfunc calls name by index in their {@code off} field (module kfuncs); index 0 unused
 */
public record ProgramDefinition(
        ProgramType type,
        String name,
        byte[] instructions,
        String license,
        int expectedAttachType,
        int kernVersion,
        int flags,
        int btfFd,
        byte[] funcInfo,
        int funcInfoRecordSize,
        byte[] lineInfo,
        int lineInfoRecordSize,
        int attachBtfId,
        int attachFd,
        int ifindex,
        int logLevel,
        int[] fdArray) {

    public static final int STRICT_ALIGNMENT = 1;
    public static final int ANY_ALIGNMENT = 1 << 1;
    public static final int TEST_RND_HI32 = 1 << 2;
    public static final int TEST_STATE_FREQ = 1 << 3;
    public static final int SLEEPABLE = 1 << 4;
    public static final int XDP_HAS_FRAGS = 1 << 5;
    public static final int XDP_DEV_BOUND_ONLY = 1 << 6;

    /** Size of a {@code struct bpf_insn}. */
    public static final int INSN_SIZE = 8;

    public ProgramDefinition {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(instructions, "instructions");
        Objects.requireNonNull(license, "license");
        Objects.requireNonNull(funcInfo, "funcInfo");
        Objects.requireNonNull(lineInfo, "lineInfo");
        Objects.requireNonNull(fdArray, "fdArray");
        if (instructions.length == 0 || instructions.length % INSN_SIZE != 0) {
            throw new BpfFormatException("program '" + name + "': " + instructions.length
                    + " bytes of instructions is not a positive multiple of " + INSN_SIZE);
        }
        if (funcInfoRecordSize < 0 || lineInfoRecordSize < 0
                || funcInfo.length > 0 && (funcInfoRecordSize == 0 || funcInfo.length % funcInfoRecordSize != 0)
                || lineInfo.length > 0 && (lineInfoRecordSize == 0 || lineInfo.length % lineInfoRecordSize != 0)) {
            throw new BpfFormatException("program '" + name + "': func_info or line_info length is not a multiple "
                    + "of its record size");
        }
        if (license.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("program '" + name + "': license contains a NUL character");
        }
        MapDefinition.checkName("program", name);
    }

    /** A program with no BTF, flags or attach target. */
    public static ProgramDefinition of(ProgramType type, String name, byte[] instructions, String license) {
        return new ProgramDefinition(type, name, instructions.clone(), license, 0, 0, 0, 0, new byte[0], 0, new byte[0],
                0, 0, 0, 0, 0, new int[0]);
    }

    /** A program of {@code instructions}, encoded in this machine's byte order. */
    public static ProgramDefinition of(ProgramType type, String name, List<? extends Instruction> instructions, String license) {
        return of(type, name, Instructions.encode(instructions, ByteOrder.nativeOrder()), license);
    }

    /** How many instructions (8-byte slots, a 64-bit load counting two). */
    public int instructionCount() {
        return instructions.length / INSN_SIZE;
    }

    public ProgramDefinition withExpectedAttachType(AttachType t) {
        return new ProgramDefinition(type, name, instructions, license, t.id(), kernVersion, flags, btfFd, funcInfo,
                funcInfoRecordSize, lineInfo, lineInfoRecordSize, attachBtfId, attachFd, ifindex, logLevel, fdArray);
    }

    public ProgramDefinition withKernVersion(int version) {
        return new ProgramDefinition(type, name, instructions, license, expectedAttachType, version, flags, btfFd,
                funcInfo, funcInfoRecordSize, lineInfo, lineInfoRecordSize, attachBtfId, attachFd, ifindex, logLevel, fdArray);
    }

    public ProgramDefinition withFlags(int newFlags) {
        return new ProgramDefinition(type, name, instructions, license, expectedAttachType, kernVersion, newFlags, btfFd,
                funcInfo, funcInfoRecordSize, lineInfo, lineInfoRecordSize, attachBtfId, attachFd, ifindex, logLevel, fdArray);
    }

    /** BTF with the program's functions and source lines, as {@code .BTF.ext} gives them. */
    public ProgramDefinition withBtf(KernelBtf btf, byte[] funcInfoRecords, int funcInfoRecSize, byte[] lineInfoRecords,
            int lineInfoRecSize) {
        return new ProgramDefinition(type, name, instructions, license, expectedAttachType, kernVersion, flags, btf.fd(),
                funcInfoRecords.clone(), funcInfoRecSize, lineInfoRecords.clone(), lineInfoRecSize, attachBtfId,
                attachFd, ifindex, logLevel, fdArray);
    }

    /** Attaches to BTF type {@code btfId} of vmlinux ({@code targetFd} 0), a module's BTF, or a program (freplace). */
    public ProgramDefinition withAttachTarget(int btfId, int targetFd) {
        return new ProgramDefinition(type, name, instructions, license, expectedAttachType, kernVersion, flags, btfFd,
                funcInfo, funcInfoRecordSize, lineInfo, lineInfoRecordSize, btfId, targetFd, ifindex, logLevel, fdArray);
    }

    public ProgramDefinition withLogLevel(int level) {
        return new ProgramDefinition(type, name, instructions, license, expectedAttachType, kernVersion, flags, btfFd,
                funcInfo, funcInfoRecordSize, lineInfo, lineInfoRecordSize, attachBtfId, attachFd, ifindex, level, fdArray);
    }

    /** Module BTF fds for kfunc calls whose {@code off} indexes them. */
    public ProgramDefinition withFdArray(int[] fds) {
        return new ProgramDefinition(type, name, instructions, license, expectedAttachType, kernVersion, flags, btfFd,
                funcInfo, funcInfoRecordSize, lineInfo, lineInfoRecordSize, attachBtfId, attachFd, ifindex, logLevel, fds.clone());
    }

    public ProgramDefinition withIfindex(int index) {
        return new ProgramDefinition(type, name, instructions, license, expectedAttachType, kernVersion, flags, btfFd,
                funcInfo, funcInfoRecordSize, lineInfo, lineInfoRecordSize, attachBtfId, attachFd, index, logLevel, fdArray);
    }
}
