package io.bpf4j.cli;

import picocli.CommandLine;

/**
 * A command that only groups subcommands ({@code map}, {@code prog}, ...): given none, it is
 * a usage error that suggests one.
 */
abstract class CommandGroup implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** A command line to suggest, e.g. {@code bpf4j map show}. */
    abstract String example();

    @Override
    public final void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: try '" + example() + "'");
    }
}
