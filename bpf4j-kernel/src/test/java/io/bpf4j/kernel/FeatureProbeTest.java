package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.kernel.testing.OpenFds;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The probes answer as bpftool's do, on every type and helper bpftool knows. */
@KernelTest
class FeatureProbeTest {
    private static final Pattern TYPE_LINE = Pattern.compile("eBPF (program_type|map_type) (\\w+) is (NOT )?available");
    private static final Pattern HELPERS_HEADER = Pattern.compile("eBPF helpers supported for program type (\\w+):");

    private static List<String> bpftool;

    @BeforeAll
    static void runBpftool() throws Exception {
        Path tool = Path.of("/usr/sbin/bpftool");
        assumeTrue(Files.isExecutable(tool), "bpftool is not installed");
        Process p = new ProcessBuilder(tool.toString(), "feature", "probe", "kernel").redirectErrorStream(false).start();
        bpftool = List.of(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n"));
        assertEquals(0, p.waitFor());
    }

    @Test
    void syscallAndMiscFeatures() {
        assertTrue(FeatureProbe.bpfSyscall());
        assertEquals(bpftool.contains("Large program size limit is available"), FeatureProbe.largeInstructionLimit());
        assertEquals(bpftool.contains("Bounded loop support is available"), FeatureProbe.boundedLoops());
        assertEquals(bpftool.contains("ISA extension v2 is available"), FeatureProbe.isaV2());
        assertEquals(bpftool.contains("ISA extension v3 is available"), FeatureProbe.isaV3());
    }

    @Test
    void programAndMapTypesAsBpftool() {
        Map<String, Boolean> theirs = new TreeMap<>();
        Map<String, Boolean> ours = new TreeMap<>();
        for (String line : bpftool) {
            Matcher m = TYPE_LINE.matcher(line);
            if (m.matches()) {
                String key = m.group(1) + " " + m.group(2);
                theirs.put(key, m.group(3) == null);
                ours.put(key, m.group(1).equals("program_type")
                        ? FeatureProbe.programType(ProgramType.valueOf(m.group(2).toUpperCase()))
                        : FeatureProbe.mapType(MapType.valueOf(m.group(2).toUpperCase())));
            }
        }
        assertTrue(theirs.size() > 60, "bpftool listed " + theirs.size() + " types");
        assertEquals(theirs, ours);
    }

    @Test
    void helpersAsBpftool() {
        Map<String, List<String>> theirs = new LinkedHashMap<>();
        List<String> current = null;
        for (String line : bpftool) {
            Matcher m = HELPERS_HEADER.matcher(line);
            if (m.matches()) {
                current = new ArrayList<>();
                theirs.put(m.group(1), current);
            } else if (current != null && line.startsWith("\t- ")) {
                current.add(line.substring(3));
            }
        }
        // Helper ids bpftool knows: every one it lists for some type (the others are listed by no one).
        TreeSet<String> known = new TreeSet<>();
        theirs.values().forEach(known::addAll);
        Map<String, Integer> ids = helperIds();
        for (var e : theirs.entrySet()) {
            ProgramType type = ProgramType.valueOf(e.getKey().toUpperCase());
            List<String> ours = new ArrayList<>();
            if (FeatureProbe.programType(type)) {
                for (String name : known) {
                    if (FeatureProbe.helper(type, ids.get(name))) {
                        ours.add(name);
                    }
                }
            }
            assertEquals(new TreeSet<>(e.getValue()), new TreeSet<>(ours), "helpers of " + type);
        }
    }

    @Test
    void everyAvailableMapTypeCanBeCreatedAndUsed() {
        int before = OpenFds.count();
        int created = 0;
        for (MapType type : MapType.values()) {
            if (type == MapType.STRUCT_OPS || !FeatureProbe.mapType(type)) {
                continue;
            }
            try (KernelBtf btf = KernelBtf.load(FeatureProbe.localStorageBtf());
                    KernelMap inner = KernelMap.create(MapDefinition.of(MapType.HASH, 4, 4, 1));
                    KernelMap m = KernelMap.create(FeatureProbe.minimalDefinition(type, btf, inner).withName("every"))) {
                assertEquals(type.id(), m.info().typeId(), type.toString());
                assertEquals(MapType.ofId(type.id()).orElseThrow(), m.type());
                assertEquals("every", m.name());
                created++;
            }
        }
        assertTrue(created >= 30, created + " map types");
        assertEquals(before, OpenFds.count());
    }

    /** Helper names as bpftool prints them, by id, from the kernel's own enum (scripts/uapi/kernel-enums.h). */
    private static Map<String, Integer> helperIds() {
        Map<String, Integer> ids = new TreeMap<>();
        try {
            Path enums = Path.of(System.getProperty("bpf4j.repo.root", "."), "scripts/uapi/kernel-enums.h");
            Matcher m = Pattern.compile("BPF_FUNC_(\\w+) = (\\d+)").matcher(Files.readString(enums));
            while (m.find()) {
                ids.put("bpf_" + m.group(1), Integer.parseInt(m.group(2)));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return ids;
    }

    @Test
    void kernelVersionCode() {
        assertEquals((6 << 16) + (18 << 8) + 44, FeatureProbe.kernelVersionCode("6.18.44-fc-v657"));
        assertEquals((5 << 16) + (4 << 8) + 255, FeatureProbe.kernelVersionCode("5.4.300"));
        assertEquals(0, FeatureProbe.kernelVersionCode("weird"));
    }
}
