package io.bpf4j.cli;

/**
 * A streaming JSON writer that formats exactly like bpftool's {@code json_writer.c}
 * (compact for {@code -j}, four-space indentation for {@code -p}), including its escapes.
 *
 * <pre>{@code
 * JsonWriter w = new JsonWriter(sb, false);
 * w.startObject().name("id").value(3).endObject().finish();   // {"id":3}\n
 * }</pre>
 */
final class JsonWriter {
    private final StringBuilder out;
    private final boolean pretty;
    private int depth;
    private boolean needComma;

    JsonWriter(StringBuilder out, boolean pretty) {
        this.out = out;
        this.pretty = pretty;
    }

    private void indentLine() {
        if (pretty) {
            out.append('\n');
            for (int i = 0; i < depth; i++) {
                out.append("    ");
            }
        }
    }

    private void separator() {
        if (needComma) {
            out.append(',');
        }
        needComma = true;
    }

    private JsonWriter begin(char c) {
        separator();
        out.append(c);
        depth++;
        needComma = false;
        return this;
    }

    private JsonWriter end(char c) {
        depth--;
        if (needComma) {
            indentLine();
        }
        out.append(c);
        needComma = true;
        return this;
    }

    JsonWriter startObject() {
        return begin('{');
    }

    JsonWriter endObject() {
        return end('}');
    }

    JsonWriter startArray() {
        return begin('[');
    }

    JsonWriter endArray() {
        return end(']');
    }

    JsonWriter name(String name) {
        separator();
        indentLine();
        needComma = false;
        string(name);
        out.append(pretty ? ": " : ":");
        return this;
    }

    JsonWriter value(String s) {
        separator();
        string(s);
        return this;
    }

    JsonWriter value(long v) {
        separator();
        out.append(v);
        return this;
    }

    /** An unsigned 64-bit value. */
    JsonWriter unsigned(long v) {
        separator();
        out.append(Long.toUnsignedString(v));
        return this;
    }

    /** A value written as it is (bpftool's {@code jsonw_printf}): numbers, or text that is not JSON at all. */
    JsonWriter raw(String text) {
        separator();
        out.append(text);
        return this;
    }

    /** {@code null} (bpftool's jsonw_null). */
    JsonWriter nullValue() {
        separator();
        out.append("null");
        return this;
    }

    JsonWriter value(boolean v) {
        separator();
        out.append(v);
        return this;
    }

    JsonWriter field(String name, String value) {
        return name(name).value(value);
    }

    JsonWriter field(String name, long value) {
        return name(name).value(value);
    }

    /** Ends the document with bpftool's final newline. */
    void finish() {
        out.append('\n');
    }

    /**
     * bpftool's escaping: C escapes, a backslash comes out as "\n" (a bpftool quirk kept for
     * identical output); a single quote is left alone, as the installed bpftool 7.1 leaves it.
     */
    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\t' -> out.append("\\t");
                case '\n', '\\' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\f' -> out.append("\\f");
                case '\b' -> out.append("\\b");
                case '"' -> out.append("\\\"");
                default -> out.append(c);
            }
        }
        out.append('"');
    }
}
