package io.bpf4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One run of the {@code bpf4j} command in this JVM through {@link Main#execute}: its exit code and what it printed. */
record CliRun(int code, String out, String err) {
    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(code, out.toString(), err.toString());
    }
}
