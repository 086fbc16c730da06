package io.bpf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.kernel.testing.KernelTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code feature probe} prints what bpftool prints. bpf4j also reports the program types,
 * map types and helpers newer than bpftool 7.1 (which its output lacks); those lines are
 * taken out of bpf4j's output before comparing, the rest must be identical.
 */
@KernelTest
class FeatureCommandTest {
    private static final Pattern TYPE = Pattern.compile("eBPF (?:program|map)_type (\\w+) is");
    private static final Pattern HELPERS = Pattern.compile("eBPF helpers supported for program type (\\w+):");
    private static final Pattern HELPER = Pattern.compile("\t- (bpf_\\w+)");
    private static final Pattern MACRO_TYPE = Pattern.compile("#define (?:NO_)?HAVE_(\\w+)_(?:PROG|MAP)_TYPE");
    private static final Pattern MACRO_HELPER = Pattern.compile("#define BPF__PROG_TYPE_(\\w+)__HELPER_(bpf_\\w+) [01]");

    @Test
    void plainOutputAsBpftool() {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/bpftool")), "bpftool is not installed");
        List<String> theirs = lines(BpftoolCompatTest.bpftool("feature", "probe", "kernel"));
        Set<String> types = new HashSet<>();
        Set<String> helpers = new HashSet<>();
        for (String l : theirs) {
            find(TYPE, l, types);
            find(HELPER, l, helpers);
        }
        assertTrue(types.size() > 60 && helpers.size() > 150, types.size() + " types, " + helpers.size() + " helpers");
        List<String> ours = new ArrayList<>();
        boolean skipping = false;
        for (String l : lines(BpftoolCompatTest.bpf4j("feature", "probe", "kernel"))) {
            Matcher section = HELPERS.matcher(l);
            if (section.matches()) {
                skipping = !types.contains(section.group(1));
            } else if (!l.startsWith("\t")) {
                skipping = false;
            }
            Matcher t = TYPE.matcher(l);
            Matcher h = HELPER.matcher(l);
            if (skipping || t.lookingAt() && !types.contains(t.group(1)) || h.matches() && !helpers.contains(h.group(1))) {
                continue;
            }
            ours.add(l);
        }
        assertEquals(String.join("\n", theirs), String.join("\n", ours));
    }

    @Test
    void macrosAsBpftool() {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/bpftool")), "bpftool is not installed");
        List<String> theirs = lines(BpftoolCompatTest.bpftool("feature", "probe", "macros"));
        Set<String> types = new HashSet<>();
        Set<String> helpers = new HashSet<>();
        for (String l : theirs) {
            find(MACRO_TYPE, l, types);
            Matcher h = MACRO_HELPER.matcher(l);
            if (h.matches()) {
                types.add(h.group(1).toUpperCase());
                helpers.add(h.group(2));
            }
        }
        List<String> ours = new ArrayList<>();
        for (String l : lines(BpftoolCompatTest.bpf4j("feature", "probe", "macros"))) {
            Matcher t = MACRO_TYPE.matcher(l);
            Matcher h = MACRO_HELPER.matcher(l);
            if (t.lookingAt() && !types.contains(t.group(1))
                    || h.matches() && (!types.contains(h.group(1).toUpperCase()) || !helpers.contains(h.group(2)))) {
                continue;
            }
            ours.add(l);
        }
        assertEquals(String.join("\n", theirs), String.join("\n", ours));
    }

    private static void find(Pattern p, String line, Set<String> into) {
        Matcher m = p.matcher(line);
        if (m.lookingAt()) {
            into.add(m.group(1));
        }
    }

    private static List<String> lines(String s) {
        return List.of(s.split("\n", -1));
    }
}
