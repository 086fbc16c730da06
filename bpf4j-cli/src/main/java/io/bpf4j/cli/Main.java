package io.bpf4j.cli;

import io.bpf4j.BpfException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code bpf4j} command. Subcommands follow bpftool's grammar
 * ({@code bpf4j prog show}, {@code bpf4j btf dump file F}) plus bpf4j's own.
 */
@Command(
        name = "bpf4j",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A pure-Java eBPF toolkit: inspect, assemble, load and run BPF programs.",
        subcommands = {
            CommandLine.HelpCommand.class,
            AsmCommand.class,
            BtfCommand.class,
            ObjectCommand.class,
            VmCommand.class,
            MapCommand.class,
            ProgCommand.class,
            NetCommand.class,
            LinkCommand.class,
            FeatureCommand.class,
            GenCommand.class,
            io.bpf4j.examples.ExampleCommand.class,
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Global (any subcommand accepts it): prints every bpf() call to stderr as {@code strace -e bpf} does. */
    @CommandLine.Option(names = "--trace-syscalls", scope = CommandLine.ScopeType.INHERIT,
            description = "Print each bpf() system call to stderr the way strace -e bpf does.")
    void traceSyscalls(boolean on) {
        PrintWriter err = spec.commandLine().getErr();
        io.bpf4j.kernel.Kernel.traceSyscalls(on ? line -> {
            err.println(line);
            err.flush();
        } : null);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command");
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line and returns its exit code: 0 ok, 1 failure, 2 usage error. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = commandLine();
        cl.setOut(out);
        cl.setErr(err);
        try {
            return cl.execute(args);
        } finally {
            io.bpf4j.kernel.Kernel.traceSyscalls(null);
        }
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler(Main::usageError);
        cl.setExecutionExceptionHandler(Main::failure);
        return cl;
    }

    /** Bad usage: one line naming the problem, then the usage of the command concerned. */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("Error: " + e.getMessage());
        cmd.usage(err);
        return 2;
    }

    /** A failure while running: one or two readable lines, never a stack trace. */
    private static int failure(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        if (e instanceof NoSuchFileException missing) {
            err.println("Error: no such file: " + missing.getFile());
        } else if (e instanceof AccessDeniedException denied) {
            err.println("Error: permission denied: " + denied.getFile());
        } else if (e instanceof BpfException || e instanceof UncheckedIOException || e instanceof IOException) {
            err.println("Error: " + e.getMessage());
        } else {
            err.println("Error: internal error: " + e);
            if (System.getenv("BPF4J_DEBUG") != null) {
                e.printStackTrace(err);
            }
        }
        return 1;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"bpf4j " + p.getProperty("version", "unknown")};
        }
    }
}
