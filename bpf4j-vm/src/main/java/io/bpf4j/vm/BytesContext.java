package io.bpf4j.vm;

import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;

/**
 * Contexts that are plain bytes given by the caller: the {@code u64} arguments of raw
 * tracepoint and tracing programs (at most 12), {@code struct pt_regs} of kprobes
 * (x86-64, 168 bytes), {@code struct bpf_perf_event_data} (184 bytes), a tracepoint's
 * record, and the free-form context of {@code BPF_PROG_TYPE_SYSCALL}, the only writable
 * one. There is no packet: data in must be empty.
 */
final class BytesContext implements ProgramContext {
    static final int PT_REGS_SIZE = 168;
    static final int PERF_EVENT_DATA_SIZE = 184;
    static final int MAX_ARGS_SIZE = 12 * 8;

    private final VmProgram program;
    private final byte[] bytes;
    private final int ctxOutSize;
    private final long address;

    BytesContext(VmProgram program, Execution ex, TestRun run) {
        this.program = program;
        ProgramType type = program.type();
        if (run.dataIn().length != 0 || run.dataOutSize() != 0) {
            throw ProgramContext.invalid(program, "EINVAL", "programs of this type take no packet data, only a context");
        }
        byte[] in = run.ctxIn();
        bytes = switch (type) {
            case KPROBE -> ProgramContext.fit(program, in, PT_REGS_SIZE);
            case PERF_EVENT -> ProgramContext.fit(program, in, PERF_EVENT_DATA_SIZE);
            case RAW_TRACEPOINT, RAW_TRACEPOINT_WRITABLE, TRACING -> {
                if (in.length > MAX_ARGS_SIZE) {
                    throw ProgramContext.invalid(program, "EINVAL", "context is " + in.length
                            + " bytes, raw tracepoint arguments are at most " + MAX_ARGS_SIZE);
                }
                yield in.clone();
            }
            default -> {
                if (in.length > 0xffff) {
                    throw ProgramContext.invalid(program, "EINVAL", "context is " + in.length + " bytes, at most 65535");
                }
                yield in.clone();
            }
        };
        ctxOutSize = run.ctxOutSize();
        boolean writable = type == ProgramType.SYSCALL;
        Region region = new Region(Region.Kind.CONTEXT, "context (" + type.bpftoolName() + ", " + bytes.length + " bytes)",
                bytes, 0, bytes.length, !writable, null, null);
        ex.mem.setLocal(Memory.CONTEXT, region);
        address = Memory.address(Memory.CONTEXT, 0);
    }

    static boolean handles(ProgramType type) {
        return switch (type) {
            case RAW_TRACEPOINT, RAW_TRACEPOINT_WRITABLE, TRACING, KPROBE, TRACEPOINT, PERF_EVENT, SYSCALL -> true;
            default -> false;
        };
    }

    @Override
    public long argument() {
        return address;
    }

    @Override
    public TestRunResult result(long returnValue, long averageNs) {
        byte[] ctxOut = ProgramContext.output(program, "context", bytes.clone(), ctxOutSize);
        return new TestRunResult(returnValue, new byte[0], ctxOut, averageNs);
    }
}
