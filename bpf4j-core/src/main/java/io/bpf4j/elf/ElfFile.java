package io.bpf4j.elf;

import io.bpf4j.BpfFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A parsed ELF64 file, little or big endian: header, section headers with their contents,
 * symbols, relocations and string tables. The header and section headers are checked when
 * the file is parsed; symbol and relocation tables when first asked for. Every offset and
 * size is checked against the file, so a truncated or hostile file gives a
 * {@link BpfFormatException} naming the section and offset, never an index error.
 *
 * <pre>{@code
 * ElfFile elf = ElfFile.read(Path.of("testdata/maps.bpf.o"));
 * for (ElfSection s : elf.sections()) {
 *     if (s.isExecutable()) {
 *         List<ElfRelocation> relocs = elf.relocationsFor(s);
 *     }
 * }
 * }</pre>
 */
public final class ElfFile {
    /** ELF header field values this reader knows. */
    public static final int ET_REL = 1;
    public static final int ET_EXEC = 2;
    public static final int ET_DYN = 3;
    public static final int EM_BPF = 247;

    private static final int EHDR_SIZE = 64;
    private static final int SHDR_SIZE = 64;
    private static final int SYM_SIZE = 24;
    private static final int REL_SIZE = 16;
    private static final int RELA_SIZE = 24;

    private final String name;
    private final ByteBuffer file;
    private final int type;
    private final int machine;
    private final long entry;
    private final int flags;
    private final List<ElfSection> sections;
    private final ConcurrentHashMap<Integer, List<ElfSymbol>> symbolTables = new ConcurrentHashMap<>();

    private ElfFile(String name, byte[] bytes) {
        this.name = name;
        if (bytes.length < EHDR_SIZE) {
            throw error("file is " + bytes.length + " bytes, shorter than an ELF64 header (64)");
        }
        if (bytes[0] != 0x7f || bytes[1] != 'E' || bytes[2] != 'L' || bytes[3] != 'F') {
            throw error("not an ELF file (bad magic at offset 0)");
        }
        if (bytes[4] != 2) {
            throw error("not a 64-bit ELF file (EI_CLASS at offset 4 is " + bytes[4] + ")");
        }
        ByteOrder order = switch (bytes[5]) {
            case 1 -> ByteOrder.LITTLE_ENDIAN;
            case 2 -> ByteOrder.BIG_ENDIAN;
            default -> throw error("unknown byte order (EI_DATA at offset 5 is " + bytes[5] + ")");
        };
        this.file = ByteBuffer.wrap(bytes).asReadOnlyBuffer().order(order);
        this.type = file.getShort(16) & 0xffff;
        this.machine = file.getShort(18) & 0xffff;
        this.entry = file.getLong(24);
        this.flags = file.getInt(48);
        this.sections = readSections();
    }

    /** Parses an ELF file held in memory; {@code name} only labels error messages. */
    public static ElfFile parse(String name, byte[] bytes) {
        return new ElfFile(name, bytes.clone());
    }

    /** Reads and parses an ELF file. */
    public static ElfFile read(Path path) throws IOException {
        return new ElfFile(path.toString(), Files.readAllBytes(path));
    }

    /** The name given when parsing (the path, for {@link #read}). */
    public String name() {
        return name;
    }

    /** The byte order of the file and of its contents. */
    public ByteOrder byteOrder() {
        return file.order();
    }

    /** {@code e_type}, e.g. {@link #ET_REL} for an object file. */
    public int type() {
        return type;
    }

    /** {@code e_machine}, {@link #EM_BPF} for BPF. */
    public int machine() {
        return machine;
    }

    /** {@code e_entry}. */
    public long entry() {
        return entry;
    }

    /** {@code e_flags}. */
    public int flags() {
        return flags;
    }

    /** All sections in header order; index 0 is the null section. */
    public List<ElfSection> sections() {
        return sections;
    }

    /** The section with header index {@code index}. */
    public ElfSection section(int index) {
        if (index < 0 || index >= sections.size()) {
            throw error("no section " + index + " (there are " + sections.size() + ")");
        }
        return sections.get(index);
    }

    /** The first section named {@code name}. */
    public Optional<ElfSection> section(String name) {
        return sections.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /** The symbols of the first {@link ElfSection#SHT_SYMTAB} section, or none. */
    public List<ElfSymbol> symbols() {
        for (ElfSection s : sections) {
            if (s.type() == ElfSection.SHT_SYMTAB) {
                return symbols(s);
            }
        }
        return List.of();
    }

    /** The symbols of a symbol table section, entry 0 (the null symbol) included. */
    public List<ElfSymbol> symbols(ElfSection symtab) {
        return symbolTables.computeIfAbsent(symtab.index(), i -> readSymbols(symtab));
    }

    /** The entries of a REL or RELA section. */
    public List<ElfRelocation> relocations(ElfSection rel) {
        boolean rela = rel.type() == ElfSection.SHT_RELA;
        if (!rela && rel.type() != ElfSection.SHT_REL) {
            throw error(rel, 0, "is not a relocation section (type " + rel.type() + ")");
        }
        int entrySize = rela ? RELA_SIZE : REL_SIZE;
        ByteBuffer data = tableData(rel, entrySize);
        int symbolCount = symbols(linkedSection(rel, ElfSection.SHT_SYMTAB)).size();
        List<ElfRelocation> out = new ArrayList<>(data.limit() / entrySize);
        for (int pos = 0; pos < data.limit(); pos += entrySize) {
            long info = data.getLong(pos + 8);
            long symbol = info >>> 32;
            if (symbol >= symbolCount) {
                throw error(rel, pos, "relocation refers to symbol " + symbol + " but the symbol table has " + symbolCount);
            }
            out.add(new ElfRelocation(data.getLong(pos), (int) symbol, (int) info, rela ? data.getLong(pos + 16) : 0));
        }
        return Collections.unmodifiableList(out);
    }

    /** All relocations that patch {@code target}, from every REL/RELA section for it, in section order. */
    public List<ElfRelocation> relocationsFor(ElfSection target) {
        List<ElfRelocation> out = new ArrayList<>();
        for (ElfSection s : sections) {
            if (s.isRelocation() && s.info() == target.index()) {
                out.addAll(relocations(s));
            }
        }
        return out;
    }

    /** The symbol table a relocation section uses (its {@code sh_link}). */
    public ElfSection symbolTableOf(ElfSection rel) {
        return linkedSection(rel, ElfSection.SHT_SYMTAB);
    }

    /** The NUL-terminated string at {@code offset} of string table {@code strtab}. */
    public String string(ElfSection strtab, long offset) {
        ByteBuffer data = strtab.data();
        if (offset < 0 || offset >= data.limit()) {
            throw error(strtab, offset, "string offset " + offset + " is outside the string table (" + data.limit() + " bytes)");
        }
        int start = (int) offset;
        int end = start;
        while (end < data.limit() && data.get(end) != 0) {
            end++;
        }
        if (end == data.limit()) {
            throw error(strtab, offset, "string at offset " + offset + " is not NUL-terminated");
        }
        byte[] text = new byte[end - start];
        data.get(start, text);
        return new String(text, StandardCharsets.UTF_8);
    }

    private List<ElfSection> readSections() {
        long shoff = file.getLong(40);
        int shentsize = file.getShort(58) & 0xffff;
        long shnum = file.getShort(60) & 0xffff;
        int shstrndx = file.getShort(62) & 0xffff;
        if (shoff == 0) {
            return List.of();
        }
        if (shoff < 0 || shoff > file.limit() - SHDR_SIZE) {
            throw error("section header table offset 0x" + Long.toHexString(shoff) + " (e_shoff at offset 40) is outside the file");
        }
        if (shentsize != SHDR_SIZE) {
            throw error("section header size (e_shentsize at offset 58) is " + shentsize + ", not 64");
        }
        // Extended numbering: counts that do not fit the header live in section 0.
        if (shnum == 0) {
            shnum = file.getLong((int) shoff + 32);
        }
        if (shstrndx == ElfSymbol.SHN_XINDEX) {
            shstrndx = file.getInt((int) shoff + 40);
        }
        if (shnum < 0 || shnum > (file.limit() - shoff) / SHDR_SIZE) {
            throw error(shnum + " section headers at offset 0x" + Long.toHexString(shoff) + " do not fit in the file ("
                    + file.limit() + " bytes)");
        }
        int count = (int) shnum;
        long[][] headers = new long[count][];
        for (int i = 0; i < count; i++) {
            int at = (int) (shoff + (long) i * SHDR_SIZE);
            headers[i] = new long[] {
                file.getInt(at) & 0xffffffffL, file.getInt(at + 4), file.getLong(at + 8), file.getLong(at + 16),
                file.getLong(at + 24), file.getLong(at + 32), file.getInt(at + 40), file.getInt(at + 44),
                file.getLong(at + 48), file.getLong(at + 56)
            };
        }
        ByteBuffer[] contents = new ByteBuffer[count];
        for (int i = 0; i < count; i++) {
            contents[i] = contents(i, headers[i]);
        }
        if (count > 0 && (shstrndx >= count || (shstrndx != 0 && headers[shstrndx][1] != ElfSection.SHT_STRTAB))) {
            throw error("section name table index " + shstrndx + " (e_shstrndx) is no string table of the "
                    + count + " sections");
        }
        List<ElfSection> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long[] h = headers[i];
            String sectionName = shstrndx == 0 ? "" : nameOf(i, h[0], contents[shstrndx]);
            out.add(new ElfSection(i, sectionName, (int) h[1], h[2], h[3], h[4], h[5], (int) h[6], (int) h[7], h[8], h[9],
                    contents[i]));
        }
        return Collections.unmodifiableList(out);
    }

    private ByteBuffer contents(int index, long[] h) {
        long offset = h[4];
        long size = h[5];
        if (h[1] == ElfSection.SHT_NOBITS || h[1] == ElfSection.SHT_NULL) {
            return ByteBuffer.allocate(0).asReadOnlyBuffer().order(file.order());
        }
        if (offset < 0 || size < 0 || offset > file.limit() || size > file.limit() - offset) {
            throw error("section " + index + ": contents at offset 0x" + Long.toHexString(offset) + " size 0x"
                    + Long.toHexString(size) + " extend past the end of the file (0x" + Integer.toHexString(file.limit()) + ")");
        }
        return file.slice((int) offset, (int) size).order(file.order());
    }

    private String nameOf(int index, long nameOffset, ByteBuffer names) {
        int end = (int) nameOffset;
        if (nameOffset >= names.limit()) {
            throw error("section " + index + ": name offset " + nameOffset + " is outside the section name table ("
                    + names.limit() + " bytes)");
        }
        while (end < names.limit() && names.get(end) != 0) {
            end++;
        }
        if (end == names.limit()) {
            throw error("section " + index + ": name at offset " + nameOffset + " is not NUL-terminated");
        }
        byte[] text = new byte[end - (int) nameOffset];
        names.get((int) nameOffset, text);
        return new String(text, StandardCharsets.UTF_8);
    }

    private List<ElfSymbol> readSymbols(ElfSection symtab) {
        if (symtab.type() != ElfSection.SHT_SYMTAB && symtab.type() != ElfSection.SHT_DYNSYM) {
            throw error(symtab, 0, "is not a symbol table (type " + symtab.type() + ")");
        }
        ByteBuffer data = tableData(symtab, SYM_SIZE);
        ElfSection strtab = linkedSection(symtab, ElfSection.SHT_STRTAB);
        ByteBuffer extended = extendedIndexes(symtab);
        List<ElfSymbol> out = new ArrayList<>(data.limit() / SYM_SIZE);
        for (int pos = 0; pos < data.limit(); pos += SYM_SIZE) {
            int index = pos / SYM_SIZE;
            int info = data.get(pos + 4) & 0xff;
            int shndx = data.getShort(pos + 6) & 0xffff;
            if (shndx == ElfSymbol.SHN_XINDEX) {
                if (extended == null || (long) index * 4 + 4 > extended.limit()) {
                    throw error(symtab, pos, "symbol " + index + " has an extended section index but no SHT_SYMTAB_SHNDX entry");
                }
                shndx = extended.getInt(index * 4);
            }
            String symbolName = string(strtab, data.getInt(pos) & 0xffffffffL);
            out.add(new ElfSymbol(index, symbolName, data.getLong(pos + 8), data.getLong(pos + 16), info & 0xf, info >>> 4,
                    data.get(pos + 5) & 0x3, shndx));
        }
        return Collections.unmodifiableList(out);
    }

    private ByteBuffer extendedIndexes(ElfSection symtab) {
        for (ElfSection s : sections) {
            if (s.type() == ElfSection.SHT_SYMTAB_SHNDX && s.link() == symtab.index()) {
                return s.data();
            }
        }
        return null;
    }

    /** The contents of a table section, checked to hold whole entries of {@code entrySize}. */
    private ByteBuffer tableData(ElfSection table, int entrySize) {
        if (table.entsize() != entrySize) {
            throw error(table, 0, "entry size is " + table.entsize() + ", expected " + entrySize);
        }
        ByteBuffer data = table.data();
        if (data.limit() % entrySize != 0) {
            throw error(table, 0, "size " + data.limit() + " is not a multiple of the entry size " + entrySize);
        }
        return data;
    }

    private ElfSection linkedSection(ElfSection from, int expectedType) {
        int link = from.link();
        if (link <= 0 || link >= sections.size() || sections.get(link).type() != expectedType) {
            throw error(from, 0, "sh_link " + link + " is not a " + (expectedType == ElfSection.SHT_STRTAB ? "string" : "symbol")
                    + " table");
        }
        return sections.get(link);
    }

    private BpfFormatException error(String message) {
        return new BpfFormatException(name + ": " + message);
    }

    private BpfFormatException error(ElfSection section, long offsetInSection, String message) {
        return new BpfFormatException(String.format("%s: section %d (%s) at file offset 0x%x: %s", name, section.index(),
                section.name(), section.offset() + offsetInSection, message));
    }
}
