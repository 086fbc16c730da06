package io.bpf4j.object;

import io.bpf4j.BpfFormatException;
import io.bpf4j.MapType;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfBuilder;
import io.bpf4j.btf.BtfExt;
import io.bpf4j.btf.BtfType;
import io.bpf4j.elf.ElfFile;
import io.bpf4j.elf.ElfRelocation;
import io.bpf4j.elf.ElfSection;
import io.bpf4j.elf.ElfSymbol;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a BPF ELF object into an {@link ObjectSpec}, following libbpf's {@code bpf_object__open}:
 * which sections count, how functions, maps, global data and externs are found, and how
 * relocations are classified. Errors name the object and the program, section, symbol or map.
 */
final class ObjectParser {
    private static final int CALL = 0x85;
    private static final int LDIMM64 = 0x18;
    private static final int PSEUDO_CALL = 1;
    private static final int PAGE_SIZE = 4096;
    private static final int F_LINK = 1 << 13;

    private final String file;
    private final ElfFile elf;
    private final ByteOrder order;
    private final String objectName;
    private List<ElfSymbol> symbols;
    private int symtabIndex;
    private int textIndex = -1;
    private int btfMapsIndex = -1;
    private int legacyMapsIndex = -1;
    private final List<Integer> structOpsIndexes = new ArrayList<>();
    private final Map<Integer, MapSpec.Kind> dataSections = new HashMap<>();
    private final List<ElfSection> relocationSections = new ArrayList<>();
    private final List<Function> functions = new ArrayList<>();
    private final Map<Function, List<Function.Relocation>> relocations = new HashMap<>();
    private String license = "";
    private int kernelVersion;
    private Btf btf;
    private BtfExt ext;
    private byte[] extBytes;

    /** A map being built: its spec, where its definition is, and its BTF variable. */
    private record MapDef(MapSpec spec, int sectionIndex, long offset, int size, int valuesOffset) {}

    private final List<MapDef> maps = new ArrayList<>();
    private final List<ExternSpec> externs = new ArrayList<>();
    private final List<VariableSpec> variables = new ArrayList<>();

    private ObjectParser(String file, ElfFile elf) {
        this.file = file;
        this.elf = elf;
        this.order = elf.byteOrder();
        String base = file.substring(file.lastIndexOf('/') + 1);
        base = base.length() > 15 ? base.substring(0, 15) : base;
        int dot = base.indexOf('.');
        this.objectName = dot >= 0 ? base.substring(0, dot) : base;
    }

    static ObjectSpec parse(String file, ElfFile elf) {
        return new ObjectParser(file, elf).parse();
    }

    private BpfFormatException error(String message) {
        return new BpfFormatException(file + ": " + message);
    }

    private ObjectSpec parse() {
        if (elf.type() != ElfFile.ET_REL || (elf.machine() != 0 && elf.machine() != ElfFile.EM_BPF)) {
            throw error("not a BPF object file (e_type " + elf.type() + ", e_machine " + elf.machine() + "; expected ET_REL and EM_BPF)");
        }
        findSymbolTable();
        ElfSection btfSection = null;
        ElfSection extSection = null;
        for (ElfSection s : elf.sections()) {
            if (s.index() == 0 || ignored(s)) {
                continue;
            }
            String name = s.name();
            if (name.equals("license")) {
                license = cString(s.bytes());
            } else if (name.equals("version")) {
                if (s.size() != 4) {
                    throw error("section 'version' is " + s.size() + " bytes, not 4");
                }
                kernelVersion = s.data().getInt(0);
            } else if (name.equals("maps")) {
                legacyMapsIndex = s.index();
            } else if (name.equals(".maps")) {
                btfMapsIndex = s.index();
            } else if (name.equals(".BTF") || name.equals(".BTF.ext")) {
                if (s.type() != ElfSection.SHT_PROGBITS) {
                    throw error("section '" + name + "' is of type " + s.type() + ", not PROGBITS");
                }
                if (name.equals(".BTF")) {
                    btfSection = s;
                } else {
                    extSection = s;
                }
            } else if (s.type() == ElfSection.SHT_SYMTAB) {
                continue;
            } else if (s.type() == ElfSection.SHT_PROGBITS && s.size() > 0) {
                if (s.isExecutable()) {
                    if (name.equals(".text")) {
                        textIndex = s.index();
                    }
                    addFunctions(s);
                } else if (name.equals(".data") || name.startsWith(".data.")) {
                    dataSections.put(s.index(), MapSpec.Kind.DATA);
                } else if (name.equals(".rodata") || name.startsWith(".rodata.")) {
                    dataSections.put(s.index(), MapSpec.Kind.RODATA);
                } else if (name.equals(".struct_ops") || name.equals(".struct_ops.link")) {
                    structOpsIndexes.add(s.index());
                }
            } else if (s.type() == ElfSection.SHT_REL) {
                int target = s.info();
                if (target <= 0 || target >= elf.sections().size()) {
                    throw error("relocation section '" + name + "' applies to section " + target + ", which does not exist");
                }
                String targetName = elf.section(target).name();
                if (elf.section(target).isExecutable() || targetName.equals(".maps") || targetName.startsWith(".struct_ops")) {
                    relocationSections.add(s);
                }
            } else if (s.type() == ElfSection.SHT_NOBITS && (name.equals(".bss") || name.startsWith(".bss."))) {
                dataSections.put(s.index(), MapSpec.Kind.BSS);
            }
        }
        functions.sort(Comparator.comparingInt(Function::sectionIndex).thenComparingInt(Function::slotOffset));
        readBtf(btfSection, extSection);
        collectExterns();
        readLegacyMaps();
        readBtfMaps();
        readGlobalData();
        readKconfigMap();
        readStructOps();
        for (ElfSection rel : relocationSections) {
            String target = elf.section(rel.info()).name();
            if (target.equals(".maps")) {
                readMapRelocations(rel);
            } else if (target.startsWith(".struct_ops")) {
                readStructOpsRelocations(rel);
            } else {
                readProgramRelocations(rel);
            }
        }
        List<Function> linked = new ArrayList<>();
        for (Function f : functions) {
            List<Function.Relocation> relos = relocations.getOrDefault(f, List.of());
            linked.add(new Function(f.name(), f.sectionIndex(), f.sectionName(), f.slotOffset(), f.code(), f.subprogram(), relos));
        }
        List<MapSpec> mapSpecs = maps.stream().map(MapDef::spec).toList();
        return ObjectSpec.create(file, objectName, order, license, kernelVersion, btf, ext, linked, mapSpecs, variables, externs);
    }

    private void findSymbolTable() {
        ElfSection symtab = null;
        for (ElfSection s : elf.sections()) {
            if (s.type() == ElfSection.SHT_SYMTAB) {
                if (symtab != null) {
                    throw error("more than one symbol table (sections " + symtab.index() + " and " + s.index() + ")");
                }
                symtab = s;
            }
        }
        if (symtab == null) {
            throw error("no symbol table: stripped object file?");
        }
        symtabIndex = symtab.index();
        symbols = elf.symbols(symtab);
    }

    private static boolean ignored(ElfSection s) {
        String name = s.name();
        if (s.type() == ElfSection.SHT_STRTAB || s.type() == ElfSection.SHT_LLVM_ADDRSIG) {
            return true;
        }
        if (s.type() == ElfSection.SHT_PROGBITS && s.size() == 0 && name.equals(".text")) {
            return true;
        }
        if (name.startsWith(".debug_")) {
            return true;
        }
        if (name.startsWith(".rel")) {
            String rest = name.substring(4);
            return rest.startsWith(".debug_") || rest.equals(".BTF") || rest.equals(".BTF.ext");
        }
        return false;
    }

    private static String cString(byte[] bytes) {
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    private void addFunctions(ElfSection s) {
        String rawName = s.name();
        byte[] code = s.bytes();
        for (ElfSymbol sym : symbols) {
            if (sym.sectionIndex() != s.index() || sym.type() != ElfSymbol.STT_FUNC) {
                continue;
            }
            long off = sym.value();
            long size = sym.size();
            if (size <= 0 || size % 8 != 0 || off % 8 != 0) {
                throw error("section '" + rawName + "': corrupted program '" + sym.name() + "', offset " + off + ", size " + size);
            }
            if (off + size > code.length) {
                throw error("section '" + rawName + "': program '" + sym.name() + "' at offset " + off + " crosses the section end ("
                        + code.length + " bytes)");
            }
            boolean text = rawName.equals(".text");
            if (!text && sym.bind() == ElfSymbol.STB_LOCAL) {
                throw error("section '" + rawName + "': program '" + sym.name() + "' is static, which libbpf does not support");
            }
            functions.add(new Function(sym.name(), s.index(), rawName, (int) (off / 8),
                    Arrays.copyOfRange(code, (int) off, (int) (off + size)), text, List.of()));
        }
    }

    private void readBtf(ElfSection btfSection, ElfSection extSection) {
        if (btfSection == null) {
            if (extSection != null) {
                throw error("section .BTF.ext without .BTF");
            }
            return;
        }
        try {
            btf = Btf.parse(btfSection.bytes());
            if (extSection != null) {
                extBytes = extSection.bytes();
                ext = BtfExt.parse(extBytes, btf);
            }
        } catch (BpfFormatException e) {
            throw error(e.getMessage());
        }
        fixDatasecs();
    }

    /**
     * Gives DATASECs the sizes and variable offsets clang leaves at zero, from the ELF section
     * and symbols, makes hidden variables static and sorts variables by offset
     * ({@code btf_fixup_datasec}); extern sections are left as they are.
     */
    private void fixDatasecs() {
        BtfBuilder b = null;
        for (int id = 1; id < btf.typeCount(); id++) {
            if (!(btf.type(id) instanceof BtfType.Datasec d) || d.name().equals(".kconfig") || d.name().equals(".ksyms")) {
                continue;
            }
            int size = d.size();
            boolean fixOffsets = false;
            if (size == 0) {
                ElfSection s = elf.section(d.name()).orElse(null);
                if (s == null || s.size() == 0) {
                    throw error("DATASEC '" + d.name() + "' [" + id + "] has no size and no ELF section to take it from");
                }
                size = (int) s.size();
                fixOffsets = true;
            }
            List<BtfType.VarSecinfo> vars = new ArrayList<>();
            Map<Integer, BtfType> retyped = new HashMap<>();
            for (BtfType.VarSecinfo vi : d.vars()) {
                if (!(btf.type(vi.type()) instanceof BtfType.Var v)) {
                    throw error("DATASEC '" + d.name() + "' holds non-variable type [" + vi.type() + "]");
                }
                int offset = vi.offset();
                if (v.linkage() != BtfType.Linkage.STATIC && v.linkage() != BtfType.Linkage.EXTERN) {
                    ElfSymbol sym = symbols.stream().filter(s -> s.type() == ElfSymbol.STT_OBJECT
                            && (s.bind() == ElfSymbol.STB_GLOBAL || s.bind() == ElfSymbol.STB_WEAK) && s.name().equals(v.name()))
                            .findFirst().orElseThrow(() -> error("DATASEC '" + d.name() + "': no ELF symbol for variable '" + v.name() + "'"));
                    if (fixOffsets) {
                        offset = (int) sym.value();
                    }
                    if (sym.visibility() == ElfSymbol.STV_HIDDEN || sym.visibility() == ElfSymbol.STV_INTERNAL) {
                        retyped.put(vi.type(), new BtfType.Var(v.name(), v.type(), BtfType.Linkage.STATIC));
                    }
                }
                vars.add(new BtfType.VarSecinfo(vi.type(), offset, vi.size()));
            }
            vars.sort(Comparator.comparingInt(BtfType.VarSecinfo::offset));
            BtfType.Datasec fixed = new BtfType.Datasec(d.name(), size, vars);
            if (!fixed.equals(d) || !retyped.isEmpty()) {
                if (b == null) {
                    b = BtfBuilder.from(btf);
                }
                b.set(id, fixed);
                for (Map.Entry<Integer, BtfType> e : retyped.entrySet()) {
                    b.set(e.getKey(), e.getValue());
                }
            }
        }
        if (b != null) {
            Btf fixed = b.build();
            ext = ext == null ? null : BtfExt.parse(extBytes, fixed);
            btf = fixed;
        }
    }

    private Btf requireBtf(String what) {
        if (btf == null) {
            throw error(what + " needs BTF, but the object has no .BTF section");
        }
        return btf;
    }

    private int findDatasec(String name) {
        for (int id : btf.idsByName(name)) {
            if (btf.type(id) instanceof BtfType.Datasec) {
                return id;
            }
        }
        return 0;
    }

    // ---- externs ----

    private void collectExterns() {
        List<ExternSpec> kconfig = new ArrayList<>();
        for (ElfSymbol sym : symbols) {
            boolean global = sym.bind() == ElfSymbol.STB_GLOBAL || sym.bind() == ElfSymbol.STB_WEAK;
            if (sym.sectionIndex() != ElfSymbol.SHN_UNDEF || !global || sym.type() != ElfSymbol.STT_NOTYPE || sym.name().isEmpty()) {
                continue;
            }
            Btf b = requireBtf("extern '" + sym.name() + "'");
            int id = findExternBtf(sym.name());
            String sectionName = null;
            for (BtfType t : b.types()) {
                if (t instanceof BtfType.Datasec d && d.vars().stream().anyMatch(v -> v.type() == id)) {
                    sectionName = d.name();
                    break;
                }
            }
            if (sectionName == null) {
                throw error("extern '" + sym.name() + "' [" + id + "] is in no BTF DATASEC");
            }
            boolean weak = sym.bind() == ElfSymbol.STB_WEAK;
            BtfType t = b.type(id);
            switch (sectionName) {
                case ".kconfig" -> {
                    if (t instanceof BtfType.Func) {
                        throw error("extern function '" + sym.name() + "' is not supported in .kconfig");
                    }
                    int type = ((BtfType.Var) t).type();
                    long size = b.sizeOf(type);
                    if (size <= 0 || !kconfigTypeSupported(b, type)) {
                        throw error("extern (kcfg) '" + sym.name() + "': type is unsupported");
                    }
                    kconfig.add(new ExternSpec(sym.name(), ExternSpec.Kind.KCONFIG, weak, id, b.alignOf(type), (int) size));
                }
                case ".ksyms" -> externs.add(new ExternSpec(sym.name(),
                        t instanceof BtfType.Func ? ExternSpec.Kind.KSYM_FUNCTION : ExternSpec.Kind.KSYM_VARIABLE, weak, id, 0, 0));
                default -> throw error("extern '" + sym.name() + "' is in unrecognized section '" + sectionName + "'");
            }
        }
        // libbpf's layout of .kconfig: by alignment (largest first), then size, then name.
        kconfig.sort(Comparator.comparingInt((ExternSpec e) -> -e.offset()).thenComparingInt(ExternSpec::size)
                .thenComparing(ExternSpec::name));
        int off = 0;
        List<ExternSpec> placed = new ArrayList<>();
        for (ExternSpec e : kconfig) {
            int align = e.offset();
            off = (off + align - 1) / align * align;
            placed.add(new ExternSpec(e.name(), e.kind(), e.weak(), e.typeId(), off, e.size()));
            off += e.size();
        }
        externs.sort(Comparator.comparing(ExternSpec::name));
        externs.addAll(0, placed);
    }

    private int findExternBtf(String name) {
        for (int id = 1; id < btf.typeCount(); id++) {
            BtfType t = btf.type(id);
            if (!t.name().equals(name)) {
                continue;
            }
            if (t instanceof BtfType.Var v) {
                if (v.linkage() != BtfType.Linkage.EXTERN) {
                    throw error("extern '" + name + "': BTF variable [" + id + "] is not extern");
                }
                return id;
            }
            if (t instanceof BtfType.Func f) {
                if (f.linkage() != BtfType.Linkage.EXTERN) {
                    throw error("extern '" + name + "': BTF function [" + id + "] is not extern");
                }
                return id;
            }
        }
        throw error("failed to find BTF for extern '" + name + "'");
    }

    /** libbpf's kcfg types: bool, char, integers of 1 to 8 power-of-two bytes, libbpf_tristate, char arrays. */
    private static boolean kconfigTypeSupported(Btf b, int type) {
        BtfType t = b.type(b.resolve(type));
        return switch (t) {
            case BtfType.Int i -> (i.encoding() & BtfType.Int.BOOL) != 0 ? i.size() == 1 : Integer.bitCount(i.size()) == 1 && i.size() <= 8;
            case BtfType.Enumeration e -> e.name().equals("libbpf_tristate") && (e instanceof BtfType.Enum64 || e.size() == 4);
            case BtfType.Array a -> a.length() != 0 && b.type(b.resolve(a.type())) instanceof BtfType.Int c && c.size() == 1
                    && (c.encoding() & BtfType.Int.BOOL) == 0;
            default -> false;
        };
    }

    // ---- maps ----

    private MapSpec.Kind globalKind(int sectionIndex) {
        return dataSections.get(sectionIndex);
    }

    private MapType mapType(String map, long id) {
        return MapType.ofId((int) id).filter(t -> t != MapType.UNSPEC)
                .orElseThrow(() -> error("map '" + map + "': unknown map type " + id));
    }

    private void readLegacyMaps() {
        if (legacyMapsIndex < 0) {
            return;
        }
        ElfSection s = elf.section(legacyMapsIndex);
        List<ElfSymbol> defs = symbols.stream()
                .filter(sym -> sym.sectionIndex() == legacyMapsIndex && sym.type() != ElfSymbol.STT_SECTION).toList();
        if (s.size() == 0 || defs.isEmpty() || s.size() % defs.size() != 0) {
            throw error("section 'maps': cannot tell the size of the " + defs.size() + " legacy map definitions in " + s.size() + " bytes");
        }
        int defSize = (int) (s.size() / defs.size());
        ByteBuffer data = s.data();
        for (ElfSymbol sym : defs) {
            if (sym.bind() == ElfSymbol.STB_LOCAL) {
                throw error("map '" + sym.name() + "' (legacy): static maps are not supported");
            }
            if (sym.value() < 0 || sym.value() + defSize > s.size()) {
                throw error("map '" + sym.name() + "' (legacy): definition at offset " + sym.value() + " runs past section 'maps'");
            }
            int at = (int) sym.value();
            int[] f = new int[5];
            for (int i = 0; i < 5 && i * 4 + 4 <= defSize; i++) {
                f[i] = data.getInt(at + i * 4);
            }
            for (int i = 20; i < defSize; i++) {
                if (data.get(at + i) != 0) {
                    throw error("map '" + sym.name() + "' (legacy): unrecognized non-zero option at byte " + i + " of its definition");
                }
            }
            MapSpec spec = new MapSpec(sym.name(), MapSpec.Kind.LEGACY, "maps", mapType(sym.name(), Integer.toUnsignedLong(f[0])), f[1],
                    f[2], f[3], f[4], 0, MapSpec.PIN_NONE, 0, 0, 0, null, List.of(), new byte[0]);
            maps.add(new MapDef(spec, legacyMapsIndex, sym.value(), defSize, -1));
        }
    }

    /** Parsed attributes of one BTF map definition struct. */
    private static final class BtfMapDef {
        long type;
        long keySize;
        long valueSize;
        long maxEntries;
        long flags;
        long numaNode;
        long pinning;
        long mapExtra;
        int keyTypeId;
        int valueTypeId;
        BtfMapDef inner;
        int valuesOffset = -1;
    }

    private void readBtfMaps() {
        if (btfMapsIndex < 0) {
            return;
        }
        Btf b = requireBtf("section .maps");
        int secId = findDatasec(".maps");
        if (secId == 0) {
            throw error("DATASEC '.maps' not found in BTF");
        }
        ElfSection s = elf.section(btfMapsIndex);
        for (BtfType.VarSecinfo vi : ((BtfType.Datasec) b.type(secId)).vars()) {
            BtfType var = b.type(vi.type());
            String name = var.name();
            if (name.isEmpty()) {
                throw error("map in .maps at offset " + vi.offset() + " has an empty name");
            }
            if (Integer.toUnsignedLong(vi.offset()) + Integer.toUnsignedLong(vi.size()) > s.size()) {
                throw error("map '" + name + "': definition at offset " + vi.offset() + " runs past section .maps");
            }
            if (!(var instanceof BtfType.Var v)) {
                throw error("map '" + name + "': unexpected var kind " + var.kind());
            }
            if (v.linkage() != BtfType.Linkage.GLOBAL) {
                throw error("map '" + name + "': unsupported map linkage " + v.linkage().bpftoolName());
            }
            if (!(b.type(b.resolve(v.type())) instanceof BtfType.Struct def)) {
                throw error("map '" + name + "': definition is not a struct");
            }
            if (Integer.toUnsignedLong(def.size()) > Integer.toUnsignedLong(vi.size())) {
                throw error("map '" + name + "': invalid definition size");
            }
            BtfMapDef d = new BtfMapDef();
            parseMapDef(name, def, d, false);
            MapSpec inner = d.inner == null ? null : toSpec(name + ".inner", d.inner, null);
            maps.add(new MapDef(toSpec(name, d, inner), btfMapsIndex, vi.offset(), vi.size(), d.valuesOffset));
        }
    }

    private MapSpec toSpec(String name, BtfMapDef d, MapSpec inner) {
        MapType type = mapType(name, d.type);
        long max = d.maxEntries;
        if ((type == MapType.RINGBUF || type == MapType.USER_RINGBUF) && max != 0 && !(max % PAGE_SIZE == 0
                && Long.bitCount(max / PAGE_SIZE) == 1)) {
            // libbpf rounds ring buffer sizes up to a power-of-two multiple of the page size.
            long mul = 1;
            while (mul * PAGE_SIZE <= max && mul * PAGE_SIZE <= 0xffff_ffffL) {
                mul <<= 1;
            }
            max = mul * PAGE_SIZE <= 0xffff_ffffL ? mul * PAGE_SIZE : max;
        }
        return new MapSpec(name, MapSpec.Kind.BTF, ".maps", type, (int) d.keySize, (int) d.valueSize, (int) max, (int) d.flags,
                (int) d.numaNode, (int) d.pinning, d.mapExtra, d.keyTypeId, d.valueTypeId, inner, List.of(), new byte[0]);
    }

    /** libbpf's {@code parse_btf_map_def}, strict: unknown fields are errors. */
    private void parseMapDef(String map, BtfType.Composite def, BtfMapDef d, boolean inner) {
        List<BtfType.Member> members = def.members();
        for (int i = 0; i < members.size(); i++) {
            BtfType.Member m = members.get(i);
            String field = m.name();
            switch (field) {
                case "type" -> d.type = intField(map, m);
                case "max_entries" -> d.maxEntries = intField(map, m);
                case "map_flags" -> d.flags = intField(map, m);
                case "numa_node" -> d.numaNode = intField(map, m);
                case "map_extra" -> d.mapExtra = intField(map, m);
                case "key_size" -> d.keySize = size(map, "key", d.keySize, intField(map, m));
                case "value_size" -> d.valueSize = size(map, "value", d.valueSize, intField(map, m));
                case "key", "value" -> {
                    if (!(btf.type(m.type()) instanceof BtfType.Ptr p)) {
                        throw error("map '" + map + "': " + field + " spec is not a pointer but " + btf.type(m.type()).kind());
                    }
                    long sz;
                    try {
                        sz = btf.sizeOf(p.type());
                    } catch (IllegalArgumentException e) {
                        throw error("map '" + map + "': can't determine " + field + " size for type [" + p.type() + "]");
                    }
                    if (field.equals("key")) {
                        d.keySize = size(map, "key", d.keySize, sz);
                        d.keyTypeId = p.type();
                    } else {
                        d.valueSize = size(map, "value", d.valueSize, sz);
                        d.valueTypeId = p.type();
                    }
                }
                case "values" -> parseValues(map, def, i, d, inner);
                case "pinning" -> {
                    if (inner) {
                        throw error("map '" + map + "': inner map definitions can't be pinned");
                    }
                    d.pinning = intField(map, m);
                    if (d.pinning != MapSpec.PIN_NONE && d.pinning != MapSpec.PIN_BY_NAME) {
                        throw error("map '" + map + "': invalid pinning value " + d.pinning);
                    }
                }
                default -> throw error("map '" + map + "': unknown field '" + field + "'");
            }
        }
        if (d.type == 0) {
            throw error("map '" + map + "': map type isn't specified");
        }
    }

    private void parseValues(String map, BtfType.Composite def, int i, BtfMapDef d, boolean inner) {
        boolean mapInMap = d.type == MapType.ARRAY_OF_MAPS.id() || d.type == MapType.HASH_OF_MAPS.id();
        boolean progArray = d.type == MapType.PROG_ARRAY.id();
        if (inner) {
            throw error("map '" + map + "': multi-level inner maps are not supported");
        }
        if (i != def.members().size() - 1) {
            throw error("map '" + map + "': 'values' must be the last member");
        }
        if (!mapInMap && !progArray) {
            throw error("map '" + map + "': 'values' needs a map-in-map or a program array");
        }
        d.valueSize = size(map, "value", d.valueSize, 4);
        BtfType.Member m = def.members().get(i);
        if (!(btf.type(m.type()) instanceof BtfType.Array a) || a.length() != 0) {
            throw error("map '" + map + "': 'values' is not a zero-sized array");
        }
        if (!(btf.type(btf.resolve(a.type())) instanceof BtfType.Ptr p)) {
            throw error("map '" + map + "': 'values' elements are not pointers");
        }
        BtfType target = typeOrVoid(btf, btf.resolve(p.type()));
        d.valuesOffset = m.bitOffset() / 8;
        if (progArray) {
            if (!(target instanceof BtfType.FuncProto)) {
                throw error("map '" + map + "': program array values do not point to functions");
            }
            return;
        }
        if (!(target instanceof BtfType.Struct innerDef)) {
            throw error("map '" + map + "': inner map definition is not a struct");
        }
        d.inner = new BtfMapDef();
        parseMapDef(map + ".inner", innerDef, d.inner, true);
    }

    private long size(String map, String what, long old, long now) {
        if (old != 0 && old != now) {
            throw error("map '" + map + "': conflicting " + what + " size " + old + " != " + now);
        }
        return now;
    }

    /** A map attribute written as {@code int (*name)[N]}: N. */
    private long intField(String map, BtfType.Member m) {
        BtfType t = typeOrVoid(btf, btf.resolve(m.type()));
        if (!(t instanceof BtfType.Ptr p)) {
            throw error("map '" + map + "': attribute '" + m.name() + "' is not a pointer to an array");
        }
        if (!(typeOrVoid(btf, p.type()) instanceof BtfType.Array a)) {
            throw error("map '" + map + "': attribute '" + m.name() + "' does not point to an array");
        }
        return Integer.toUnsignedLong(a.length());
    }

    /** libbpf's kernel-visible name of a global data map: a prefix of the object name and the section name. */
    private String internalMapName(String section) {
        int suffix = Math.min(Math.max(7, section.length()), 15);
        int prefix = section.indexOf('.', 1) >= 0 ? 0 : Math.min(15 - suffix, objectName.length());
        String name = objectName.substring(0, prefix) + section.substring(0, Math.min(suffix, section.length()));
        StringBuilder sb = new StringBuilder(name.length());
        for (char c : name.toCharArray()) {
            sb.append(Character.isLetterOrDigit(c) && c < 128 || c == '_' || c == '.' ? c : '_');
        }
        return sb.toString();
    }

    private void readGlobalData() {
        for (ElfSection s : elf.sections()) {
            MapSpec.Kind kind = globalKind(s.index());
            if (kind == null || s.size() == 0) {
                continue;
            }
            String mapName = internalMapName(s.name());
            int valueType = btf == null ? 0 : btf.idsByName(s.name()).length > 0 ? btf.idsByName(s.name())[0] : 0;
            int flags = kind == MapSpec.Kind.RODATA ? MapSpec.F_RDONLY_PROG : 0;
            byte[] data = kind == MapSpec.Kind.BSS ? new byte[(int) s.size()] : s.bytes();
            if (valueType != 0 && btf.type(valueType) instanceof BtfType.Datasec d) {
                for (BtfType.VarSecinfo vi : d.vars()) {
                    if (btf.type(vi.type()) instanceof BtfType.Var v) {
                        if (v.linkage() != BtfType.Linkage.STATIC) {
                            flags |= MapSpec.F_MMAPABLE;
                        }
                        long end = Integer.toUnsignedLong(vi.offset()) + Integer.toUnsignedLong(vi.size());
                        if (end > data.length) {
                            throw error("variable '" + v.name() + "' at offset " + vi.offset() + " runs past section '" + s.name() + "'");
                        }
                        variables.add(new VariableSpec(v.name(), mapName, vi.offset(), vi.size(), v.type(),
                                v.linkage() != BtfType.Linkage.STATIC, Arrays.copyOfRange(data, vi.offset(), (int) end)));
                    }
                }
            }
            MapSpec spec = new MapSpec(mapName, kind, s.name(), MapType.ARRAY, 4, (int) s.size(), 1, flags, 0, MapSpec.PIN_NONE, 0, 0,
                    valueType, null, List.of(), data);
            maps.add(new MapDef(spec, s.index(), 0, (int) s.size(), -1));
        }
    }

    private void readKconfigMap() {
        ExternSpec last = null;
        for (ExternSpec e : externs) {
            if (e.kind() == ExternSpec.Kind.KCONFIG) {
                last = e;
            }
        }
        if (last == null) {
            return;
        }
        int size = last.offset() + last.size();
        MapSpec spec = new MapSpec(internalMapName(".kconfig"), MapSpec.Kind.KCONFIG, ".kconfig", MapType.ARRAY, 4, size, 1,
                MapSpec.F_RDONLY_PROG | MapSpec.F_MMAPABLE, 0, MapSpec.PIN_NONE, 0, 0, findDatasec(".kconfig"), null, List.of(),
                new byte[size]);
        maps.add(new MapDef(spec, symtabIndex, 0, size, -1));
    }

    private void readStructOps() {
        for (int index : structOpsIndexes) {
            ElfSection s = elf.section(index);
            Btf b = requireBtf("section " + s.name());
            int secId = findDatasec(s.name());
            if (secId == 0) {
                throw error("DATASEC '" + s.name() + "' not found in BTF");
            }
            for (BtfType.VarSecinfo vi : ((BtfType.Datasec) b.type(secId)).vars()) {
                String name = b.type(vi.type()).name();
                int typeId = b.resolve(((BtfType.Ref) b.type(vi.type())).type());
                if (!(b.type(typeId) instanceof BtfType.Struct st) || st.name().isEmpty()) {
                    throw error("struct_ops '" + name + "' in " + s.name() + " is not of a named struct type");
                }
                long end = Integer.toUnsignedLong(vi.offset()) + Integer.toUnsignedLong(st.size());
                if (end > s.size()) {
                    throw error("struct_ops '" + name + "' runs past the end of " + s.name());
                }
                byte[] data = Arrays.copyOfRange(s.bytes(), vi.offset(), (int) end);
                int flags = s.name().equals(".struct_ops.link") ? F_LINK : 0;
                MapSpec spec = new MapSpec(name, MapSpec.Kind.STRUCT_OPS, s.name(), MapType.STRUCT_OPS, 4, st.size(), 1, flags, 0,
                        MapSpec.PIN_NONE, 0, 0, typeId, null, List.of(), data);
                maps.add(new MapDef(spec, index, vi.offset(), st.size(), -1));
            }
        }
    }

    // ---- relocations ----

    private String symbolName(ElfSymbol sym) {
        if (sym.type() == ElfSymbol.STT_SECTION && sym.name().isEmpty() && sym.sectionIndex() < elf.sections().size()) {
            return elf.section(sym.sectionIndex()).name();
        }
        return sym.name();
    }

    private Function functionAt(int sectionIndex, int sectionSlot) {
        for (Function f : functions) {
            if (f.contains(sectionIndex, sectionSlot)) {
                return f;
            }
        }
        return null;
    }

    private void readProgramRelocations(ElfSection rel) {
        ElfSection target = elf.section(rel.info());
        List<ElfRelocation> entries = elf.relocations(rel);
        for (int i = 0; i < entries.size(); i++) {
            ElfRelocation r = entries.get(i);
            ElfSymbol sym = symbols.get(r.symbol());
            String where = "section '" + rel.name() + "' relocation #" + i;
            if (sym.sectionIndex() >= elf.sections().size() && sym.sectionIndex() != ElfSymbol.SHN_UNDEF) {
                throw error(where + ": symbol '" + sym.name() + "' is in special section 0x" + Integer.toHexString(sym.sectionIndex())
                        + "; forgot to initialize a global variable?");
            }
            if (r.offset() % 8 != 0 || r.offset() < 0 || r.offset() >= target.size()) {
                throw error(where + ": invalid offset 0x" + Long.toHexString(r.offset()) + " in section '" + target.name() + "'");
            }
            int sectionSlot = (int) (r.offset() / 8);
            Function f = functionAt(target.index(), sectionSlot);
            if (f == null) {
                continue; // an overridden weak function's code, as libbpf skips it
            }
            Function.Relocation relo = classify(f, sectionSlot - f.slotOffset(), symbolName(sym), sym, r.symbol());
            relocations.computeIfAbsent(f, k -> new ArrayList<>()).add(relo);
        }
    }

    /** libbpf's {@code bpf_program__record_reloc}. */
    private Function.Relocation classify(Function f, int slot, String symName, ElfSymbol sym, int symIndex) {
        ByteBuffer code = ByteBuffer.wrap(f.code()).order(order);
        int opcode = code.get(slot * 8) & 0xff;
        String where = "program '" + f.name() + "' insn #" + slot;
        if (opcode != CALL && opcode != LDIMM64) {
            throw error(where + ": relocation against '" + symName + "' on an instruction with opcode 0x" + Integer.toHexString(opcode)
                    + " (only calls and lddw are relocated)");
        }
        boolean extern = sym.sectionIndex() == ElfSymbol.SHN_UNDEF && sym.type() == ElfSymbol.STT_NOTYPE
                && (sym.bind() == ElfSymbol.STB_GLOBAL || sym.bind() == ElfSymbol.STB_WEAK);
        if (extern) {
            ExternSpec e = externs.stream().filter(x -> x.name().equals(sym.name())).findFirst()
                    .orElseThrow(() -> error(where + ": no extern '" + symName + "' (symbol " + symIndex + ")"));
            if (e.kind() == ExternSpec.Kind.KCONFIG) {
                return new Function.KconfigLoad(slot, internalMapName(".kconfig"), e.offset());
            }
            return new Function.KsymUse(slot, e.name(), opcode == CALL, e.weak());
        }
        int regs = code.get(slot * 8 + 1) & 0xff;
        int src = order == ByteOrder.LITTLE_ENDIAN ? regs >>> 4 : regs & 0xf;
        if (opcode == CALL) {
            if (src != PSEUDO_CALL) {
                throw error(where + ": relocation against '" + symName + "' on a call that is not a BPF-to-BPF call");
            }
            if (sym.sectionIndex() == 0 || !elf.section(sym.sectionIndex()).isExecutable()) {
                throw error(where + ": call relocation against '" + symName + "', which is not in an executable section");
            }
            if (sym.value() % 8 != 0) {
                throw error(where + ": call relocation against '" + symName + "' at unaligned offset " + sym.value());
            }
            return new Function.Call(slot, sym.sectionIndex(), sym.value());
        }
        if (sym.sectionIndex() == ElfSymbol.SHN_UNDEF) {
            throw error(where + ": relocation against undefined symbol '" + symName + "' (symbol " + symIndex + ")");
        }
        boolean subprogram = elf.section(sym.sectionIndex()).isExecutable()
                && ((sym.bind() == ElfSymbol.STB_LOCAL && sym.type() == ElfSymbol.STT_SECTION)
                        || (sym.bind() == ElfSymbol.STB_GLOBAL && sym.type() == ElfSymbol.STT_FUNC));
        if (subprogram) {
            int imm = code.getInt(slot * 8 + 4);
            if (sym.value() % 8 != 0 || imm % 8 != 0) {
                throw error(where + ": function address relocation against '" + symName + "' at unaligned offset " + sym.value() + "+"
                        + imm);
            }
            return new Function.FunctionAddress(slot, sym.sectionIndex(), sym.value());
        }
        String sectionName = elf.section(sym.sectionIndex()).name();
        if (sym.sectionIndex() == btfMapsIndex || sym.sectionIndex() == legacyMapsIndex) {
            for (MapDef m : maps) {
                if (m.sectionIndex() == sym.sectionIndex() && m.offset() == sym.value()) {
                    return new Function.MapLoad(slot, m.spec().name());
                }
            }
            throw error(where + ": no map at offset " + sym.value() + " of section '" + sectionName + "' for symbol '" + symName + "'");
        }
        if (globalKind(sym.sectionIndex()) != null) {
            for (MapDef m : maps) {
                if (m.sectionIndex() == sym.sectionIndex() && m.spec().kind().isGlobalData()) {
                    return new Function.DataLoad(slot, m.spec().name(), sym.value());
                }
            }
            throw error(where + ": no map for data section '" + sectionName + "' of symbol '" + symName + "'");
        }
        throw error(where + ": relocation against '" + symName + "' in section '" + sectionName + "', which holds no map or data");
    }

    private MapDef mapCovering(int sectionIndex, long offset, int width) {
        for (MapDef m : maps) {
            if (m.sectionIndex() == sectionIndex && m.offset() <= offset && offset + width <= m.offset() + m.size()) {
                return m;
            }
        }
        return null;
    }

    private void setSlot(MapDef m, int slot, String value) {
        List<String> slots = new ArrayList<>(m.spec().initialSlots());
        while (slots.size() <= slot) {
            slots.add(null);
        }
        slots.set(slot, value);
        MapSpec s = m.spec();
        MapSpec updated = new MapSpec(s.name(), s.kind(), s.sectionName(), s.type(), s.keySize(), s.valueSize(), s.maxEntries(), s.flags(),
                s.numaNode(), s.pinning(), s.mapExtra(), s.keyTypeId(), s.valueTypeId(), s.innerMap(), slots, s.data());
        maps.set(maps.indexOf(m), new MapDef(updated, m.sectionIndex(), m.offset(), m.size(), m.valuesOffset()));
    }

    /** {@code values} initialisers of map-in-map and program array definitions. */
    private void readMapRelocations(ElfSection rel) {
        List<ElfRelocation> entries = elf.relocations(rel);
        for (int i = 0; i < entries.size(); i++) {
            ElfRelocation r = entries.get(i);
            ElfSymbol sym = symbols.get(r.symbol());
            String where = ".maps relocation #" + i + " (" + sym.name() + ")";
            MapDef m = mapCovering(btfMapsIndex, r.offset(), 8);
            if (m == null) {
                throw error(where + ": no map at offset " + r.offset());
            }
            MapType type = m.spec().type();
            String value;
            if (type == MapType.ARRAY_OF_MAPS || type == MapType.HASH_OF_MAPS) {
                if (sym.sectionIndex() != btfMapsIndex) {
                    throw error(where + ": '" + sym.name() + "' isn't a BTF-defined map");
                }
                if (type == MapType.HASH_OF_MAPS && m.spec().keySize() != 4) {
                    throw error(where + ": hash of maps '" + m.spec().name() + "' must have a 4-byte key");
                }
                if (maps.stream().noneMatch(x -> x.spec().name().equals(sym.name()))) {
                    throw error(where + ": '" + sym.name() + "' isn't a valid map reference");
                }
                value = sym.name();
            } else if (type == MapType.PROG_ARRAY) {
                Function f = functions.stream().filter(x -> !x.subprogram() && x.name().equals(sym.name())).findFirst()
                        .orElseThrow(() -> error(where + ": '" + sym.name() + "' isn't a valid program reference"));
                if (f.sectionIndex() != sym.sectionIndex() || f.slotOffset() * 8L != sym.value()) {
                    throw error(where + ": '" + sym.name() + "' isn't an entry-point program");
                }
                value = f.name();
            } else {
                throw error(where + ": map '" + m.spec().name() + "' of type " + type.bpftoolName() + " cannot have initial values");
            }
            long off = r.offset() - m.offset() - m.valuesOffset();
            if (m.valuesOffset() < 0 || off < 0 || off % 8 != 0) {
                throw error(where + ": offset " + r.offset() + " is not in the 'values' of map '" + m.spec().name() + "'");
            }
            setSlot(m, (int) (off / 8), value);
        }
    }

    /** Function pointers in {@code struct_ops} variables: slot = member index. */
    private void readStructOpsRelocations(ElfSection rel) {
        int section = rel.info();
        List<ElfRelocation> entries = elf.relocations(rel);
        for (int i = 0; i < entries.size(); i++) {
            ElfRelocation r = entries.get(i);
            ElfSymbol sym = symbols.get(r.symbol());
            String where = elf.section(section).name() + " relocation #" + i + " (" + sym.name() + ")";
            MapDef m = mapCovering(section, r.offset(), 8);
            if (m == null) {
                throw error(where + ": no struct_ops variable at offset " + r.offset());
            }
            BtfType.Struct st = (BtfType.Struct) btf.type(m.spec().valueTypeId());
            long bits = (r.offset() - m.offset()) * 8;
            int member = -1;
            for (int k = 0; k < st.members().size(); k++) {
                if (Integer.toUnsignedLong(st.members().get(k).bitOffset()) == bits) {
                    member = k;
                }
            }
            if (member < 0) {
                throw error(where + ": offset " + r.offset() + " is no member of struct " + st.name());
            }
            Function f = functionAt(sym.sectionIndex(), (int) (sym.value() / 8));
            if (f == null || f.subprogram() || !f.sectionName().replaceFirst("^\\?", "").startsWith("struct_ops")) {
                throw error(where + ": '" + sym.name() + "' is not a struct_ops program");
            }
            setSlot(m, member, f.name());
        }
    }

    private static BtfType typeOrVoid(Btf b, int id) {
        return id == 0 ? null : b.type(id);
    }
}
