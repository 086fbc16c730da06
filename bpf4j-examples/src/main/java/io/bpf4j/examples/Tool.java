package io.bpf4j.examples;

import io.bpf4j.bcc.StopSignal;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/**
 * A classic tool: picocli fills its options, then {@link #run} works until it is done or
 * stopped. From the command line Ctrl-C stops it and it prints its final summary first;
 * tests run it with a {@link StopSignal#manual()} signal.
 */
abstract class Tool implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (StopSignal stop = StopSignal.onInterrupt()) {
            return run(spec.commandLine().getOut(), stop);
        }
    }

    /** Does the tool's work, printing to {@code out}, until done or {@code stop} says so; returns the exit code. */
    abstract int run(PrintWriter out, StopSignal stop) throws Exception;
}
