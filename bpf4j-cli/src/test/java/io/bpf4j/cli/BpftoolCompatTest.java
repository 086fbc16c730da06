package io.bpf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.btf.BtfBuilder;
import io.bpf4j.btf.BtfType;
import io.bpf4j.isa.AluOp;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.PseudoSource;
import io.bpf4j.kernel.KernelBtf;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.MapDefinition;
import io.bpf4j.kernel.ProgramDefinition;
import io.bpf4j.kernel.testing.KernelTest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * bpf4j's map, prog and btf commands print what bpftool 7.1 prints, run side by side on
 * the same kernel objects (created by bpftool and by bpf4j), plain and with -j and -p.
 */
@KernelTest
class BpftoolCompatTest {
    private static final Path BPFTOOL = Path.of("/usr/sbin/bpftool");
    private static Path dir;
    private static final List<AutoCloseable> held = new ArrayList<>();
    private static KernelMap btfMap;
    private static KernelBtf btf;
    private static KernelProgram xdp;
    private static KernelProgram tailCaller;
    private static KernelProgram withMetadata;

    @BeforeAll
    static void createObjects() throws Exception {
        assumeTrue(Files.isExecutable(BPFTOOL), "bpftool is not installed");
        dir = Files.createTempDirectory(Path.of("/sys/fs/bpf"), "bpf4j-compat");
        bpftoolOk("map", "create", p("hash"), "type", "hash", "key", "4", "value", "8", "entries", "16", "name", "cmp_hash");
        bpftoolOk("map", "update", "pinned", p("hash"), "key", "1", "0", "0", "0", "value", "1", "2", "3", "4", "5", "6", "7", "8");
        bpftoolOk("map", "update", "pinned", p("hash"), "key", "hex", "ff", "0", "0", "0", "value", "hex", "de", "ad", "be", "ef",
                "0", "0", "0", "1");
        bpftoolOk("map", "create", p("big"), "type", "array", "key", "4", "value", "20", "entries", "3", "name", "cmp_big");
        bpftoolOk("map", "update", "pinned", p("big"), "key", "1", "0", "0", "0", "value", "1", "2", "3", "4", "5", "6", "7", "8",
                "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20");
        bpftoolOk("map", "create", p("pcpu"), "type", "percpu_array", "key", "4", "value", "4", "entries", "2", "name", "cmp_pcpu");
        bpftoolOk("map", "update", "pinned", p("pcpu"), "key", "0", "0", "0", "0", "value", "1", "2", "3", "4");
        bpftoolOk("map", "create", p("queue"), "type", "queue", "key", "0", "value", "4", "entries", "4", "name", "cmp_queue");
        bpftoolOk("map", "push", "pinned", p("queue"), "value", "7", "0", "0", "0");
        bpftoolOk("map", "create", p("k20"), "type", "hash", "key", "20", "value", "4", "entries", "4", "name", "cmp_k20");
        bpftoolOk("map", "update", "pinned", p("k20"), "key", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13",
                "14", "15", "16", "17", "18", "19", "20", "value", "1", "1", "1", "1");
        bpftoolOk("map", "create", p("lpm"), "type", "lpm_trie", "key", "8", "value", "8", "entries", "4", "name", "cmp_lpm",
                "flags", "1");
        bpftoolOk("map", "create", p("inner"), "type", "array", "key", "4", "value", "4", "entries", "1", "name", "cmp_inner");
        bpftoolOk("map", "create", p("aom"), "type", "array_of_maps", "key", "4", "value", "4", "entries", "2", "name", "cmp_aom",
                "inner_map", "pinned", p("inner"));
        bpftoolOk("map", "update", "pinned", p("aom"), "key", "0", "0", "0", "0", "value", "pinned", p("inner"));
        bpftoolOk("map", "create", p("frozen"), "type", "array", "key", "4", "value", "4", "entries", "1", "name", "cmp_frozen");
        bpftoolOk("map", "freeze", "pinned", p("frozen"));
        bpftoolOk("map", "create", p("dup1"), "type", "hash", "key", "4", "value", "4", "entries", "1", "name", "cmp_dup");
        bpftoolOk("map", "create", p("dup2"), "type", "array", "key", "4", "value", "4", "entries", "1", "name", "cmp_dup");

        btf = KernelBtf.load(valueBtf());
        btfMap = KernelMap.create(MapDefinition.of(MapType.HASH, 4, 32, 4).withName("cmp_btf").withBtf(btf, 1, 6));
        held.add(btfMap);
        held.add(btf);
        btfMap.update(i32(3), btfValue(), 0);
        btfMap.update(i32(4), new byte[32], 0);
        btfMap.pin(Path.of(p("btfmap")));

        xdp = KernelProgram.load(ProgramDefinition.of(ProgramType.XDP, "cmp_prog", List.of(mov(0, 2), EXIT), "GPL"));
        held.add(xdp);
        xdp.pin(Path.of(p("prog")));
        try (KernelMap progs = KernelMap.openPinned(Path.of(p("hash")))) {
            // A program whose map loads make it list a map id (and make cmp_hash show up in map_ids).
            tailCaller = KernelProgram.load(ProgramDefinition.of(ProgramType.SOCKET_FILTER, "cmp_maps",
                    List.of(new Instruction.LoadImm64(1, PseudoSource.MAP_FD, progs.fd()), mov(0, 0), EXIT), "Dual BSD/GPL"));
            held.add(tailCaller);
        }
        KernelBtf rodataBtf = KernelBtf.load(rodataBtf());
        held.add(rodataBtf);
        KernelMap rodata = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 12, 1).withName("cmp.rodata")
                .withBtf(rodataBtf, 0, 7));
        held.add(rodata);
        rodata.update(i32(0), new byte[] {'v', '1', 0, 0, 42, 0, 0, 0, 9, 0, 0, 0}, 0);
        rodata.pin(Path.of(p("rodata")));
        withMetadata = KernelProgram.load(ProgramDefinition.of(ProgramType.SOCKET_FILTER, "cmp_meta",
                List.of(new Instruction.LoadImm64(1, PseudoSource.MAP_FD, rodata.fd()), mov(0, 0), EXIT), "GPL"));
        held.add(withMetadata);
    }

    /**
     * A global-data section: [4] var bpf_metadata_name (char[4]), [5] var bpf_metadata_num (int),
     * [6] var other (int), in [7] datasec .rodata.
     */
    private static byte[] rodataBtf() {
        BtfBuilder b = new BtfBuilder();
        int i32 = b.add(new BtfType.Int("int", 4, BtfType.Int.SIGNED, 0, 32));
        int ch = b.add(new BtfType.Int("char", 1, BtfType.Int.SIGNED, 0, 8));
        int str = b.add(new BtfType.Array(ch, i32, 4));
        int name = b.add(new BtfType.Var("bpf_metadata_name", str, BtfType.Linkage.GLOBAL));
        int num = b.add(new BtfType.Var("bpf_metadata_num", i32, BtfType.Linkage.GLOBAL));
        int other = b.add(new BtfType.Var("other", i32, BtfType.Linkage.GLOBAL));
        int sec = b.add(new BtfType.Datasec(".rodata", 12, List.of(new BtfType.VarSecinfo(name, 0, 4),
                new BtfType.VarSecinfo(num, 4, 4), new BtfType.VarSecinfo(other, 8, 4))));
        assertEquals(7, sec);
        return b.build().toBytes(ByteOrder.nativeOrder());
    }

    @AfterAll
    static void removeObjects() throws Exception {
        for (AutoCloseable c : held) {
            c.close();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    private static String p(String name) {
        return dir.resolve(name).toString();
    }

    @Test
    void mapShow() {
        for (String m : List.of("hash", "big", "pcpu", "queue", "k20", "lpm", "aom", "frozen", "btfmap")) {
            compareAllFormats("map", "show", "pinned", p(m));
        }
        compareAllFormats("map", "show", "name", "cmp_dup");
        compareAllFormats("map", "list", "id", Integer.toString(btfMap.id()));
        compare("map", "show", "-f", "pinned", p("hash"));
        compare("-j", "map", "show", "-f", "pinned", p("hash"));
    }

    @Test
    void mapDump() {
        for (String m : List.of("hash", "big", "pcpu", "queue", "k20", "lpm", "aom", "frozen", "btfmap", "rodata")) {
            compareAllFormats("map", "dump", "pinned", p(m));
        }
        compareAllFormats("map", "dump", "name", "cmp_dup");
    }

    @Test
    void mapLookupAndGetNext() {
        compareAllFormats("map", "lookup", "pinned", p("hash"), "key", "1", "0", "0", "0");
        compareAllFormats("map", "lookup", "pinned", p("hash"), "key", "9", "0", "0", "0");
        compareAllFormats("map", "lookup", "pinned", p("pcpu"), "key", "0", "0", "0", "0");
        compareAllFormats("map", "lookup", "pinned", p("btfmap"), "key", "3", "0", "0", "0");
        compareAllFormats("map", "peek", "pinned", p("queue"));
        compareAllFormats("map", "getnext", "pinned", p("big"));
        compareAllFormats("map", "getnext", "pinned", p("big"), "key", "0", "0", "0", "0");
    }

    @Test
    void mapCommandsChangeWhatBpftoolSees() throws Exception {
        bpf4jOk("map", "create", p("made"), "type", "hash", "key", "4", "value", "4", "entries", "8", "name", "by_bpf4j",
                "flags", "0x1");
        compare("map", "show", "pinned", p("made"));
        bpf4jOk("map", "update", "pinned", p("made"), "key", "1", "0", "0", "0", "value", "0x10", "0", "0", "0", "noexist");
        bpf4jOk("map", "update", "pinned", p("made"), "key", "2", "0", "0", "0", "value", "hex", "20", "0", "0", "0");
        compare("map", "dump", "pinned", p("made"));
        bpf4jOk("map", "delete", "pinned", p("made"), "key", "1", "0", "0", "0");
        assertEquals("key: 02 00 00 00  value: 20 00 00 00\nFound 1 element\n", bpftool("map", "dump", "pinned", p("made")));
        bpf4jOk("map", "pin", "pinned", p("made"), p("made2"));
        bpf4jOk("map", "freeze", "pinned", p("made2"));
        assertTrue(bpftool("map", "show", "pinned", p("made")).contains("frozen"));
        assertEquals("Error: update failed: " + io.bpf4j.kernel.sys.Errno.message(1) + "\n",
                bpf4jErr("map", "update", "pinned", p("made"), "key", "2", "0", "0", "0", "value", "0", "0", "0", "0"));
        assertEquals("Error: pop works on queue and stack maps; this map is a hash map (use lookup and delete)\n",
                bpf4jErr("map", "pop", "pinned", p("made")));
        // a queue of its own: the other tests peek at the shared one
        bpftoolOk("map", "create", p("popped"), "type", "queue", "key", "0", "value", "4", "entries", "4", "name", "cmp_popped");
        for (String v : List.of("1", "1", "2", "2")) { // in pairs: bpftool pops one, bpf4j the next
            bpftoolOk("map", "push", "pinned", p("popped"), "value", v, "0", "0", "0");
        }
        assertEquals(bpftool("map", "pop", "pinned", p("popped")), bpf4j("map", "pop", "pinned", p("popped")));
        assertEquals(bpftool("map", "pop", "pinned", p("popped"), "-j"), bpf4j("map", "pop", "pinned", p("popped"), "-j"));
        assertEquals(bpftool("map", "pop", "pinned", p("popped")), bpf4j("map", "pop", "pinned", p("popped"))); // empty
    }

    @Test
    void progShow() {
        compareAllFormats("prog", "show", "id", Integer.toString(xdp.id()));
        compareAllFormats("prog", "show", "pinned", p("prog"));
        compareAllFormats("prog", "show", "name", "cmp_maps");
        compareAllFormats("prog", "show", "name", "cmp_meta");
        assertTrue(bpftool("prog", "show", "name", "cmp_meta").contains("\tmetadata:\n\t\tname = \"v1\"\n\t\tnum = 42\n"));
        compareAllFormats("prog", "show", "tag", xdp.info().tagHex());
        compare("prog", "show", "-f", "pinned", p("prog"));
        bpf4jOk("prog", "pin", "id", Integer.toString(tailCaller.id()), p("prog2"));
        compare("prog", "show", "pinned", p("prog2"));
    }

    @Test
    void btfShow() {
        compareAllFormats("btf", "show", "id", Integer.toString(btf.id()));
        compareAllFormats("btf", "show", "id", "1");
    }

    private static void compareAllFormats(String... args) {
        compare(args);
        String[] json = new String[args.length + 1];
        json[0] = "-j";
        System.arraycopy(args, 0, json, 1, args.length);
        compare(json);
        json[0] = "-p";
        compare(json);
    }

    /** Same standard output from both; a second try absorbs a load time printed across a second's boundary. */
    private static void compare(String... args) {
        String theirs = bpftool(args);
        String ours = bpf4j(args);
        if (!theirs.equals(ours)) {
            theirs = bpftool(args);
            ours = bpf4j(args);
        }
        assertFalse(theirs.isBlank(), "bpftool printed nothing for: " + String.join(" ", args));
        assertEquals(theirs, ours, "bpftool " + String.join(" ", args));
    }

    /** bpf4j takes bpftool's options after the command words. */
    private static String[] bpf4jArgs(String... args) {
        List<String> words = new ArrayList<>();
        List<String> options = new ArrayList<>();
        for (String a : args) {
            (a.startsWith("-") && a.length() == 2 ? options : words).add(a);
        }
        words.addAll(options);
        return words.toArray(new String[0]);
    }

    static String bpf4j(String... args) {
        return CliRun.of(bpf4jArgs(args)).out();
    }

    private static String bpf4jErr(String... args) {
        return CliRun.of(bpf4jArgs(args)).err();
    }

    private static void bpf4jOk(String... args) {
        CliRun r = CliRun.of(bpf4jArgs(args));
        assertEquals(0, r.code(), String.join(" ", args) + ": " + r.err());
    }

    static String bpftool(String... args) {
        try {
            List<String> cmd = new ArrayList<>(List.of(BPFTOOL.toString()));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            p.getInputStream().transferTo(out);
            p.waitFor();
            return out.toString(StandardCharsets.UTF_8);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void bpftoolOk(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(BPFTOOL.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", args) + ": " + out);
    }

    static byte[] i32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    private static final Instruction EXIT = new Instruction.Exit();

    private static Instruction mov(int dst, int imm) {
        return new Instruction.AluImm(true, AluOp.MOV, dst, imm);
    }

    /**
     * [1] int; [2] char; [3] char[8]; [4] enum color { RED, GREEN = 7 }; [5] unsigned short;
     * [6] struct val { int a; char name[8]; enum color c; unsigned int flags:3, more:5 (kind_flag);
     * unsigned short ports[2]; _Bool on; unsigned char raw[4]; char sign; long long big; } of 32 bytes...
     */
    private static byte[] valueBtf() {
        BtfBuilder b = new BtfBuilder();
        int i32 = b.add(new BtfType.Int("int", 4, BtfType.Int.SIGNED, 0, 32));
        int ch = b.add(new BtfType.Int("char", 1, BtfType.Int.SIGNED, 0, 8));
        int str = b.add(new BtfType.Array(ch, i32, 8));
        int color = b.add(new BtfType.Enum("color", 4, false,
                List.of(new BtfType.EnumValue("RED", 0), new BtfType.EnumValue("GREEN", 7))));
        int u16 = b.add(new BtfType.Int("unsigned short", 2, 0, 0, 16));
        int val = b.nextId();
        int ports = val + 1;
        int u32 = val + 2;
        int bool = val + 3;
        b.add(new BtfType.Struct("val", 32, List.of(
                new BtfType.Member("a", i32, 0, 0),
                new BtfType.Member("name", str, 32, 0),
                new BtfType.Member("c", color, 96, 0),
                new BtfType.Member("flags", u32, 128, 3),
                new BtfType.Member("more", u32, 131, 5),
                new BtfType.Member("ports", ports, 160, 0),
                new BtfType.Member("on", bool, 192, 0),
                new BtfType.Member("sign", ch, 200, 0),
                new BtfType.Member("big", u16, 208, 0)), true));
        b.add(new BtfType.Array(u16, i32, 2));
        b.add(new BtfType.Int("unsigned int", 4, 0, 0, 32));
        b.add(new BtfType.Int("_Bool", 1, BtfType.Int.BOOL, 0, 8));
        assertEquals(6, val);
        return b.build().toBytes(ByteOrder.nativeOrder());
    }

    private static byte[] btfValue() {
        ByteBuffer v = ByteBuffer.allocate(32).order(ByteOrder.nativeOrder());
        v.putInt(0, -5);
        v.put(4, (byte) 'j').put(5, (byte) 'a').put(6, (byte) 'v').put(7, (byte) 'a');
        v.putInt(12, 7);
        v.put(16, (byte) (5 | 9 << 3));
        v.putShort(20, (short) 80).putShort(22, (short) 443);
        v.put(24, (byte) 1);
        v.put(25, (byte) -3);
        v.putShort(26, (short) 65535);
        return v.array();
    }
}
