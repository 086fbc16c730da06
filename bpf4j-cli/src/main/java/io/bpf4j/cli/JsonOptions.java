package io.bpf4j.cli;

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
}
