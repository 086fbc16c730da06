package io.bpf4j;

/**
 * A loaded BPF program, in the kernel or in bpf4j's userspace VM, runnable with the
 * kernel's {@code BPF_PROG_TEST_RUN} contract on both backends.
 */
public interface BpfProgram extends AutoCloseable {
    String name();

    ProgramType type();

    /** Runs the program once per {@link TestRun#repeat()} on the given input. */
    TestRunResult testRun(TestRun run);

    /** Releases the program. Closing twice is harmless. */
    @Override
    void close();
}
