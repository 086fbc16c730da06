package io.bpf4j.gen;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/** Java identifiers from C names: {@code proto_count} is {@code protoCount}, {@code struct flow_key} is {@code FlowKey}. */
final class Names {
    private Names() {}

    private static final Set<String> KEYWORDS = Set.of("abstract", "assert", "boolean", "break", "byte", "case", "catch",
            "char", "class", "const", "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally",
            "float", "for", "goto", "if", "implements", "import", "instanceof", "int", "interface", "long", "native", "new",
            "package", "private", "protected", "public", "return", "short", "static", "strictfp", "super", "switch",
            "synchronized", "this", "throw", "throws", "transient", "try", "void", "volatile", "while", "true", "false", "null",
            "var", "yield", "record", "sealed", "permits", "when", "module", "exports", "open", "opens", "requires");

    /** {@code proto_count} as {@code protoCount}, {@code MAX_LEN} as {@code maxLen}; an empty or all-symbol name gives {@code fallback}. */
    static String camel(String c, String fallback) {
        boolean shouting = c.chars().anyMatch(Character::isLetter) && c.equals(c.toUpperCase(Locale.ROOT));
        String p = pascal(shouting ? c.toLowerCase(Locale.ROOT) : c, "");
        return p.isEmpty() ? fallback : Character.toLowerCase(p.charAt(0)) + p.substring(1);
    }

    /** {@code flow_key} as {@code FlowKey}; {@code .rodata.str1.1} as {@code RodataStr11}. */
    static String pascal(String c, String fallback) {
        StringBuilder sb = new StringBuilder();
        boolean upper = true;
        for (int i = 0; i < c.length(); i++) {
            char ch = c.charAt(i);
            if (ch < 128 && Character.isLetterOrDigit(ch)) {
                if (sb.isEmpty() && Character.isDigit(ch)) {
                    sb.append('N');
                }
                sb.append(upper ? Character.toUpperCase(ch) : ch);
                upper = false;
            } else {
                upper = true;
            }
        }
        return sb.isEmpty() ? fallback : sb.toString();
    }

    /** {@code flow_key} as {@code FLOW_KEY}. */
    static String constant(String c) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < c.length(); i++) {
            char ch = c.charAt(i);
            sb.append(ch < 128 && Character.isLetterOrDigit(ch) ? Character.toUpperCase(ch) : '_');
        }
        if (sb.isEmpty() || Character.isDigit(sb.charAt(0))) {
            sb.insert(0, 'N');
        }
        return sb.toString().toUpperCase(Locale.ROOT);
    }

    /** Allocates identifiers that differ from each other and from the reserved ones. */
    static final class Scope {
        private final Set<String> taken = new HashSet<>();

        Scope(Set<String> reserved) {
            taken.addAll(reserved);
            taken.addAll(KEYWORDS);
        }

        /** {@code wanted}, or with {@code suffix} and then a number appended until it is free. */
        String unique(String wanted, String suffix) {
            String name = wanted;
            if (taken.contains(name)) {
                name = wanted + suffix;
            }
            for (int i = 2; taken.contains(name); i++) {
                name = wanted + suffix + i;
            }
            taken.add(name);
            return name;
        }
    }
}
