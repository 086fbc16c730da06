package io.bpf4j.examples;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bpf4j example NAME [args]}: the classic BCC tools, written with {@code bpf4j-bcc}.
 * Each compiles its BPF C at start, against a vmlinux.h generated from the running kernel.
 */
@Command(name = "example", mixinStandardHelpOptions = true,
        description = "Run a classic BCC-style tool written with bpf4j-bcc (BPF C compiled at run time). Ctrl-C stops "
                + "it and prints its summary.",
        subcommands = {HelloXdp.class, HelloTrace.class, Execsnoop.class, Writeback.class, Sendcount.class, XdpDrop.class, Biolatency.class, Findme.class, Opcodes.class})
public final class ExampleCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing example name");
    }
}
