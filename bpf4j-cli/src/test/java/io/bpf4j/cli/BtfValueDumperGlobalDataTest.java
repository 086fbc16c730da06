package io.bpf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Values formatted by BTF ({@link BtfValueDumper}) compared with bpftool's {@code map dump} of the same maps: the
 * global-data maps of testdata/btf_types.bpf.o, loaded and run by bpftool.
 */
@Tag("kernel")
class BtfValueDumperGlobalDataTest {
    private static final Path OBJECT = Path.of(System.getProperty("bpf4j.repo.root", "."), "testdata", "btf_types.bpf.o");
    @org.junit.jupiter.api.io.TempDir
    Path tmp;

    private final Path pins = Path.of("/sys/fs/bpf/bpf4j_btf_value_test_" + ProcessHandle.current().pid());

    private static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Skips (or fails under BPF4J_REQUIRE_KERNEL=1) unless bpftool can load programs here. */
    private static void requireBpf() throws IOException {
        boolean root = Files.readString(Path.of("/proc/self/status")).matches("(?s).*\\nUid:\\s+0\\s.*");
        String why = !Files.isExecutable(Path.of("/usr/sbin/bpftool")) && !Files.isExecutable(Path.of("/usr/bin/bpftool")) ? "bpftool is not installed"
                : !root ? "not running as root" : !Files.isWritable(Path.of("/sys/fs/bpf")) ? "bpffs is not mounted at /sys/fs/bpf" : null;
        if (why != null && "1".equals(System.getenv("BPF4J_REQUIRE_KERNEL"))) {
            fail("kernel test cannot run: " + why);
        }
        if (why != null) {
            System.out.println("SKIPPED: kernel test: " + why);
        }
        Assumptions.assumeTrue(why == null, why);
    }

    @AfterEach
    void unpin() throws IOException {
        if (Files.isDirectory(pins)) {
            try (var files = Files.walk(pins)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Test
    void globalDataFormatsAsBpftoolMapDump() throws IOException {
        requireBpf();
        Path maps = pins.resolve("maps");
        Files.createDirectories(maps);
        run("bpftool", "prog", "loadall", OBJECT.toString(), pins.resolve("progs").toString(), "pinmaps", maps.toString());
        Path packet = Files.write(tmp.resolve("packet"), new byte[64]);
        run("bpftool", "prog", "run", "pinned", pins.resolve("progs/prog").toString(), "data_in", packet.toString());
        Btf btf = Btf.read(OBJECT, null);
        int checked = 0;
        for (String section : List.of("data", "bss", "rodata")) {
            Path map = maps.resolve("btf_type_" + section);
            String json = run("bpftool", "-j", "map", "dump", "pinned", map.toString());
            byte[] key = bytes(json, "key");
            byte[] value = bytes(json, "value");
            int type = btf.findId("." + section, BtfKind.DATASEC).orElseThrow();

            StringBuilder sb = new StringBuilder();
            JsonWriter w = new JsonWriter(sb, false);
            w.startArray().startObject().name("key");
            hexArray(w, key);
            w.name("value");
            hexArray(w, value);
            w.name("formatted").startObject().name("value");
            boolean ok = new BtfValueDumper(btf, w, false).dump(type, value);
            w.endObject().endObject().endArray().finish();
            assertEquals(json, sb.toString(), section);

            StringBuilder plain = new StringBuilder();
            JsonWriter p = new JsonWriter(plain, true);
            p.startArray().startObject().name("value");
            assertEquals(ok, new BtfValueDumper(btf, p, true).dump(type, value));
            p.endObject().endArray().finish();
            assertEquals(run("bpftool", "map", "dump", "pinned", map.toString()), plain.toString(), section);
            checked++;
        }
        assertEquals(3, checked);
        assertTrue(run("bpftool", "map", "dump", "pinned", maps.resolve("btf_type_bss").toString()).contains("\"kind\": 5"),
                "the program ran and wrote .bss");
    }

    private static void hexArray(JsonWriter w, byte[] bytes) {
        w.startArray();
        for (byte b : bytes) {
            w.value(String.format("0x%02x", b & 0xff));
        }
        w.endArray();
    }

    private static byte[] bytes(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\\[([^\\]]*)\\]").matcher(json);
        assertTrue(m.find(), json);
        List<Byte> out = new ArrayList<>();
        for (String h : m.group(1).split(",")) {
            out.add((byte) Integer.parseInt(h.replace("\"", "").substring(2), 16));
        }
        byte[] b = new byte[out.size()];
        for (int i = 0; i < b.length; i++) {
            b[i] = out.get(i);
        }
        return b;
    }
}
