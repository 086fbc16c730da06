package io.bpf4j;

/**
 * Output of a test run.
 *
 * @param returnValue       the program's return value (the kernel reports it as u32)
 * @param dataOut           data after the run (may be shorter or longer than the input)
 * @param ctxOut            context after the run; empty if none was asked for
 * @param averageDurationNs average time of one run in nanoseconds
 */
public record TestRunResult(long returnValue, byte[] dataOut, byte[] ctxOut, long averageDurationNs) {}
