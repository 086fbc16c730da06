package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.kernel.testing.KernelTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@link TraceDemo} in a JVM under {@code strace -e trace=bpf} and checks that bpf4j's
 * trace prints every call as strace does: same command, size and result, and for every
 * field strace decodes the same value. bpf4j may print more fields than an older strace
 * knows (strace then prints nothing for them, or "..." when they are nonzero).
 */
@KernelTest
class StraceOracleTest {
    private static final Pattern CALL = Pattern.compile("^(?:\\d+ +)?bpf\\((BPF_\\w+), (.*), (\\d+)\\) += (.*)$");

    @Test
    void traceMatchesStrace(@TempDir Path tmp) throws Exception {
        Path strace = Path.of("/usr/bin/strace");
        assumeTrue(Files.isExecutable(strace), "strace is not installed");
        Path pinDir = Files.createTempDirectory(Path.of("/sys/fs/bpf"), "bpf4j-trace");
        Path ours = tmp.resolve("ours.txt");
        Path theirs = tmp.resolve("strace.txt");
        try {
            Process p = new ProcessBuilder(strace.toString(), "-f", "-qq", "-e", "trace=bpf", "-o", theirs.toString(),
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    TraceDemo.class.getName(), ours.toString(), pinDir.toString())
                    .redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "demo did not finish");
            assertEquals(0, p.exitValue(), output);
        } finally {
            try (var files = Files.list(pinDir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(pinDir);
        }
        List<String> ourLines = Files.readAllLines(ours);
        List<String> straceLines = Files.readAllLines(theirs).stream().filter(l -> CALL.matcher(l).matches()).toList();
        assertEquals(straceLines.size(), ourLines.size(), "calls traced\nstrace:\n" + String.join("\n", straceLines)
                + "\nbpf4j:\n" + String.join("\n", ourLines));
        assertTrue(ourLines.size() > 30, "the demo made " + ourLines.size() + " calls");
        for (int i = 0; i < ourLines.size(); i++) {
            compare(straceLines.get(i), ourLines.get(i));
        }
    }

    private static void compare(String strace, String ours) {
        Matcher s = CALL.matcher(strace);
        Matcher o = CALL.matcher(ours);
        assertTrue(s.matches(), strace);
        assertTrue(o.matches(), "not strace's shape: " + ours);
        String where = "\nstrace: " + strace + "\nbpf4j:  " + ours;
        assertEquals(s.group(1), o.group(1), "command" + where);
        assertEquals(s.group(3), o.group(3), "size" + where);
        assertEquals(s.group(4), o.group(4), "result" + where);
        Map<String, String> theirFields = fields(s.group(2));
        Map<String, String> ourFields = fields(o.group(2));
        for (var e : theirFields.entrySet()) {
            if (e.getKey().equals("...")) {
                assertTrue(ourFields.size() > theirFields.size() - 1, "strace saw more data" + where);
                continue;
            }
            if (!e.getValue().equals(ourFields.get(e.getKey()))) {
                fail("field " + e.getKey() + where);
            }
        }
    }

    /** The top-level {@code name=value} pairs of a printed struct (values keep their nesting). */
    static Map<String, String> fields(String struct) {
        Map<String, String> fields = new LinkedHashMap<>();
        if (!struct.startsWith("{") || !struct.endsWith("}")) {
            fields.put("", struct);
            return fields;
        }
        List<String> parts = new ArrayList<>();
        int depth = 0;
        boolean quoted = false;
        int start = 1;
        for (int i = 1; i < struct.length() - 1; i++) {
            char c = struct.charAt(i);
            if (quoted) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    quoted = false;
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
            } else if (c == ',' && depth == 0) {
                parts.add(struct.substring(start, i).trim());
                start = i + 1;
            }
        }
        parts.add(struct.substring(start, struct.length() - 1).trim());
        for (String part : parts) {
            int eq = part.indexOf('=');
            fields.put(eq < 0 ? part : part.substring(0, eq), eq < 0 ? "" : part.substring(eq + 1));
        }
        return fields;
    }
}
