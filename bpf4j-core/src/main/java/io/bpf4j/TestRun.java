package io.bpf4j;

import java.util.Objects;

/**
 * Input of a test run, as {@code BPF_PROG_TEST_RUN} takes it.
 *
 * @param dataIn     packet or other data the program sees (may be empty)
 * @param dataOutSize room for data out; 0 for none
 * @param ctxIn      context bytes (e.g. {@code struct xdp_md}); empty for the default context
 * @param ctxOutSize room for the context out; 0 for none
 * @param repeat     how many runs; the kernel treats 0 as 1
 * @param flags      {@code BPF_F_TEST_*} flags
 * @param cpu        CPU to run on, with {@code BPF_F_TEST_RUN_ON_CPU}
 */
public record TestRun(byte[] dataIn, int dataOutSize, byte[] ctxIn, int ctxOutSize, int repeat, int flags, int cpu) {
    public TestRun {
        Objects.requireNonNull(dataIn, "dataIn");
        Objects.requireNonNull(ctxIn, "ctxIn");
        if (dataOutSize < 0 || ctxOutSize < 0 || repeat < 0) {
            throw new IllegalArgumentException("negative size or repeat");
        }
    }

    /** A run over {@code data} whose output has room for the same size plus headroom the program may add. */
    public static TestRun ofData(byte[] data) {
        return new TestRun(data, data.length + 256, new byte[0], 0, 1, 0, 0);
    }

    public TestRun withRepeat(int n) {
        return new TestRun(dataIn, dataOutSize, ctxIn, ctxOutSize, n, flags, cpu);
    }

    public TestRun withContext(byte[] ctx, int ctxOut) {
        return new TestRun(dataIn, dataOutSize, ctx, ctxOut, repeat, flags, cpu);
    }

    public TestRun withDataOutSize(int size) {
        return new TestRun(dataIn, size, ctxIn, ctxOutSize, repeat, flags, cpu);
    }

    public TestRun withFlags(int newFlags, int onCpu) {
        return new TestRun(dataIn, dataOutSize, ctxIn, ctxOutSize, repeat, newFlags, onCpu);
    }
}
