package io.bpf4j.gen;

/** Java source text with indentation of four spaces a level. */
final class SourceWriter {
    private final StringBuilder out = new StringBuilder();
    private int level;

    /** A writer whose lines start {@code level} levels deep. */
    SourceWriter(int level) {
        this.level = level;
    }

    /** One line at the current indentation; an empty string gives an empty line. */
    SourceWriter line(String text) {
        if (!text.isEmpty()) {
            out.append("    ".repeat(level)).append(text);
        }
        out.append('\n');
        return this;
    }

    /** A line that opens a block: {@code text {}, then one level deeper. */
    SourceWriter open(String text) {
        line(text + " {");
        level++;
        return this;
    }

    /** One level deeper, for a block whose opening line was written by hand. */
    SourceWriter indent() {
        level++;
        return this;
    }

    /** Closes a block. */
    SourceWriter close() {
        level--;
        return line("}");
    }

    /** Closes a block with a suffix after the brace ({@code "};"}). */
    SourceWriter close(String suffix) {
        level--;
        return line("}" + suffix);
    }

    /** A Javadoc comment of the given lines (already made safe with {@link Code#doc}). */
    SourceWriter javadoc(String... lines) {
        if (lines.length == 1 && !lines[0].contains("\n")) {
            return line("/** " + lines[0] + " */");
        }
        line("/**");
        for (String l : lines) {
            for (String part : l.split("\n", -1)) {
                line(part.isEmpty() ? " *" : " * " + part);
            }
        }
        return line(" */");
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
