package io.bpf4j.vm;

import io.bpf4j.BpfException;
import java.util.OptionalLong;

/**
 * A BPF program did something the VM will not allow (an out-of-bounds access, an
 * endless loop, too deep calls, a bad helper argument) or cannot be loaded at all. The
 * message names the instruction index, the instruction, the address involved and what
 * went wrong, e.g.
 * {@code pc 7 (r2 = *(u32 *)(r1 + 68)): read of 4 bytes at 0xa00000044 is outside packet (valid offsets 256..319)}.
 *
 * <pre>{@code
 * try {
 *     program.testRun(TestRun.ofData(packet));
 * } catch (VmException e) {
 *     System.err.println(e.kind() + " at pc " + e.pc() + ": " + e.what());
 * }
 * }</pre>
 */
public final class VmException extends BpfException {
    private static final long serialVersionUID = 1L;

    /** What kind of fault stopped (or refused) the program. */
    public enum Kind {
        /** A load or store outside every region the program may touch, or a write to read-only memory. */
        MEMORY,
        /** The instruction budget ran out: most likely an endless loop. */
        INSTRUCTION_BUDGET,
        /** More nested bpf-to-bpf calls than the kernel allows. */
        CALL_DEPTH,
        /** A helper was called with an argument the kernel's verifier would have refused. */
        HELPER_ARGUMENT,
        /** The program cannot be loaded: bad encoding, bad jump, unknown helper, unknown map. */
        INVALID_PROGRAM,
        /** The test-run input does not fit the program type's contract. */
        INVALID_INPUT,
    }

    private final Kind kind;
    private final int pc;
    private final String instruction;
    private final long address;
    private final boolean hasAddress;
    private final String what;

    private VmException(Kind kind, int pc, String instruction, long address, boolean hasAddress, String what) {
        super(message(pc, instruction, what));
        this.kind = kind;
        this.pc = pc;
        this.instruction = instruction;
        this.address = address;
        this.hasAddress = hasAddress;
        this.what = what;
    }

    /** A fault not (yet) tied to an instruction. */
    static VmException of(Kind kind, String what) {
        return new VmException(kind, -1, null, 0, false, what);
    }

    /** A memory fault at {@code address}, to be located by the interpreter. */
    static VmException memory(long address, String what) {
        return new VmException(Kind.MEMORY, -1, null, address, true, what);
    }

    /** The same fault, located at instruction {@code pc}. A fault that already has a location keeps it. */
    VmException at(int atPc, String atInstruction) {
        if (pc >= 0) {
            return this;
        }
        VmException located = new VmException(kind, atPc, atInstruction, address, hasAddress, what);
        located.setStackTrace(getStackTrace());
        return located;
    }

    private static String message(int pc, String instruction, String what) {
        if (pc < 0) {
            return what;
        }
        return "pc " + pc + (instruction == null ? "" : " (" + instruction + ")") + ": " + what;
    }

    public Kind kind() {
        return kind;
    }

    /** Index of the faulting instruction in its program, or -1 if the fault happened outside one. */
    public int pc() {
        return pc;
    }

    /** The faulting instruction as text, or null. */
    public String instruction() {
        return instruction;
    }

    /** The address the program tried to use, for memory faults. */
    public OptionalLong address() {
        return hasAddress ? OptionalLong.of(address) : OptionalLong.empty();
    }

    /** What went wrong, without the location. */
    public String what() {
        return what;
    }
}
