package io.bpf4j.bcc;

import io.bpf4j.BpfException;
import java.util.List;
import java.util.Locale;

/**
 * clang rejected a BPF C source. The message holds clang's own output (errors with their
 * file, line and column, the offending source line and caret); {@link #diagnostics()} has
 * them parsed.
 *
 * <pre>{@code
 * try { Bpf.compile(source); }
 * catch (CompileException e) { e.diagnostics().forEach(d -> System.err.println(d.line() + ": " + d.message())); }
 * }</pre>
 */
public final class CompileException extends BpfException {
    private static final long serialVersionUID = 1L;

    /** How many lines of clang's output the message keeps; {@link #output()} has all of them. */
    private static final int MESSAGE_LINES = 40;

    /**
     * One message of clang.
     *
     * @param severity {@code error}, {@code fatal error}, {@code warning} or {@code note}
     */
    public record Diagnostic(String file, int line, int column, String severity, String message) {
        @Override
        public String toString() {
            return file + ":" + line + ":" + column + ": " + severity + ": " + message;
        }
    }

    private final transient List<Diagnostic> diagnostics;
    private final String output;

    CompileException(String source, String output, List<Diagnostic> diagnostics) {
        super(message(source, output, diagnostics));
        this.output = output;
        this.diagnostics = List.copyOf(diagnostics);
    }

    private static String message(String source, String output, List<Diagnostic> diagnostics) {
        long errors = diagnostics.stream().filter(d -> d.severity().endsWith("error")).count();
        List<String> lines = output.lines().toList();
        String head = "clang could not compile " + source + (errors == 0 ? "" : " (" + errors + " error"
                + (errors == 1 ? "" : "s") + ")") + ":\n";
        String body = String.join("\n", lines.subList(0, Math.min(lines.size(), MESSAGE_LINES)));
        if (lines.size() > MESSAGE_LINES) {
            body += String.format(Locale.ROOT, "%n... %d more lines", lines.size() - MESSAGE_LINES);
        }
        return head + body;
    }

    /** clang's messages, in order. */
    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }

    /** The errors among {@link #diagnostics()}. */
    public List<Diagnostic> errors() {
        return diagnostics.stream().filter(d -> d.severity().endsWith("error")).toList();
    }

    /** clang's whole output, with temporary paths replaced by the source's name. */
    public String output() {
        return output;
    }
}
