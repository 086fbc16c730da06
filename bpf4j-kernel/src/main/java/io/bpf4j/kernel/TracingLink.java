package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.BpfException;
import io.bpf4j.ProgramType;
import io.bpf4j.btf.BtfKind;
import io.bpf4j.kernel.sys.Layouts.LinkCreate;
import java.util.Optional;

/**
 * A program attached to a BTF-typed kernel hook: {@code tp_btf} (a tracepoint with typed
 * arguments), {@code fentry}, {@code fexit}, {@code fmod_ret} or {@code lsm}. The target is
 * chosen when the program is loaded ({@link #targetBtfId}); attaching only activates it.
 *
 * <pre>{@code
 * int id = TracingLink.targetBtfId(AttachType.TRACE_FENTRY, "do_unlinkat");
 * KernelProgram p = KernelProgram.load(ProgramDefinition.of(ProgramType.TRACING, "on_unlink", code, "GPL")
 *         .withExpectedAttachType(AttachType.TRACE_FENTRY).withAttachTarget(id, 0));
 * try (TracingLink link = TracingLink.attach(p)) { ... }
 * }</pre>
 */
public final class TracingLink extends SingleKernelLink {

    private TracingLink(KernelLink link) {
        super(link, "tracing");
    }

    /**
     * The vmlinux BTF id a program of {@code type} is loaded with to attach to {@code target}:
     * for tp_btf the tracepoint's {@code btf_trace_<name>} typedef, else the function.
     */
    public static int targetBtfId(AttachType type, String target) {
        String what = "attach " + type.bpftoolName() + " to " + target;
        return switch (type) {
            case TRACE_RAW_TP -> VmlinuxBtf.require("btf_trace_" + target, BtfKind.TYPEDEF, what);
            case LSM_MAC, LSM_CGROUP -> VmlinuxBtf.require(target.startsWith("bpf_lsm_") ? target : "bpf_lsm_" + target,
                    BtfKind.FUNC, what);
            default -> VmlinuxBtf.require(target, BtfKind.FUNC, what);
        };
    }

    /**
     * Whether this kernel loads a program of {@code type} (fentry, fexit...) for kernel function
     * {@code function}: some kernels have the BTF but forbid BPF trampolines (lockdown), or
     * cannot trace a given function.
     */
    public static boolean canAttach(AttachType type, String function) {
        Optional<Integer> id;
        try {
            id = VmlinuxBtf.function(function);
        } catch (BpfException e) {
            return false;
        }
        if (id.isEmpty()) {
            return false;
        }
        byte[] returnZero = {(byte) 0xb7, 0, 0, 0, 0, 0, 0, 0, (byte) 0x95, 0, 0, 0, 0, 0, 0, 0};
        try (KernelProgram p = KernelProgram.load(ProgramDefinition.of(ProgramType.TRACING, "probe", returnZero, "GPL")
                .withExpectedAttachType(type).withAttachTarget(id.get(), 0))) {
            return true;
        } catch (BpfException e) {
            return false;
        }
    }

    /** Attaches a tracing or LSM program to the target it was loaded for. */
    public static TracingLink attach(KernelProgram program) {
        return new TracingLink(RawTracepointLink.open(program, null, 0, "attach " + program));
    }

    /** Attaches with {@code cookie} (read with {@code bpf_get_attach_cookie}); {@code type} is the program's expected attach type. */
    public static TracingLink attach(KernelProgram program, AttachType type, long cookie) {
        return new TracingLink(KernelLink.create("attach " + program, program, 0, type, 0,
                attr -> LinkCreate.TRACING_COOKIE.set(attr, cookie)));
    }
}
