package io.bpf4j.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.bpf4j.BpfFormatException;
import io.bpf4j.ElfBuilder;
import io.bpf4j.TestFiles;
import io.bpf4j.Tools;
import io.bpf4j.isa.Instructions;
import io.bpf4j.isa.Objdump;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ElfFileTest {

    static List<Path> objects() throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> list = Files.list(TestFiles.testdata())) {
            list.filter(p -> p.toString().endsWith(".bpf.o")).sorted().forEach(all::add);
        }
        Path libxdp = Path.of("/usr/lib/x86_64-linux-gnu/bpf");
        if (Files.isDirectory(libxdp)) {
            try (Stream<Path> list = Files.list(libxdp)) {
                list.filter(p -> p.toString().endsWith(".o")).sorted().forEach(all::add);
            }
        }
        return all;
    }

    private static final Map<String, Integer> SECTION_TYPES = Map.of(
            "NULL", 0, "PROGBITS", 1, "SYMTAB", 2, "STRTAB", 3, "RELA", 4, "NOBITS", 8, "REL", 9,
            "LLVM_ADDRSIG", ElfSection.SHT_LLVM_ADDRSIG);
    private static final Map<String, Integer> SYMBOL_TYPES = Map.of(
            "NOTYPE", 0, "OBJECT", 1, "FUNC", 2, "SECTION", 3, "FILE", 4);
    private static final Map<String, Integer> BINDS = Map.of("LOCAL", 0, "GLOBAL", 1, "WEAK", 2);
    private static final Map<String, Integer> VISIBILITIES = Map.of(
            "DEFAULT", 0, "INTERNAL", 1, "HIDDEN", 2, "PROTECTED", 3);

    /** Sections, symbols and relocations as llvm-readelf reports them. */
    @Test
    void sameAsLlvmReadelf() throws IOException {
        Tools.require("llvm-readelf");
        Pattern sectionLine = Pattern.compile(
                "\\s*\\[\\s*(\\d+)] (\\S*)\\s+(\\S+)\\s+([0-9a-f]{16}) ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+)\\s+[A-Za-z]*\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)");
        Pattern symbolLine = Pattern.compile(
                "\\s*(\\d+): ([0-9a-f]{16})\\s+(\\d+) (\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+) ?(.*)");
        Pattern relocLine = Pattern.compile("([0-9a-f]{16})\\s+([0-9a-f]{16}) (\\S+).*");
        for (Path object : objects()) {
            ElfFile elf = ElfFile.read(object);
            String[] report = Tools.run(List.of("llvm-readelf", "-S", "-s", "-r", "-W", object.toString())).split("\n");
            List<ElfSection> sections = elf.sections();
            int seen = 0;
            for (String line : report) {
                Matcher m = sectionLine.matcher(line);
                if (!m.matches()) {
                    continue;
                }
                ElfSection s = sections.get(Integer.parseInt(m.group(1)));
                String where = object + " section " + s.index();
                assertEquals(m.group(2), s.name(), where);
                assertEquals(SECTION_TYPES.get(m.group(3)), s.type(), where);
                assertEquals(Long.parseLong(m.group(5), 16), s.offset(), where);
                assertEquals(Long.parseLong(m.group(6), 16), s.size(), where);
                assertEquals(Long.parseLong(m.group(7), 16), s.entsize(), where);
                assertEquals(Integer.parseInt(m.group(8)), s.link(), where);
                assertEquals(Integer.parseInt(m.group(9)), s.info(), where);
                assertEquals(Long.parseLong(m.group(10)), s.addralign(), where);
                assertEquals(s.type() == ElfSection.SHT_NOBITS ? 0 : s.size(), s.bytes().length, where);
                seen++;
            }
            assertEquals(sections.size(), seen, object + ": sections");

            List<ElfSymbol> symbols = elf.symbols();
            seen = 0;
            for (String line : report) {
                Matcher m = symbolLine.matcher(line);
                if (!m.matches()) {
                    continue;
                }
                ElfSymbol s = symbols.get(Integer.parseInt(m.group(1)));
                String where = object + " symbol " + s.index();
                assertEquals(Long.parseUnsignedLong(m.group(2), 16), s.value(), where);
                assertEquals(Long.parseLong(m.group(3)), s.size(), where);
                assertEquals(SYMBOL_TYPES.get(m.group(4)), s.type(), where);
                assertEquals(BINDS.get(m.group(5)), s.bind(), where);
                assertEquals(VISIBILITIES.get(m.group(6)), s.visibility(), where);
                String ndx = m.group(7);
                int expectedIndex = switch (ndx) {
                    case "UND" -> ElfSymbol.SHN_UNDEF;
                    case "ABS" -> ElfSymbol.SHN_ABS;
                    case "COM" -> ElfSymbol.SHN_COMMON;
                    default -> Integer.parseInt(ndx);
                };
                assertEquals(expectedIndex, s.sectionIndex(), where);
                // readelf names section symbols after their section
                String expectedName = s.type() == ElfSymbol.STT_SECTION && s.name().isEmpty()
                        ? sections.get(s.sectionIndex()).name() : s.name();
                assertEquals(m.group(8), expectedName, where);
                seen++;
            }
            assertEquals(symbols.size(), seen, object + ": symbols");

            List<ElfRelocation> expected = new ArrayList<>();
            for (String line : report) {
                Matcher m = relocLine.matcher(line);
                if (m.matches()) {
                    long info = Long.parseUnsignedLong(m.group(2), 16);
                    expected.add(new ElfRelocation(Long.parseUnsignedLong(m.group(1), 16), (int) (info >>> 32), (int) info, 0));
                }
            }
            List<ElfRelocation> actual = new ArrayList<>();
            for (ElfSection s : sections) {
                if (s.isRelocation()) {
                    actual.addAll(elf.relocations(s));
                }
            }
            assertEquals(expected, actual, object + ": relocations");
        }
    }

    @Test
    void readsBigEndianObjects() throws IOException {
        ElfFile elf = ElfFile.read(TestFiles.testdata().resolve("bigendian.bpf.o"));
        assertEquals(ByteOrder.BIG_ENDIAN, elf.byteOrder());
        assertEquals(ElfFile.ET_REL, elf.type());
        assertEquals(ElfFile.EM_BPF, elf.machine());
        ElfSection xdp = elf.section("xdp").orElseThrow();
        assertTrue(xdp.isExecutable());
        assertEquals(ByteOrder.BIG_ENDIAN, xdp.data().order());
        assertTrue(elf.symbols().stream().anyMatch(s -> s.name().equals("big_endian") && s.type() == ElfSymbol.STT_FUNC));
        assertTrue(elf.relocationsFor(xdp).stream().anyMatch(r -> elf.symbols().get(r.symbol()).name().equals("stats")));
    }

    @Test
    void lookupsAndStrings() throws IOException {
        ElfFile elf = ElfFile.read(TestFiles.testdata().resolve("xdp_counter.bpf.o"));
        ElfSection strtab = elf.section(".strtab").orElseThrow();
        assertEquals("", elf.string(strtab, 0));
        assertTrue(elf.section("no such section").isEmpty());
        ElfSection license = elf.section("license").orElseThrow();
        assertEquals("GPL\0", new String(license.bytes(), java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(license, elf.section(license.index()));
        ElfSection rel = elf.section(".relxdp").orElseThrow();
        assertEquals(elf.section(".symtab").orElseThrow(), elf.symbolTableOf(rel));
        BpfFormatException e = assertThrows(BpfFormatException.class, () -> elf.string(strtab, strtab.size()));
        assertTrue(e.getMessage().contains("(.strtab) at file offset 0x"), e.getMessage());
        assertThrows(BpfFormatException.class, () -> elf.section(999));
        assertThrows(BpfFormatException.class, () -> elf.relocations(strtab));
    }

    @Test
    void crafted() {
        byte[] good = new ElfBuilder(ByteOrder.LITTLE_ENDIAN).build();
        assertError("too short", "f.o: file is 10 bytes, shorter than an ELF64 header (64)", new byte[10]);
        assertError("bad magic", "f.o: not an ELF file (bad magic at offset 0)", new byte[64]);
        assertError("32-bit", "not a 64-bit ELF file (EI_CLASS at offset 4 is 1)", patch(good, b -> b.put(4, (byte) 1)));
        assertError("byte order", "unknown byte order (EI_DATA at offset 5 is 3)", patch(good, b -> b.put(5, (byte) 3)));
        assertError("shoff", "section header table offset 0xffffffff00 (e_shoff at offset 40) is outside the file",
                patch(good, b -> b.putLong(40, 0xffffffff00L)));
        assertError("shentsize", "section header size (e_shentsize at offset 58) is 40, not 64",
                patch(good, b -> b.putShort(58, (short) 40)));
        assertError("shnum", "section headers at offset", patch(good, b -> b.putShort(60, (short) 0xff00)));
        assertError("shstrndx", "section name table index 1 (e_shstrndx) is no string table",
                patch(good, b -> b.putShort(62, (short) 1)));
        int shoff = (int) ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getLong(40);
        // section 1 is .symtab: give it a huge size, a bad entry size, a bad link
        assertError("size", "section 1: contents at offset 0x40 size 0x7fffffffffffffff extend past the end of the file",
                patch(good, b -> b.putLong(shoff + 64 + 32, Long.MAX_VALUE)));
        assertError("name", "section 1: name offset 4096 is outside the section name table",
                patch(good, b -> b.putInt(shoff + 64, 4096)));
        assertErrorOnUse("entsize", "section 1 (.symtab) at file offset 0x40: entry size is 16, expected 24",
                patch(good, b -> b.putLong(shoff + 64 + 56, 16)));
        assertErrorOnUse("link", "section 1 (.symtab) at file offset 0x40: sh_link 1 is not a string table",
                patch(good, b -> b.putInt(shoff + 64 + 40, 1)));
    }

    @Test
    void relocationToMissingSymbolIsReported() {
        ElfBuilder b = new ElfBuilder(ByteOrder.LITTLE_ENDIAN);
        int text = b.code("xdp", Instructions.encode(List.of(new io.bpf4j.isa.Instruction.Exit()), ByteOrder.LITTLE_ENDIAN));
        b.rel(text, new long[] {0, 7, 1});
        ElfFile elf = ElfFile.parse("r.o", b.build());
        BpfFormatException e = assertThrows(BpfFormatException.class,
                () -> elf.relocationsFor(elf.section("xdp").orElseThrow()));
        assertTrue(e.getMessage().matches("r\\.o: section 2 \\(\\.relxdp\\) at file offset 0x[0-9a-f]+: relocation refers to"
                + " symbol 7 but the symbol table has 1"), e.getMessage());
    }

    /** Every prefix of a real object: parsing and using it fails cleanly or works. */
    @Test
    void truncatedObjectsFailCleanly() throws IOException {
        byte[] whole = Files.readAllBytes(TestFiles.testdata().resolve("calls.bpf.o"));
        for (int length = 0; length < whole.length; length += length < 512 ? 1 : 13) {
            exercise(java.util.Arrays.copyOf(whole, length), "prefix of " + length + " bytes");
        }
    }

    /** Random corruptions of every testdata object, bounded by count: BpfFormatException or success only. */
    @Test
    void corruptedObjectsFailCleanly() throws IOException {
        Random random = new Random(7);
        List<byte[]> originals = new ArrayList<>();
        try (Stream<Path> list = Files.list(TestFiles.testdata())) {
            for (Path p : list.filter(p -> p.toString().endsWith(".bpf.o")).sorted().toList()) {
                originals.add(Files.readAllBytes(p));
            }
        }
        for (int iteration = 0; iteration < 3000; iteration++) {
            byte[] bytes = originals.get(iteration % originals.size()).clone();
            ByteBuffer b = ByteBuffer.wrap(bytes).order(bytes[5] == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
            int shoff = (int) b.getLong(40);
            int changes = 1 + random.nextInt(4);
            for (int c = 0; c < changes; c++) {
                // Mostly hit the header and section headers, where the offsets and sizes live.
                int at = switch (random.nextInt(3)) {
                    case 0 -> random.nextInt(64);
                    case 1 -> shoff + random.nextInt(bytes.length - shoff);
                    default -> random.nextInt(bytes.length);
                };
                if (random.nextBoolean()) {
                    bytes[at] = (byte) random.nextInt(256);
                } else if (at + 8 <= bytes.length) {
                    long[] interesting = {0, -1, Long.MAX_VALUE, 0x7fffffff, 0xffffffffL, bytes.length, bytes.length + 1};
                    b.putLong(at - at % 4, interesting[random.nextInt(interesting.length)]);
                }
            }
            exercise(bytes, "corruption " + iteration);
        }
    }

    private static void exercise(byte[] bytes, String what) {
        try {
            ElfFile elf = ElfFile.parse("fuzz.o", bytes);
            for (ElfSection s : elf.sections()) {
                s.bytes();
                if (s.type() == ElfSection.SHT_SYMTAB) {
                    elf.symbols(s);
                }
                if (s.isRelocation()) {
                    elf.relocations(s);
                }
                if (s.isExecutable()) {
                    Instructions.decode(s.bytes(), elf.byteOrder());
                }
            }
            Objdump.disassemble(elf, "fuzz.o", Objdump.Version.LLVM_14);
        } catch (BpfFormatException expected) {
            assertTrue(expected.getMessage().startsWith("fuzz.o: ") || expected.getMessage().startsWith("instruction "),
                    what + ": " + expected.getMessage());
        } catch (RuntimeException | Error e) {
            fail(what + ": " + e, e);
        }
    }

    private interface Patch {
        void apply(ByteBuffer b);
    }

    private static byte[] patch(byte[] original, Patch patch) {
        byte[] copy = original.clone();
        patch.apply(ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN));
        return copy;
    }

    private static void assertError(String what, String message, byte[] bytes) {
        BpfFormatException e = assertThrows(BpfFormatException.class, () -> ElfFile.parse("f.o", bytes), what);
        assertTrue(e.getMessage().contains(message), what + ": " + e.getMessage());
    }

    private static void assertErrorOnUse(String what, String message, byte[] bytes) {
        ElfFile elf = ElfFile.parse("f.o", bytes);
        BpfFormatException e = assertThrows(BpfFormatException.class, elf::symbols, what);
        assertEquals("f.o: " + message, e.getMessage(), what);
    }
}
