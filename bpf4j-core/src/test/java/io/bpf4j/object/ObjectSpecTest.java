package io.bpf4j.object;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.BpfFormatException;
import io.bpf4j.MapType;
import io.bpf4j.elf.ElfFile;
import io.bpf4j.elf.ElfSection;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.SlotMap;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The object model on its own: legacy maps against the bytes llvm-readelf shows, the shape of
 * linked programs, copies with changes, and bad input (each error names what is wrong, and no
 * corruption gives anything but a {@link BpfFormatException}).
 */
class ObjectSpecTest {
    static Path testdata(String name) {
        Path p = Path.of(System.getProperty("bpf4j.repo.root", ".."), "testdata", name);
        assumeTrue(Files.exists(p), p + " missing");
        return p;
    }

    private static String readelf(String... args) {
        for (String tool : new String[] {"llvm-readelf", "llvm-readelf-19"}) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                Path exe = Path.of(dir, tool);
                if (Files.isExecutable(exe)) {
                    try {
                        List<String> cmd = new java.util.ArrayList<>(List.of(exe.toString()));
                        cmd.addAll(List.of(args));
                        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                        String out = new String(p.getInputStream().readAllBytes());
                        p.waitFor(60, TimeUnit.SECONDS);
                        return out;
                    } catch (IOException | InterruptedException e) {
                        throw new AssertionError(e);
                    }
                }
            }
        }
        System.out.println("SKIPPED: llvm-readelf not found");
        assumeTrue(false, "llvm-readelf not found");
        return null;
    }

    @Test
    void legacyMapDefinitionsAreTheSectionBytes() throws IOException {
        Path file = testdata("legacy_maps.bpf.o");
        ObjectSpec o = ObjectSpec.read(file);
        StringBuilder hex = new StringBuilder();
        for (String line : readelf("-x", "maps", file.toString()).split("\n")) {
            if (line.startsWith("0x")) {
                String[] words = line.substring(11).trim().split("\\s+");
                for (int i = 0; i < Math.min(4, words.length); i++) {
                    if (words[i].matches("[0-9a-f]{2,8}")) {
                        hex.append(words[i]);
                    }
                }
            }
        }
        ByteBuffer maps = ByteBuffer.wrap(java.util.HexFormat.of().parseHex(hex)).order(ByteOrder.LITTLE_ENDIAN);
        int checked = 0;
        for (String line : readelf("-s", file.toString()).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 8 && f[3].equals("OBJECT") && o.map(f[7]).isPresent()) {
                int at = Integer.parseInt(f[1], 16);
                MapSpec m = o.map(f[7]).orElseThrow();
                assertEquals(MapSpec.Kind.LEGACY, m.kind());
                assertEquals(maps.getInt(at), m.type().id(), m.name());
                assertEquals(maps.getInt(at + 4), m.keySize(), m.name());
                assertEquals(maps.getInt(at + 8), m.valueSize(), m.name());
                assertEquals(maps.getInt(at + 12), m.maxEntries(), m.name());
                assertEquals(maps.getInt(at + 16), m.flags(), m.name());
                checked++;
            }
        }
        assertEquals(o.maps().size(), checked);
        ProgramSpec p = o.programs().getFirst();
        Set<String> referenced = new HashSet<>();
        for (Reference r : p.references()) {
            assertTrue(p.instructions().get(SlotMap.of(p.instructions()).index(r.slot())) instanceof Instruction.LoadImm64 ld
                    && ld.source() == io.bpf4j.isa.PseudoSource.MAP_FD, r.toString());
            referenced.add(((Reference.MapFd) r).map());
        }
        assertEquals(Set.of("packets", "sizes"), referenced);
    }

    /** Every func_info of a linked program starts the program or a function that a call or function pointer reaches. */
    @Test
    void linkedProgramsCarryTheirSubprogramsInfo() throws IOException {
        int withSubprograms = 0;
        for (Path object : ObjectSpecLibbpfTest.objects()) {
            ObjectSpec o = ObjectSpec.read(object);
            for (ProgramSpec p : o.programs()) {
                SlotMap slots = SlotMap.of(p.instructions());
                Set<Integer> starts = new HashSet<>(Set.of(0));
                for (int i = 0; i < p.instructions().size(); i++) {
                    switch (p.instructions().get(i)) {
                        case Instruction.CallLocal c -> starts.add(slots.slot(i) + c.imm() + 1);
                        case Instruction.LoadImm64 ld when ld.source() == io.bpf4j.isa.PseudoSource.FUNC -> starts.add(slots.slot(i) + ld.imm() + 1);
                        default -> { }
                    }
                }
                if (p.funcInfos().isEmpty()) {
                    continue;
                }
                Set<Integer> infos = new HashSet<>();
                for (var f : p.funcInfos()) {
                    infos.add(f.insnOffset() / 8);
                }
                assertEquals(starts, infos, object + " " + p.name());
                assertEquals(p.funcInfos().size(), infos.size(), object + " " + p.name());
                for (var l : p.lineInfos()) {
                    assertTrue(l.insnOffset() / 8 < p.slotCount() && slots.index(l.insnOffset() / 8) >= 0, object + " " + p.name() + " " + l);
                }
                if (infos.size() > 1) {
                    withSubprograms++;
                }
            }
        }
        assertTrue(withSubprograms >= 3, "only " + withSubprograms + " programs with subprograms");
    }

    @Test
    void copiesWithChanges() throws IOException {
        ObjectSpec o = ObjectSpec.read(testdata("core.bpf.o"));
        ObjectSpec bigger = o.withMap(o.map("results").orElseThrow().withMaxEntries(4096));
        assertEquals(4096, bigger.map("results").orElseThrow().maxEntries());
        assertEquals(64, o.map("results").orElseThrow().maxEntries());
        ObjectSpec tuned = o.withVariable("target_pid", new byte[] {42, 0, 0, 0});
        VariableSpec v = tuned.variable("target_pid").orElseThrow();
        assertArrayEquals(new byte[] {42, 0, 0, 0}, v.initialValue());
        byte[] rodata = tuned.map(v.map()).orElseThrow().data();
        assertEquals(42, rodata[v.offset()]);
        assertEquals(0, o.map(v.map()).orElseThrow().data()[v.offset()]);
        assertFalse(o.program("core_optional").orElseThrow().autoload());
        ObjectSpec all = o.withAutoload("core_optional", true);
        assertTrue(all.program("core_optional").orElseThrow().autoload());
        assertThrows(IllegalArgumentException.class, () -> o.withVariable("target_pid", new byte[3]));
        assertThrows(IllegalArgumentException.class, () -> o.withAutoload("no_such_program", true));
        assertThrows(IllegalArgumentException.class, () -> o.map("results").orElseThrow().withData(new byte[8]));
    }

    @Test
    void sectionTableFollowsLibbpfsMatchingRules() {
        SectionDefinition kprobe = SectionDefinition.find("kprobe/do_exit").orElseThrow();
        assertEquals(io.bpf4j.ProgramType.KPROBE, kprobe.type());
        assertEquals("do_exit", kprobe.attachTarget("kprobe/do_exit"));
        assertTrue(SectionDefinition.find("kprobe").isPresent());
        assertFalse(SectionDefinition.find("kprobex").isPresent());
        assertFalse(SectionDefinition.find("xdp/foo").isPresent(), "'xdp' has no '+': only the exact name");
        assertEquals(SectionDefinition.XDP_FRAGS, SectionDefinition.find("xdp.frags").orElseThrow().flags());
        assertEquals(SectionDefinition.SLEEPABLE, SectionDefinition.find("lsm.s/file_open").orElseThrow().flags());
        assertEquals("kprobe.multi+", SectionDefinition.find("kprobe.multi/tcp_*").orElseThrow().pattern());
        assertEquals(io.bpf4j.AttachType.TCX_INGRESS, SectionDefinition.find("tcx/ingress").orElseThrow().attachType());
        assertEquals(io.bpf4j.AttachType.NETKIT_PEER, SectionDefinition.find("netkit/peer").orElseThrow().attachType());
        assertEquals(io.bpf4j.ProgramType.NETFILTER, SectionDefinition.find("netfilter").orElseThrow().type());
        for (SectionDefinition d : SectionDefinition.ALL) {
            String name = d.pattern().replace("+", "");
            assertEquals(d, SectionDefinition.find(name).orElseThrow(), "the first match of " + name);
        }
    }

    // ---- bad input ----

    private static byte[] bytes(String name) throws IOException {
        return Files.readAllBytes(testdata(name));
    }

    private static ElfSection section(byte[] file, String name) {
        return ElfFile.parse("x", file).section(name).orElseThrow();
    }

    private static int sectionHeader(byte[] file, int index) {
        return (int) ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(40) + index * 64;
    }

    private static String failure(byte[] file) {
        return assertThrows(BpfFormatException.class, () -> ObjectSpec.parse("bad.bpf.o", file)).getMessage();
    }

    @Test
    void unknownSectionIsNamed() throws IOException {
        byte[] f = bytes("calls.bpf.o");
        ElfSection strtab = section(f, ".strtab");
        String s = new String(f, (int) strtab.offset(), (int) strtab.size(), StandardCharsets.ISO_8859_1);
        int at = (int) strtab.offset() + s.indexOf("kprobe/do_sys_openat2");
        f[at + 5] = 'x';
        String message = failure(f);
        assertTrue(message.contains("'kprobx/do_sys_openat2'") && message.contains("kprobe_open"), message);
    }

    @Test
    void relocationIntoNowhereIsNamed() throws IOException {
        byte[] f = bytes("calls.bpf.o");
        ElfSection rel = section(f, ".relsocket");
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong((int) rel.offset(), 1 << 20);
        String message = failure(f);
        assertTrue(message.contains(".relsocket") && message.contains("invalid offset"), message);
    }

    @Test
    void relocationAgainstMissingSymbolIsNamed() throws IOException {
        byte[] f = bytes("xdp_counter.bpf.o");
        ElfSection rel = section(f, ".relxdp");
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        long info = b.getLong((int) rel.offset() + 8);
        b.putLong((int) rel.offset() + 8, info & 0xffffffffL);
        String message = failure(f);
        assertTrue(message.contains("undefined symbol") && message.contains("count_packets"), message);
        b.putLong((int) rel.offset() + 8, (info & 0xffffffffL) | (9999L << 32));
        message = failure(f);
        assertTrue(message.contains("symbol 9999"), message);
    }

    @Test
    void impossibleMapDefinitionIsNamed() throws IOException {
        byte[] f = bytes("xdp_counter.bpf.o");
        ElfSection maps = section(f, ".maps");
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(sectionHeader(f, maps.index()) + 32, 8);
        String message = failure(f);
        assertTrue(message.contains("map 'proto_count'") || message.contains("map 'bytes_by_len'"), message);

        byte[] legacy = bytes("legacy_maps.bpf.o");
        ByteBuffer.wrap(legacy).order(ByteOrder.LITTLE_ENDIAN).putInt((int) section(legacy, "maps").offset(), 999);
        message = failure(legacy);
        assertTrue(message.contains("map 'packets': unknown map type 999"), message);
    }

    @Test
    void conflictingSectionsAreNamed() throws IOException {
        byte[] f = bytes("calls.bpf.o");
        ElfSection license = section(f, "license");
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(sectionHeader(f, license.index()) + 4, ElfSection.SHT_SYMTAB);
        String message = failure(f);
        assertTrue(message.contains("more than one symbol table"), message);

        byte[] g = bytes("calls.bpf.o");
        ElfSection btf = section(g, ".BTF");
        ByteBuffer.wrap(g).order(ByteOrder.LITTLE_ENDIAN).putInt(sectionHeader(g, btf.index()) + 4, ElfSection.SHT_NOBITS);
        message = failure(g);
        assertTrue(message.contains("'.BTF'"), message);
    }

    /** Corrupted and truncated objects give a {@link BpfFormatException} or a spec, never anything else. */
    @Test
    void corruptionNeverCrashes() throws IOException {
        Random random = new Random(5);
        for (String name : List.of("core.bpf.o", "calls.bpf.o", "legacy_maps.bpf.o")) {
            byte[] good = bytes(name);
            for (int i = 0; i < 250; i++) {
                byte[] bad = good.clone();
                for (int k = 0; k < 1 + random.nextInt(4); k++) {
                    bad[random.nextInt(bad.length)] ^= (byte) (1 << random.nextInt(8));
                }
                tryParse(name, bad, i);
            }
            for (int len = 0; len < good.length; len += Math.max(1, good.length / 100)) {
                tryParse(name, java.util.Arrays.copyOf(good, len), -len);
            }
        }
    }

    private static void tryParse(String name, byte[] bad, int round) {
        try {
            ObjectSpec.parse(name, bad);
        } catch (BpfFormatException expected) {
            assertFalse(expected.getMessage().isBlank());
        } catch (RuntimeException e) {
            throw new AssertionError(name + " round " + round + ": " + e, e);
        }
    }

    @Test
    void bigEndianObjectsOpen() throws IOException {
        ObjectSpec o = ObjectSpec.read(testdata("bigendian.bpf.o"));
        assertEquals(ByteOrder.BIG_ENDIAN, o.byteOrder());
        assertEquals(MapType.ARRAY, o.map("stats").orElseThrow().type());
        assertFalse(o.programs().getFirst().instructions().isEmpty());
    }
}
