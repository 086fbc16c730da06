package io.bpf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.kernel.testing.OpenFds;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every object of {@code testdata/} and every libxdp1 object loaded with {@code bpf4j prog
 * loadall} and with {@code bpftool prog loadall} (libbpf 1.1), live: each program's tag (the
 * kernel's hash of the instructions submitted), type, name and size must be equal, and so must
 * every map (as {@code bpftool map show} prints it, ids aside); an object libbpf cannot load
 * must fail in bpf4j for the same reason. bpftool runs in a mount namespace of its own with a
 * fresh bpffs at /sys/fs/bpf, so its pins (by-name pins included) touch nothing else on the
 * machine; bpf4j pins under a unique directory that is removed afterwards.
 */
@KernelTest
class LoadallOracleTest {
    private static final Path LIBXDP = Path.of("/usr/lib/x86_64-linux-gnu/bpf");
    private static final Path TESTDATA = Path.of(System.getProperty("bpf4j.repo.root", ".."), "testdata");
    /** Lines of bpftool's output that name a failure's reason, in order of preference. */
    private static final Pattern VERIFIER_LAST = Pattern.compile("(?s)BEGIN PROG LOAD LOG --\\n(.*?)\\n(?:processed|-- END)");
    private static final Pattern LIBBPF_REASON = Pattern.compile("(?m)^libbpf: (?:elf: )?(?!skipping|failed to load object)(?:prog '[^']*': )?"
            + "(.*?)(?: in \\S+\\.o\\.|: -\\d+)?$");

    static List<Path> objects() throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.list(TESTDATA)) {
            s.filter(p -> p.toString().endsWith(".bpf.o")).sorted().forEach(all::add);
        }
        if (Files.isDirectory(LIBXDP)) {
            try (Stream<Path> s = Files.list(LIBXDP)) {
                s.filter(p -> p.toString().endsWith(".o")).sorted().forEach(all::add);
            }
        }
        return all;
    }

    @TestFactory
    Stream<DynamicTest> loadallLikeBpftool() throws IOException {
        assumeTrue(hasTool("bpftool") && hasTool("unshare"), "bpftool or unshare is not installed");
        List<Path> objects = objects();
        assertTrue(objects.size() >= 13, objects.toString());
        return objects.stream().map(o -> DynamicTest.dynamicTest(o.getFileName().toString(), () -> compare(o)));
    }

    /** libxdp's filters pin xdp_stats_map by name: with 'pinmaps' elsewhere both tools refuse, for the same reason. */
    @Test
    void pinmapsOfAMapPinnedByNameFailsAsInBpftool() throws Exception {
        Path obj = LIBXDP.resolve("xdpfilt_alw_all.o");
        assumeTrue(Files.exists(obj) && hasTool("bpftool") && hasTool("unshare"), "libxdp1 or bpftool is not installed");
        Outcome theirs = bpftool(obj, true);
        Outcome ours = bpf4j(obj, true);
        assertTrue(theirs.rc() != 0 && theirs.err().contains("already has pin path"), theirs.err());
        assertEquals(1, ours.rc(), ours.err());
        assertTrue(ours.err().contains("failed to pin all maps") && ours.err().contains("already has pin path"), ours.err());
    }

    private void compare(Path object) throws Exception {
        boolean pinsByName = pinsByName(object);
        Outcome theirs = bpftool(object, !pinsByName);
        Outcome ours = bpf4j(object, !pinsByName);
        if (theirs.rc() != 0 && legacyMaps(object)) {
            assertTrue(theirs.err().contains("legacy map definitions"), theirs.err());
            assertEquals(0, ours.rc(), "bpf4j loads legacy 'maps' definitions, which libbpf 1.x refuses by policy: " + ours.err());
            assertTrue(ours.show().contains("== prog "), ours.show());
            return;
        }
        if (theirs.rc() != 0) {
            assertEquals(1, ours.rc(), "bpftool failed (" + theirs.err() + ") but bpf4j loaded " + object);
            String reason = reason(theirs.err());
            assertTrue(ours.err().contains(reason), "bpftool's reason '" + reason + "' is not in bpf4j's error: " + ours.err());
            return;
        }
        assertEquals(0, ours.rc(), ours.err());
        theirs = new Outcome(theirs.rc(), theirs.err(), staticOnlyData(object, theirs.show()));
        ours = new Outcome(ours.rc(), ours.err(), staticOnlyData(object, ours.show()));
        if (!theirs.show().equals(ours.show())) {
            Path diff = Path.of(System.getProperty("java.io.tmpdir"), "bpf4j-oracle-" + object.getFileName());
            Files.writeString(Path.of(diff + ".bpftool"), theirs.show());
            Files.writeString(Path.of(diff + ".bpf4j"), ours.show());
        }
        assertEquals(theirs.show(), ours.show(), "programs and maps of " + object);
    }

    /** libbpf 1.x refuses legacy 'maps' sections by policy; bpf4j loads them (and the test still runs them past the kernel). */
    private static boolean legacyMaps(Path object) throws IOException {
        return ObjectSpec.read(object).maps().stream().anyMatch(m -> m.kind() == MapSpec.Kind.LEGACY);
    }

    /**
     * The one known difference: Debian's bpftool 7.1 bundles the libbpf of Linux 6.1, which made
     * every global data map BPF_F_MMAPABLE; libbpf 1.1.0 and later (commit 3cd45b66), and bpf4j,
     * leave it off when all of the section's variables are static (nothing to expose). For those
     * maps the 0x400 flag and the memlock it changes are not compared.
     */
    private static String staticOnlyData(Path object, String show) throws IOException {
        String out = show;
        for (MapSpec m : ObjectSpec.read(object).maps()) {
            if (m.kind().isGlobalData() && (m.flags() & MapSpec.F_MMAPABLE) == 0) {
                String name = Pattern.quote(m.name().length() > 15 ? m.name().substring(0, 15) : m.name());
                out = out.replaceAll("(name " + name + "  flags 0x)4?([0-9a-f]{2}\\n\\tkey [^\\n]*memlock )\\d+B", "$1?$2?B");
            }
        }
        return out;
    }

    private static boolean pinsByName(Path object) throws IOException {
        return ObjectSpec.read(object).maps().stream().anyMatch(m -> m.pinning() == MapSpec.PIN_BY_NAME);
    }

    /** Exit status, standard error and what bpftool shows of the pinned programs and maps, normalized. */
    record Outcome(int rc, String err, String show) {}

    /** bpftool loads in a private mount namespace, then shows what it pinned there. */
    private static Outcome bpftool(Path object, boolean pinMaps) throws Exception {
        String script = """
                mount -t bpf bpf /sys/fs/bpf || exit 99
                mkdir -p /sys/fs/bpf/o
                bpftool prog loadall "$1" /sys/fs/bpf/o/p %s
                echo "rc=$?"
                %s
                """.formatted(pinMaps ? "pinmaps /sys/fs/bpf/o/m" : "", showScript("/sys/fs/bpf/o", "/sys/fs/bpf"));
        Path errFile = Files.createTempFile("bpf4j-oracle", ".err");
        String out;
        String err;
        try {
            Process p = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", object.toString())
                    .redirectError(errFile.toFile()).start();
            p.getOutputStream().close();
            try (var o = p.getInputStream()) {
                out = new String(o.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("bpftool prog loadall " + object + " did not finish in 5 minutes");
            }
            err = Files.readString(errFile);
        } finally {
            Files.deleteIfExists(errFile);
        }
        Matcher rc = Pattern.compile("rc=(\\d+)").matcher(out);
        assertTrue(rc.find(), "no exit status from the bpftool script: " + out + err);
        return new Outcome(Integer.parseInt(rc.group(1)), err, normalize(out.substring(rc.end())));
    }

    /** bpf4j loads in this process under a unique bpffs directory; bpftool shows what it pinned. */
    private static Outcome bpf4j(Path object, boolean pinMaps) throws Exception {
        Path dir = Path.of("/sys/fs/bpf/bpf4j-oracle-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        try {
            Files.createDirectories(dir);
            List<String> args = new ArrayList<>(List.of("prog", "loadall", object.toString(), dir.resolve("p").toString(),
                    "--pin-root", dir.resolve("root").toString()));
            if (pinMaps) {
                args.addAll(List.of("pinmaps", dir.resolve("m").toString()));
            }
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int fds = OpenFds.count();
            int rc = Main.execute(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
            assertEquals(fds, OpenFds.count(), "file descriptors leaked by loading " + object + ": " + err);
            Process p = new ProcessBuilder("sh", "-c", showScript(dir.toString(), dir.resolve("root").toString()))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().close();
            String shown;
            try (var in = p.getInputStream()) {
                shown = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            p.waitFor();
            return new Outcome(rc, err.toString(), normalize(shown));
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * Shell lines that print, for every program pinned under DIR/p, its {@code prog show} and the
     * {@code map show} of each of its maps; then every map pinned under DIR/m and under ROOT
     * (pinned by name).
     */
    private static String showScript(String dir, String root) {
        return """
                for f in $(ls %1$s/p 2>/dev/null | sort); do
                  echo "== prog $f"; bpftool prog show pinned %1$s/p/$f
                  for id in $(bpftool prog show pinned %1$s/p/$f | sed -n 's/.*map_ids \\([0-9,]*\\).*/\\1/p' | tr , ' '); do
                    bpftool map show id $id
                  done
                done
                for f in $(ls %1$s/m 2>/dev/null | sort); do echo "== map $f"; bpftool map show pinned %1$s/m/$f; done
                for f in $(ls %2$s 2>/dev/null | grep -v '[.]debug$' | sort); do [ -f %2$s/$f ] || continue; echo "== by name $f"; bpftool map show pinned %2$s/$f; done
                """.formatted(dir, root);
    }

    /** Ids, load times and the JIT's output size differ between two loads of the same thing; the rest must not. */
    static String normalize(String show) {
        return show.strip().replaceAll("(?m)^\\d+: ", "")
                .replaceAll("loaded_at \\S+  uid \\d+", "loaded_at T")
                .replaceAll("  jited \\d+B", "")
                .replaceAll("map_ids [\\d,]+", "map_ids M")
                .replaceAll("btf_id \\d+", "btf_id B")
                .replaceAll("(?m)^\\s*pids .*\\n", "");
    }

    /** The reason bpftool gives for a failure: the verifier's last word, or libbpf's complaint. */
    static String reason(String bpftoolErr) {
        Matcher v = VERIFIER_LAST.matcher(bpftoolErr);
        if (v.find()) {
            String[] lines = v.group(1).strip().split("\n");
            return lines[lines.length - 1].strip();
        }
        Matcher l = LIBBPF_REASON.matcher(bpftoolErr);
        assertTrue(l.find(), "no reason in bpftool's output: " + bpftoolErr);
        return l.group(1).strip();
    }

    private static boolean hasTool(String name) {
        return Stream.of(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, name)));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
