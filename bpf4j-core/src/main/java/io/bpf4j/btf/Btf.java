package io.bpf4j.btf;

import io.bpf4j.BpfFormatException;
import io.bpf4j.elf.ElfFile;
import io.bpf4j.elf.ElfSection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable, checked set of BTF types addressed by type id; id 0 is {@code void}.
 * Split BTF (a kernel module's) continues the ids and strings of its {@link #base()}.
 *
 * <pre>{@code
 * Btf vmlinux = Btf.read(Path.of("/sys/kernel/btf/vmlinux"));
 * int task = vmlinux.findId("task_struct", BtfKind.STRUCT).orElseThrow();
 * long pidBits = vmlinux.member(task, "pid").orElseThrow().bitOffset();
 * }</pre>
 */
public final class Btf {
    private static final int[] NO_IDS = {};

    private final Btf base;
    private final BtfType[] types;
    private final int firstId;
    private final StringTable strings;
    private final ByteOrder order;
    private volatile Map<String, int[]> byName;
    private int pointerSize;
    private byte[] alignCache;

    Btf(Btf base, BtfType[] types, StringTable strings, ByteOrder order) {
        this.base = base;
        this.types = types;
        this.firstId = base == null ? 1 : base.typeCount();
        this.strings = strings;
        this.order = order;
    }

    /** Parses a raw BTF blob (such as {@code /sys/kernel/btf/vmlinux}) in either byte order. */
    public static Btf parse(byte[] data) {
        return BtfParser.parse(data, null, "BTF");
    }

    /** Parses split BTF whose type ids and string offsets continue those of {@code base}. */
    public static Btf parse(byte[] data, Btf base) {
        return BtfParser.parse(data, base, "BTF");
    }

    /**
     * Reads the BTF in {@code file}, a raw BTF blob or an ELF object with a {@code .BTF}
     * section, on top of {@code base} if that is not null. Errors name the file.
     */
    public static Btf read(Path file, Btf base) {
        byte[] data = readFile(file);
        if (isElf(data)) {
            return fromElf(ElfFile.parse(file.toString(), data), base);
        }
        return BtfParser.parse(data, base, file.toString());
    }

    /** Larger than any BTF or BPF object (vmlinux's BTF is about 6 MiB). */
    private static final long MAX_FILE_SIZE = 1L << 30;

    /** The bytes of a regular file of sane size (not, say, /dev/zero). */
    static byte[] readFile(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                throw new IOException(Files.exists(file) ? "not a regular file" : "no such file");
            }
            if (Files.size(file) > MAX_FILE_SIZE) {
                throw new BpfFormatException(file + ": " + Files.size(file) + " bytes is too large for BTF or a BPF object");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code data} starts with the ELF magic. */
    static boolean isElf(byte[] data) {
        return data.length >= 4 && data[0] == 0x7f && data[1] == 'E' && data[2] == 'L' && data[3] == 'F';
    }

    /** The {@code .BTF} section of an ELF object, on top of {@code base} if that is not null. */
    public static Btf fromElf(ElfFile elf, Btf base) {
        ElfSection section = elf.section(".BTF")
                .orElseThrow(() -> new BpfFormatException(elf.name() + ": no .BTF section (compile with clang -g)"));
        return BtfParser.parse(section.bytes(), base, elf.name() + " section .BTF");
    }

    /** The base this split BTF extends, or null. */
    public Btf base() {
        return base;
    }

    /** The first type id this BTF defines: 1, or the base's {@link #typeCount()} for split BTF. */
    public int firstId() {
        return firstId;
    }

    /** One more than the last type id (void included), like libbpf's {@code btf__type_cnt}. */
    public int typeCount() {
        return firstId + types.length;
    }

    /** The types this BTF defines itself (not its base's), in id order from {@link #firstId()}. */
    public List<BtfType> types() {
        return Collections.unmodifiableList(Arrays.asList(types));
    }

    /** The byte order the BTF was read in (and is written in by default). */
    public ByteOrder byteOrder() {
        return order;
    }

    /** The type with this id (base types included); id 0 (void) has no type. */
    public BtfType type(int id) {
        if (id >= firstId && id < firstId + types.length) {
            return types[id - firstId];
        }
        if (base != null && id > 0 && id < firstId) {
            return base.type(id);
        }
        throw new IllegalArgumentException("no BTF type with id " + id + (id == 0 ? " (void)" : "; ids go up to " + (typeCount() - 1)));
    }

    StringTable strings() {
        return strings;
    }

    /**
     * The string at {@code offset} of the string section (of the base below its start), as
     * line info and func info refer to source text; empty when no string starts there.
     */
    public Optional<String> string(int offset) {
        return offset >= 0 && strings.contains(offset) ? Optional.of(strings.get(offset)) : Optional.empty();
    }

    /** Ids of all types with this name, base types first, in id order. */
    public int[] idsByName(String name) {
        Map<String, int[]> index = byName;
        if (index == null) {
            index = byName = nameIndex();
        }
        int[] own = index.getOrDefault(name, NO_IDS);
        if (base == null) {
            return own.clone();
        }
        int[] inBase = base.idsByName(name);
        int[] all = Arrays.copyOf(inBase, inBase.length + own.length);
        System.arraycopy(own, 0, all, inBase.length, own.length);
        return all;
    }

    private Map<String, int[]> nameIndex() {
        Map<String, int[]> index = new HashMap<>(types.length * 2);
        for (int i = 0; i < types.length; i++) {
            String name = types[i].name();
            if (!name.isEmpty()) {
                int[] ids = index.get(name);
                if (ids == null) {
                    ids = new int[] {firstId + i};
                } else {
                    ids = Arrays.copyOf(ids, ids.length + 1);
                    ids[ids.length - 1] = firstId + i;
                }
                index.put(name, ids);
            }
        }
        return index;
    }

    /** The first type with this name and kind, base types first. */
    public Optional<Integer> findId(String name, BtfKind kind) {
        for (int id : idsByName(name)) {
            if (type(id).kind() == kind) {
                return Optional.of(id);
            }
        }
        return Optional.empty();
    }

    /** Follows volatile, const, restrict and type tags from {@code id}; returns the first other id (maybe 0). */
    public int skipModifiers(int id) {
        while (id != 0 && type(id) instanceof BtfType.Modifier m) {
            id = m.type();
        }
        return id;
    }

    /** Follows modifiers and typedefs from {@code id}; returns the id of the underlying type (maybe 0). */
    public int resolve(int id) {
        while (id != 0 && (type(id) instanceof BtfType.Modifier || type(id) instanceof BtfType.Typedef)) {
            id = ((BtfType.Ref) type(id)).type();
        }
        return id;
    }

    /**
     * Size in bytes of a value of type {@code id}, through typedefs, modifiers, vars and
     * arrays. Void, functions, prototypes and forward declarations have none.
     */
    public long sizeOf(int id) {
        long size = sizeOrNegative(id);
        if (size < 0) {
            throw new IllegalArgumentException("BTF type [" + id + "] " + (id == 0 ? "void" : type(id).kind()) + " has no size");
        }
        return size;
    }

    /** Size as {@link #sizeOf}, or -1 for a type without one (or larger than 4 GiB). */
    long sizeOrNegative(int id) {
        long elements = 1;
        while (id != 0) {
            BtfType t = type(id);
            // A switch on the kind: this runs for every member of every struct while parsing.
            switch (t.kind()) {
                case INT, STRUCT, UNION, ENUM, ENUM64, DATASEC, FLOAT -> {
                    return withinU32(elements * Integer.toUnsignedLong(ownSize(t)));
                }
                case PTR -> {
                    return withinU32(elements * pointerSize());
                }
                case ARRAY -> {
                    BtfType.Array a = (BtfType.Array) t;
                    elements *= Integer.toUnsignedLong(a.length());
                    if (elements > 0xffff_ffffL) {
                        return -1;
                    }
                    id = a.type();
                }
                case TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG, VAR, DECL_TAG -> id = ((BtfType.Ref) t).type();
                case FUNC, FUNC_PROTO, FWD -> {
                    return -1;
                }
            }
        }
        return -1;
    }

    /** The size field of a type that has one. */
    private static int ownSize(BtfType t) {
        return switch (t) {
            case BtfType.Int i -> i.size();
            case BtfType.Composite c -> c.size();
            case BtfType.Enumeration e -> e.size();
            case BtfType.Datasec d -> d.size();
            case BtfType.Float f -> f.size();
            default -> throw new IllegalStateException(t.kind() + " has no size field");
        };
    }

    private static long withinU32(long size) {
        return size > 0xffff_ffffL ? -1 : size;
    }

    /**
     * Alignment in bytes of type {@code id} as a C compiler lays it out: a struct whose
     * members or size show it was packed has alignment 1.
     */
    public int alignOf(int id) {
        int align = alignOrZero(id);
        if (align == 0) {
            throw new IllegalArgumentException("BTF type [" + id + "] " + (id == 0 ? "void" : type(id).kind()) + " has no alignment");
        }
        return align;
    }

    /** Alignment as {@link #alignOf}, or 0 for a type without one (void, functions, forward declarations, ...). */
    int alignOrZero(int id) {
        if (id == 0) {
            return 0;
        }
        if (id < firstId) {
            return base.alignOrZero(id);
        }
        // Memoized: a C dump asks for the alignment of every member of every struct, recursively.
        byte[] cache = alignCache;
        if (cache == null) {
            cache = alignCache = new byte[types.length];
        }
        int cached = cache[id - firstId];
        if (cached != 0) {
            return cached - 1;
        }
        int align = computeAlign(id);
        cache[id - firstId] = (byte) (align + 1);
        return align;
    }

    private int computeAlign(int id) {
        return switch (type(id)) {
            case BtfType.Int i -> Math.min(pointerSize(), i.size());
            case BtfType.Enumeration e -> Math.min(pointerSize(), e.size());
            case BtfType.Float f -> Math.min(pointerSize(), f.size());
            case BtfType.Ptr p -> pointerSize();
            case BtfType.Array a -> alignOrZero(a.type());
            case BtfType.Typedef t -> alignOrZero(t.type());
            case BtfType.Modifier m -> alignOrZero(m.type());
            case BtfType.Composite c -> compositeAlign(c);
            default -> 0;
        };
    }

    private int compositeAlign(BtfType.Composite c) {
        int max = 1;
        for (BtfType.Member m : c.members()) {
            int align = alignOrZero(m.type());
            if (align == 0) {
                return 0;
            }
            max = Math.max(max, align);
            if (m.bitfieldSize() == 0 && Integer.toUnsignedLong(m.bitOffset()) % (8L * align) != 0) {
                return 1;
            }
        }
        return Integer.toUnsignedLong(c.size()) % max != 0 ? 1 : max;
    }

    /**
     * Pointer size in bytes: the size of {@code long} if the BTF defines it, else the
     * base's, else 8.
     */
    public int pointerSize() {
        int size = pointerSize;
        if (size == 0) {
            size = pointerSize = base != null ? base.pointerSize() : findLongSize();
        }
        return size;
    }

    private static final List<String> LONG_NAMES = List.of(
            "long", "long int", "int long", "unsigned long", "long unsigned", "unsigned long int",
            "unsigned int long", "long unsigned int", "long int unsigned", "int unsigned long", "int long unsigned");

    private int findLongSize() {
        for (BtfType t : types) {
            if (t instanceof BtfType.Int i && (i.size() == 4 || i.size() == 8) && LONG_NAMES.contains(i.name())) {
                return i.size();
            }
        }
        return 8;
    }

    /** A member found by name, and its offset in bits from the start of the outermost struct or union. */
    public record Field(BtfType.Member member, long bitOffset) {}

    /**
     * Finds member {@code path} (names separated by dots, e.g. {@code "sk.__sk_common.skc_family"})
     * in struct or union {@code id}, looking through typedefs, modifiers and anonymous
     * struct and union members as C does.
     */
    public Optional<Field> member(int id, String path) {
        long offset = 0;
        BtfType.Member found = null;
        for (String name : path.split("\\.", -1)) {
            if (!(type(resolve(found == null ? id : found.type())) instanceof BtfType.Composite c)) {
                return Optional.empty();
            }
            List<BtfType.Member> chain = new ArrayList<>();
            if (!findMember(c, name, chain)) {
                return Optional.empty();
            }
            for (BtfType.Member m : chain) {
                offset += Integer.toUnsignedLong(m.bitOffset());
            }
            found = chain.getLast();
        }
        return Optional.of(new Field(found, offset));
    }

    private boolean findMember(BtfType.Composite c, String name, List<BtfType.Member> chain) {
        for (BtfType.Member m : c.members()) {
            chain.add(m);
            if (m.name().equals(name)) {
                return true;
            }
            if (m.name().isEmpty() && type(resolve(m.type())) instanceof BtfType.Composite inner && findMember(inner, name, chain)) {
                return true;
            }
            chain.removeLast();
        }
        return false;
    }

    /** Encodes this BTF (its own types, not the base's) in its byte order. */
    public byte[] toBytes() {
        return BtfWriter.write(this, order);
    }

    /** Encodes this BTF (its own types, not the base's) in the given byte order. */
    public byte[] toBytes(ByteOrder byteOrder) {
        return BtfWriter.write(this, byteOrder);
    }

    /** Fails with {@link BpfFormatException} unless these types form valid BTF. */
    static Btf checked(Btf btf) {
        new BtfValidator(btf, (id, message) -> new BpfFormatException("type [" + id + "]: " + message)).validate();
        return btf;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Btf b && firstId == b.firstId && Arrays.equals(types, b.types);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(types);
    }

    @Override
    public String toString() {
        return "Btf[types " + firstId + ".." + (typeCount() - 1) + (base != null ? ", split" : "") + "]";
    }
}
