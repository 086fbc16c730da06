package io.bpf4j.vm;

import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;

/**
 * What a program of one type sees as its context during a test run, built from a
 * {@link TestRun} the way the kernel's {@code BPF_PROG_TEST_RUN} builds it for that type,
 * and what the run gives back (data out, context out).
 */
sealed interface ProgramContext permits XdpContext, SkbContext, BytesContext {
    /** The value of r1 when the program starts: the context's address. */
    long argument();

    /** Data and context after the runs, limited as the kernel limits them. */
    TestRunResult result(long returnValue, long averageNs);

    /** Whether the VM can run programs of {@code type} with a context of their kind. */
    static boolean supports(ProgramType type) {
        return XdpContext.handles(type) || SkbContext.handles(type) || BytesContext.handles(type);
    }

    /** Checks {@code run} against the type's test-run rules and builds the context in {@code ex}'s memory. */
    static ProgramContext create(VmProgram program, Execution ex, TestRun run) {
        ProgramType type = program.type();
        if (XdpContext.handles(type)) {
            return new XdpContext(program, ex, run);
        }
        if (SkbContext.handles(type)) {
            return new SkbContext(program, ex, run);
        }
        return new BytesContext(program, ex, run);
    }

    /** A test-run input the kernel would refuse, with its errno. */
    static VmException invalid(VmProgram program, String errno, String why) {
        return VmException.of(VmException.Kind.INVALID_INPUT,
                "test run of '" + program.name() + "' (" + program.type().bpftoolName() + "): " + errno + ": " + why);
    }

    /** The kernel's bpf_check_uarg_tail_zero: bytes past what the kernel knows must be zero. */
    static byte[] fit(VmProgram program, byte[] in, int size) {
        for (int i = size; i < in.length; i++) {
            if (in[i] != 0) {
                throw invalid(program, "E2BIG", "context is " + in.length + " bytes, the kernel's is " + size
                        + " and the bytes past it are not zero");
            }
        }
        return java.util.Arrays.copyOf(in, size);
    }

    /** Copies {@code bytes} into an output of at most {@code room} bytes; the kernel fails with ENOSPC when it does not fit. */
    static byte[] output(VmProgram program, String what, byte[] bytes, int room) {
        if (room == 0) {
            return new byte[0];
        }
        if (bytes.length > room) {
            throw invalid(program, "ENOSPC", what + " out is " + bytes.length + " bytes, room was given for " + room);
        }
        return bytes;
    }
}
