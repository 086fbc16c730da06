package io.bpf4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/** bpftool's {@code -j} and {@code -p} options, mixed into the commands that print JSON. */
final class JsonOptions {
    @Option(names = {"-j", "--json"}, description = "Print JSON, with bpftool's keys.")
    boolean json;

    @Option(names = {"-p", "--pretty"}, description = "Print human-readable (indented) JSON; implies -j.")
    boolean pretty;

    boolean enabled() {
        return json || pretty;
    }

    JsonWriter writer(StringBuilder sb) {
        return new JsonWriter(sb, pretty);
    }

    /** Appends what bpftool prints with -j for a command that succeeds silently: {@code null}. Nothing without -j. */
    void appendNull(StringBuilder out) {
        if (enabled()) {
            JsonWriter w = writer(out);
            w.nullValue();
            w.finish();
        }
    }

    /** Prints {@link #appendNull}'s {@code null} (with -j) to the command's output; returns the exit code, 0. */
    int printNull(CommandLine.Model.CommandSpec spec) {
        StringBuilder out = new StringBuilder();
        appendNull(out);
        spec.commandLine().getOut().append(out).flush();
        return 0;
    }
}
