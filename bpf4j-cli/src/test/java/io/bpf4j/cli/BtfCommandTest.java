package io.bpf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfBuilder;
import io.bpf4j.btf.BtfKind;
import io.bpf4j.btf.BtfType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bpf4j btf dump} compared with bpftool's output for the same arguments. */
class BtfCommandTest {
    private static final Path VMLINUX = Path.of("/sys/kernel/btf/vmlinux");

    @TempDir
    Path tmp;

    private static String bpftool(String... args) throws IOException, InterruptedException {
        String tool = null;
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, "bpftool"))) {
                tool = Path.of(dir, "bpftool").toString();
            }
        }
        if (tool == null) {
            System.out.println("SKIPPED: bpftool not found on PATH");
        }
        assumeTrue(tool != null, "bpftool not found on PATH");
        List<String> command = new ArrayList<>(List.of(tool));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command));
        return out;
    }

    private static void requireVmlinux() {
        if (!Files.isReadable(VMLINUX)) {
            System.out.println("SKIPPED: " + VMLINUX + " is not readable");
        }
        assumeTrue(Files.isReadable(VMLINUX), VMLINUX + " is not readable");
    }

    @Test
    void vmlinuxRawJsonAndCAsBpftool() throws Exception {
        requireVmlinux();
        String f = VMLINUX.toString();
        assertEquals(bpftool("btf", "dump", "file", f), CliRun.of("btf", "dump", "file", f).out());
        assertEquals(bpftool("-j", "btf", "dump", "file", f, "format", "raw"), CliRun.of("btf", "dump", "file", f, "format", "raw", "-j").out());
        assertEquals(bpftool("-p", "btf", "dump", "file", f), CliRun.of("btf", "dump", "-p", "file", f).out());
        assertEquals(bpftool("btf", "dump", "file", f, "format", "c"), CliRun.of("btf", "dump", "fi", f, "form", "c").out());
    }

    @Test
    void splitBtfWithBaseAsBpftool() throws Exception {
        requireVmlinux();
        Btf base = Btf.read(VMLINUX, null);
        BtfBuilder b = BtfBuilder.split(base);
        int i32 = base.findId("int", BtfKind.INT).orElseThrow();
        int p = b.add(new BtfType.Ptr(base.findId("sk_buff", BtfKind.STRUCT).orElseThrow()));
        b.add(new BtfType.Struct("bpf4j_split", 16, List.of(new BtfType.Member("skb", p, 0, 0), new BtfType.Member("n", i32, 64, 0)), false));
        b.add(new BtfType.Enum("", 4, true, List.of(new BtfType.EnumValue("BPF4J_MINUS", -1))));
        Path split = tmp.resolve("split.btf");
        Files.write(split, b.build().toBytes());
        String f = split.toString();
        assertEquals(bpftool("-B", VMLINUX.toString(), "btf", "dump", "file", f), CliRun.of("btf", "dump", "--base-btf", VMLINUX.toString(), "file", f).out());
        assertEquals(bpftool("-B", VMLINUX.toString(), "-j", "btf", "dump", "file", f), CliRun.of("btf", "dump", "-B", VMLINUX.toString(), "-j", "file", f).out());
    }

    /** testdata/ and libxdp objects, read through the ELF reader: raw, C and JSON as bpftool prints them. */
    @Test
    void objectsAsBpftool() throws Exception {
        List<Path> objects = new ArrayList<>();
        for (Path dir : List.of(Path.of(System.getProperty("bpf4j.repo.root", "."), "testdata"), Path.of("/usr/lib/x86_64-linux-gnu/bpf"))) {
            if (Files.isDirectory(dir)) {
                try (var s = Files.list(dir)) {
                    s.filter(f -> f.toString().endsWith(".o")).sorted().forEach(objects::add);
                }
            }
        }
        assumeTrue(!objects.isEmpty(), "no BPF objects");
        for (Path o : objects) {
            String f = o.toString();
            assertEquals(bpftool("btf", "dump", "file", f), CliRun.of("btf", "dump", "file", f).out(), f);
            assertEquals(bpftool("btf", "dump", "file", f, "format", "c"), CliRun.of("btf", "dump", "file", f, "format", "c").out(), f);
            assertEquals(bpftool("-j", "btf", "dump", "file", f), CliRun.of("btf", "dump", "-j", "file", f).out(), f);
        }
    }

    @Test
    void extListsRecordsAfterTheTypes() throws Exception {
        Path object = Path.of(System.getProperty("bpf4j.repo.root", "."), "testdata", "btf_types.bpf.o");
        assumeTrue(Files.isReadable(object), object + " missing");
        String types = bpftool("btf", "dump", "file", object.toString());
        CliRun r = CliRun.of("btf", "dump", "file", object.toString(), "format", "raw", "--ext");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith(types));
        List<String> ext = r.out().substring(types.length()).lines().toList();
        assertTrue(ext.contains("func_info 'xdp' insn=0 type_id=" + typeId(types, "FUNC 'prog'") + " (FUNC 'prog')"), ext.toString());
        assertTrue(ext.stream().anyMatch(l -> l.matches("line_info 'xdp' insn=\\d+ file='\\./btf_types.bpf.c' line=\\d+ col=\\d+ '.*g_anon.kind = g_const;'")), ext.toString());
        assertTrue(ext.stream().anyMatch(l -> l.matches("core_relo 'kprobe/do_exit' insn=\\d+ type_id=\\d+ \\(STRUCT 'task_struct'\\) access='0:2' kind=byte_sz")), ext.toString());
        assertEquals(13, ext.stream().filter(l -> l.startsWith("core_relo")).map(l -> l.replaceAll(".* kind=", "")).distinct().count());

        CliRun raw = CliRun.of("btf", "dump", "file", VMLINUX.toString(), "--ext");
        assertEquals(1, raw.code());
        assertTrue(raw.err().contains("has no .BTF.ext section"), raw.err());
    }

    private static String typeId(String rawDump, String what) {
        return rawDump.lines().filter(l -> l.contains("] " + what)).findFirst().orElseThrow().replaceAll("^\\[(\\d+)\\].*", "$1");
    }

    @Test
    void errorsAreOneLineWithExitCodes() throws IOException {
        CliRun missing = CliRun.of("btf", "dump", "file", tmp.resolve("nope").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("Error: cannot read "), missing.err());
        assertEquals(1, missing.err().lines().count());

        Path bad = tmp.resolve("bad.btf");
        // One INT with kind_flag set (info 0x81000000), then the string section "\0".
        Files.write(bad, new byte[] {(byte) 0x9f, (byte) 0xeb, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, (byte) 0x81, 4, 0, 0, 0, 32, 0, 0, 0, 0});
        CliRun malformed = CliRun.of("btf", "dump", "file", bad.toString());
        assertEquals(1, malformed.code());
        assertEquals("Error: " + bad + ": type [1] at offset 24: INT must not have kind_flag set", malformed.err().strip());

        assertEquals(2, CliRun.of("btf", "dump", "file", bad.toString(), "format", "yaml").code());
        assertEquals(2, CliRun.of("btf", "dump", "map", "id", "1").code());
        CliRun jsonC = CliRun.of("btf", "dump", "file", bad.toString(), "format", "c", "-j");
        assertEquals(1, jsonC.code());
        assertEquals("Error: JSON output for C-syntax dump is not supported", jsonC.err().strip());
    }

    @Test
    void benchPrintsRatiosAgainstBpftool() throws Exception {
        requireVmlinux();
        bpftool("version");
        CliRun r = CliRun.of("btf", "bench", "--runs", "1", "--warmup", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("bpf4j in-process parse+dump") && r.out().matches("(?s).*bpftool +[0-9.]+ ms +1\\.00x.*"), r.out());
    }
}
