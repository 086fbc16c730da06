package io.bpf4j.gen;

import java.util.EnumSet;
import java.util.Set;

/** What the code generated so far needs: layout constants, lambda nesting, Java literals. */
final class Code {
    private final Set<JavaType.Primitive> layouts = EnumSet.noneOf(JavaType.Primitive.class);
    private int lambdaDepth;
    private boolean bits;

    /** The name of the layout constant of {@code p}, remembering that it is used. */
    String layout(JavaType.Primitive p) {
        layouts.add(p == JavaType.Primitive.BOOLEAN ? JavaType.Primitive.BYTE : p);
        return p.layout();
    }

    /** Layouts used so far. */
    Set<JavaType.Primitive> layouts() {
        return layouts;
    }

    /** Notes that bitfield code (which needs the byte order constant) was generated. */
    void usesByteOrder() {
        bits = true;
    }

    boolean byteOrderUsed() {
        return bits;
    }

    /** Enters a lambda; returns its depth (1 for the outermost) for {@link #variable}. */
    int enterLambda() {
        return ++lambdaDepth;
    }

    void leaveLambda() {
        lambdaDepth--;
    }

    /** A lambda parameter name unique at its nesting depth: {@code s}, then {@code s2}... */
    static String variable(String base, int depth) {
        return depth == 1 ? base : base + depth;
    }

    /** {@code s} as a Java string literal. */
    static String literal(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** {@code s} as code in Javadoc. */
    static String docCode(String s) {
        return s.matches("[A-Za-z0-9_ .,:/+\\-\\[\\]()*]*") && !s.contains("*/") ? "{@code " + s + "}" : "<code>" + doc(s) + "</code>";
    }

    /** {@code s} made safe for a Javadoc comment: no comment end, no unicode escape, no tags or HTML. */
    static String doc(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '*' -> sb.append(i + 1 < s.length() && s.charAt(i + 1) == '/' ? "&#42;" : "*");
                case '\\' -> sb.append("&#92;");
                case '@' -> sb.append("&#64;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '{' -> sb.append("&#123;");
                case '}' -> sb.append("&#125;");
                default -> sb.append(c < 0x20 || c > 0x7e ? '?' : c);
            }
        }
        return sb.toString();
    }
}
