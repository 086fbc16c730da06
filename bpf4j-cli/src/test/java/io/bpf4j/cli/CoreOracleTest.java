package io.bpf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfBuilder;
import io.bpf4j.btf.BtfType;
import io.bpf4j.btf.CoreRelocationException;
import io.bpf4j.btf.CoreTarget;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.isa.Instructions;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import io.bpf4j.object.Reference;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CO-RE decisions checked against libbpf itself, live: {@code bpftool -d prog loadall} (its
 * libbpf prints every decision before loading, even for objects the kernel then rejects) on
 * every object of testdata/ and libxdp, and, for target BTFs other than the kernel's, a small
 * C program built here against libbpf-dev that loads with {@code btf_custom_path}.
 */
@KernelTest
class CoreOracleTest {
    private static final Path LIBXDP = Path.of("/usr/lib/x86_64-linux-gnu/bpf");
    private static final Path VMLINUX = Path.of("/sys/kernel/btf/vmlinux");

    @TempDir
    Path tmp;

    static List<Path> objects() {
        List<Path> all = new ArrayList<>();
        for (Path dir : new Path[] {Path.of(System.getProperty("bpf4j.repo.root", ".."), "testdata"), LIBXDP}) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    s.filter(p -> p.toString().endsWith(".o")).sorted().forEach(all::add);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return all;
    }

    static String tool(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name).toString();
            }
        }
        System.out.println("SKIPPED: " + name + " not found on PATH");
        assumeTrue(false, name + " not found");
        return null;
    }

    /** Runs a command, returns stdout and stderr together; the exit status does not matter. */
    static String run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), command + " timed out");
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The CO-RE lines of a libbpf debug log, without the "libbpf: " prefix. */
    static List<String> coreLines(String log) {
        List<String> out = new ArrayList<>();
        for (String line : log.split("\n")) {
            String l = line.startsWith("libbpf: ") ? line.substring(8) : line;
            if (l.startsWith("CO-RE relocating ") || l.matches("prog '[^']*': relo #\\d+: .*") || l.matches("sec '[^']*': found \\d+ CO-RE relocations")
                    || l.matches("sec '[^']*': skipping CO-RE relocation .*") || l.matches("unexpected kind .* relocated, .*")) {
                out.add(l);
            }
        }
        return out;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static List<String> ours(Path object, CoreTarget target) throws IOException {
        List<String> log = new ArrayList<>();
        try {
            ObjectSpec.read(object).relocate(target, log::add);
        } catch (CoreRelocationException e) {
            log.add("(failed: " + e.errno() + ")");
        }
        return log;
    }

    @Test
    void decisionsOnEveryObjectMatchBpftool() throws IOException {
        String bpftool = tool("bpftool");
        assumeTrue(Files.isDirectory(Path.of("/sys/fs/bpf")), "no bpffs at /sys/fs/bpf");
        CoreTarget kernel = CoreTarget.kernel();
        int withCore = 0;
        for (Path object : objects()) {
            if (ObjectSpec.read(object).btfExt().map(x -> x.coreRelos().isEmpty()).orElse(true)) {
                continue; // nothing to compare: BtfExtTest checks that libbpf finds no relocations either
            }
            Path pins = Path.of("/sys/fs/bpf/bpf4j-core-oracle-" + ProcessHandle.current().pid());
            // libbpf pins maps declared with pinning by name under /sys/fs/bpf: remove the pins this run creates.
            List<Path> mapPins = ObjectSpec.read(object).maps().stream().filter(m -> m.pinning() == MapSpec.PIN_BY_NAME)
                    .map(m -> Path.of("/sys/fs/bpf", m.name())).filter(p -> !Files.exists(p)).toList();
            String log;
            try {
                log = run(List.of(bpftool, "-d", "prog", "loadall", object.toString(), pins.toString()));
            } finally {
                deleteTree(pins);
                for (Path p : mapPins) {
                    Files.deleteIfExists(p);
                }
            }
            if (log.contains("legacy map definitions in 'maps' section are not supported")) {
                continue; // libbpf 1.x refuses such objects before any CO-RE
            }
            List<String> expected = coreLines(log);
            List<String> actual = ours(object, kernel);
            // bpftool 7.1's libbpf names the two slots of a poisoned lddw in the other order than libbpf 1.1.2: compare as sets.
            assertEquals(new TreeSet<>(expected), new TreeSet<>(actual), object.toString());
            assertEquals(expected.size(), actual.size(), object.toString());
            if (!expected.isEmpty()) {
                withCore++;
            }
        }
        assertTrue(withCore >= 2, "too few objects with CO-RE relocations: " + withCore);
    }

    /** Builds the libbpf-dev oracle: loads FILE with an optional btf_custom_path and prints libbpf's log to stdout. */
    private Path libbpfOracle() throws IOException {
        String gcc = tool("gcc");
        assumeTrue(Files.exists(Path.of("/usr/include/bpf/libbpf.h")), "libbpf-dev is not installed");
        Path src = tmp.resolve("core_oracle.c");
        Files.writeString(src, """
                #include <stdarg.h>
                #include <stdio.h>
                #include <bpf/libbpf.h>
                static int print(enum libbpf_print_level level, const char *fmt, va_list args)
                {
                	return vfprintf(stdout, fmt, args);
                }
                /* Loads argv[1] (CO-RE target: argv[2] if given), prints libbpf's log, then each
                 * autoloaded program's final instructions. */
                int main(int argc, char **argv)
                {
                	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = argc > 2 ? argv[2] : NULL);
                	struct bpf_object *obj;
                	struct bpf_program *prog;
                	libbpf_set_print(print);
                	struct bpf_map *map;
                	obj = bpf_object__open_file(argv[1], &opts);
                	if (!obj)
                		return 2;
                	bpf_object__for_each_map(map, obj) {
                		bpf_map__set_pin_path(map, NULL); /* leave nothing pinned behind */
                		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
                			bpf_map__set_autocreate(map, false); /* register no TCP congestion control */
                	}
                	bpf_object__load(obj);
                	bpf_object__for_each_program(prog, obj) {
                		const struct bpf_insn *insn = bpf_program__insns(prog);
                		size_t i, n = bpf_program__insn_cnt(prog);
                		if (!bpf_program__autoload(prog))
                			continue;
                		for (i = 0; i < n; i++)
                			printf("insn %s %zu %02x %x %x %d %d\\n", bpf_program__name(prog), i, insn[i].code,
                			       insn[i].dst_reg, insn[i].src_reg, insn[i].off, insn[i].imm);
                	}
                	bpf_object__close(obj);
                	return 0;
                }
                """);
        Path bin = tmp.resolve("core_oracle");
        String out = run(List.of(gcc, "-O1", "-o", bin.toString(), src.toString(), "-lbpf"));
        assertTrue(Files.isExecutable(bin), "cannot build the libbpf oracle: " + out);
        return bin;
    }

    private static int member(BtfType.Composite c, String name) {
        for (int i = 0; i < c.members().size(); i++) {
            if (c.members().get(i).name().equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no member " + name);
    }

    /**
     * A vmlinux BTF changed where CO-RE must notice: task_struct without 'pid', with 'tgid'
     * moved and 'flags' shrunk to 16 bits, a second flavor of task_struct with the old
     * 'state', 'mm' renamed, an enumerator gone and one that now exists.
     */
    private static Btf alteredVmlinux(Btf vmlinux) {
        BtfBuilder b = BtfBuilder.from(vmlinux);
        int task = vmlinux.findId("task_struct", io.bpf4j.btf.BtfKind.STRUCT).orElseThrow();
        BtfType.Struct t = (BtfType.Struct) vmlinux.type(task);
        List<BtfType.Member> members = new ArrayList<>(t.members());
        BtfType.Member tgid = members.get(member(t, "tgid"));
        BtfType.Member flags = members.get(member(t, "flags"));
        int u16 = b.add(new BtfType.Int("unsigned short", 2, 0, 0, 16));
        members.set(member(t, "flags"), new BtfType.Member("flags", u16, flags.bitOffset(), 0));
        members.set(member(t, "tgid"), new BtfType.Member("tgid", tgid.type(), tgid.bitOffset() + 64 * 8, 0));
        BtfType.Member mm = members.get(member(t, "mm"));
        members.set(member(t, "mm"), new BtfType.Member("mm_renamed", mm.type(), mm.bitOffset(), 0));
        members.remove(member(t, "pid"));
        b.set(task, new BtfType.Struct(t.name(), t.size(), members, t.kindFlag()));
        int lng = vmlinux.findId("long int", io.bpf4j.btf.BtfKind.INT).orElseThrow();
        b.add(new BtfType.Struct("task_struct___old", 8, List.of(new BtfType.Member("state", lng, 0, 0)), false));
        int pid = vmlinux.findId("pid_type", io.bpf4j.btf.BtfKind.ENUM).orElseThrow();
        BtfType.Enum e = (BtfType.Enum) vmlinux.type(pid);
        List<BtfType.EnumValue> values = new ArrayList<>(e.values());
        values.removeIf(v -> v.name().equals("PIDTYPE_TGID"));
        values.add(new BtfType.EnumValue("PIDTYPE_BPF4J_MISSING", 77));
        b.set(pid, new BtfType.Enum(e.name(), e.size(), e.signed(), values));
        return b.build();
    }

    @Test
    void decisionsAgainstCustomTargetsMatchLibbpf() throws IOException {
        Path oracle = libbpfOracle();
        Path core = Path.of(System.getProperty("bpf4j.repo.root", ".."), "testdata", "core.bpf.o");
        Btf vmlinux = Btf.read(VMLINUX, null);
        List<Btf> targets = List.of(vmlinux, alteredVmlinux(vmlinux), ObjectSpec.read(core).btf().orElseThrow());
        int i = 0;
        for (Btf target : targets) {
            Path file = tmp.resolve("target" + i++ + ".btf");
            Files.write(file, target.toBytes());
            String log = run(List.of(oracle.toString(), core.toString(), file.toString()));
            List<String> expected = coreLines(log);
            java.util.regex.Matcher failed = java.util.regex.Pattern.compile("failed to perform CO-RE relocations: (-\\d+)").matcher(log);
            if (failed.find()) {
                expected.add("(failed: " + failed.group(1) + ")");
            }
            assertFalse(expected.isEmpty(), "libbpf printed no CO-RE lines for " + file);
            assertEquals(String.join("\n", expected), String.join("\n", ours(core, CoreTarget.read(file))), "target " + file);
        }
    }

    /**
     * libbpf 1.1.2's final instructions of every autoloaded program (subprograms appended, calls
     * and data references relocated, CO-RE applied) against bpf4j's linked programs, slot by slot;
     * map fds and kernel BTF ids, which only a loader knows, are left out. And the flags of global data maps.
     */
    @Test
    void linkedProgramsMatchLibbpf() throws IOException {
        Path oracle = libbpfOracle();
        CoreTarget kernel = CoreTarget.kernel();
        int programs = 0;
        for (Path object : objects()) {
            String log = run(List.of(oracle.toString(), object.toString()));
            if (log.contains("endianness mismatch") || log.contains("legacy map definitions in 'maps' section are not supported")) {
                continue;
            }
            ObjectSpec spec = ObjectSpec.read(object).relocate(kernel, line -> { }).spec();
            java.util.Map<String, List<String[]>> insns = new java.util.LinkedHashMap<>();
            for (String line : log.split("\n")) {
                String[] f = line.split(" ");
                if (f[0].equals("insn") && f.length == 8) {
                    insns.computeIfAbsent(f[1], k -> new ArrayList<>()).add(f);
                } else if (line.matches("libbpf: map '.*' \\(global data\\): at sec_idx \\d+, offset \\d+, flags [0-9a-f]+\\.")) {
                    String name = line.substring(line.indexOf('\'') + 1, line.indexOf("' (global"));
                    String flags = line.substring(line.lastIndexOf(' ') + 1, line.length() - 1);
                    assertEquals(Integer.parseInt(flags, 16), spec.map(name).orElseThrow().flags(), object + " map " + name + " flags");
                }
            }
            for (var e : insns.entrySet()) {
                ProgramSpec p = spec.program(e.getKey()).orElseThrow();
                java.nio.ByteBuffer ours = java.nio.ByteBuffer.wrap(Instructions.encode(p.instructions(), java.nio.ByteOrder.LITTLE_ENDIAN))
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                List<String[]> theirs = e.getValue();
                assertEquals(theirs.size(), p.slotCount(), object + " " + p.name() + " slots");
                for (int i = 0; i < theirs.size(); i++) {
                    String[] t = theirs.get(i);
                    int code = Integer.parseInt(t[3], 16);
                    int src = Integer.parseInt(t[5], 16);
                    String where = object + " " + p.name() + " insn #" + i;
                    int regs = ours.get(i * 8 + 1) & 0xff;
                    boolean ldimm64 = code == 0x18;
                    boolean kernelOnly = ldimm64 && src == 3 || code == 0x85 && src == 2;
                    assertEquals(code, ours.get(i * 8) & 0xff, where + " opcode");
                    assertEquals(Integer.parseInt(t[4], 16), regs & 0xf, where + " dst");
                    if (kernelOnly) {
                        int at = i;
                        assertTrue(p.references().stream().anyMatch(r -> r.slot() == at && r instanceof Reference.Extern), where + " ksym");
                        i += ldimm64 ? 1 : 0;
                        continue;
                    }
                    assertEquals(src, regs >>> 4, where + " src");
                    assertEquals(Short.parseShort(t[6]), ours.getShort(i * 8 + 2), where + " off");
                    if (!(ldimm64 && (src == 1 || src == 2))) {
                        assertEquals(Integer.parseInt(t[7]), ours.getInt(i * 8 + 4), where + " imm");
                    }
                }
                programs++;
            }
        }
        assertTrue(programs > 10, programs + " programs compared");
    }

    @Test
    void relocateCommandPrintsTheDecisions() throws IOException {
        Path core = Path.of(System.getProperty("bpf4j.repo.root", ".."), "testdata", "core.bpf.o");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.execute(new String[] {"object", "relocate", core.toString(), "--target-btf", VMLINUX.toString()},
                new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, rc, err.toString());
        List<String> lines = out.toString().lines().toList();
        assertEquals(ours(core, CoreTarget.read(VMLINUX)), lines.subList(0, lines.size() - 1));
        assertTrue(lines.getLast().matches("\\d+ CO-RE relocations: \\d+ patched \\(\\d+ changed\\), [1-9]\\d* poisoned"), lines.getLast());
    }
}
