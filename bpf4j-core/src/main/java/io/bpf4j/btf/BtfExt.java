package io.bpf4j.btf;

import io.bpf4j.BpfFormatException;
import io.bpf4j.elf.ElfFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code .BTF.ext} section of a BPF object: per code section, the BTF function of
 * each subprogram ({@link FuncInfo}), the source line of instructions ({@link LineInfo})
 * and the CO-RE relocations ({@link CoreRelo}). Names and strings live in the object's
 * {@code .BTF}, so parsing needs that {@link Btf}. Instruction offsets are in bytes, as in the file.
 *
 * <pre>{@code
 * BtfExt ext = BtfExt.parse(btfExtBytes, btf);
 * for (BtfExt.CoreRelo r : ext.coreRelos().getOrDefault("kprobe/do_exit", List.of())) {
 *     System.out.println(r.insnOffset() / 8 + " " + r.kind() + " " + r.accessString());
 * }
 * }</pre>
 */
public record BtfExt(
        Map<String, List<FuncInfo>> funcInfos,
        Map<String, List<LineInfo>> lineInfos,
        Map<String, List<CoreRelo>> coreRelos) {

    public BtfExt {
        funcInfos = copy(funcInfos);
        lineInfos = copy(lineInfos);
        coreRelos = copy(coreRelos);
    }

    private static <T> Map<String, List<T>> copy(Map<String, List<T>> map) {
        Map<String, List<T>> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        return java.util.Collections.unmodifiableMap(copy);
    }

    /** The subprogram starting at {@code insnOffset} (bytes into its section) has BTF type {@code typeId} (a FUNC). */
    public record FuncInfo(int insnOffset, int typeId) {}

    /** The instruction at {@code insnOffset} comes from {@code line}:{@code column} of {@code fileName}, whose text is {@code lineText}. */
    public record LineInfo(int insnOffset, String fileName, String lineText, int line, int column) {
        public LineInfo {
            Objects.requireNonNull(fileName);
            Objects.requireNonNull(lineText);
        }
    }

    /**
     * A CO-RE relocation: the instruction at {@code insnOffset} needs {@code kind} of the
     * type {@code typeId} (or of its member or enumerator that {@code accessString}, like
     * {@code "0:1:2"}, selects) as found in the target kernel's BTF.
     */
    public record CoreRelo(int insnOffset, int typeId, String accessString, CoreReloKind kind) {
        public CoreRelo {
            Objects.requireNonNull(accessString);
            Objects.requireNonNull(kind);
        }
    }

    /** CO-RE relocation kinds ({@code enum bpf_core_relo_kind}), with libbpf's names. */
    public enum CoreReloKind {
        FIELD_BYTE_OFFSET("byte_off"),
        FIELD_BYTE_SIZE("byte_sz"),
        FIELD_EXISTS("field_exists"),
        FIELD_SIGNED("signed"),
        FIELD_LSHIFT_U64("lshift_u64"),
        FIELD_RSHIFT_U64("rshift_u64"),
        TYPE_ID_LOCAL("local_type_id"),
        TYPE_ID_TARGET("target_type_id"),
        TYPE_EXISTS("type_exists"),
        TYPE_SIZE("type_size"),
        ENUMVAL_EXISTS("enumval_exists"),
        ENUMVAL_VALUE("enumval_value"),
        TYPE_MATCHES("type_matches");

        private final String libbpfName;

        CoreReloKind(String libbpfName) {
            this.libbpfName = libbpfName;
        }

        /** The name libbpf prints, e.g. {@code byte_off}. */
        public String libbpfName() {
            return libbpfName;
        }
    }

    private static final int MIN_HEADER = 24;
    private static final int CORE_HEADER = 32;

    /** Parses a {@code .BTF.ext} section whose strings and types are in {@code btf}; faults name the byte offset. */
    public static BtfExt parse(byte[] data, Btf btf) {
        return new Parser(data, btf, ".BTF.ext").parse();
    }

    /**
     * The {@code .BTF.ext} of {@code file} if it is an ELF object that has one ({@code btf}
     * being its {@code .BTF}); empty for a raw BTF blob.
     */
    public static Optional<BtfExt> read(Path file, Btf btf) {
        byte[] data = Btf.readFile(file);
        return Btf.isElf(data) ? fromElf(ElfFile.parse(file.toString(), data), btf) : Optional.empty();
    }

    /** The {@code .BTF.ext} section of an ELF object whose {@code .BTF} is {@code btf}, if it has one. */
    public static Optional<BtfExt> fromElf(ElfFile elf, Btf btf) {
        return elf.section(".BTF.ext").map(s -> new Parser(s.bytes(), btf, elf.name() + " section .BTF.ext").parse());
    }

    private static final class Parser {
        private final ByteBuffer buf;
        private final Btf btf;
        private final StringTable strings;
        private final String source;
        private int dataStart;

        Parser(byte[] data, Btf btf, String source) {
            this.buf = ByteBuffer.wrap(data);
            this.btf = btf;
            this.strings = btf.strings();
            this.source = source;
        }

        private BpfFormatException error(String message) {
            return new BpfFormatException(source + ": " + message);
        }

        BtfExt parse() {
            int len = buf.capacity();
            if (len < 8) {
                throw error("truncated header: " + len + " bytes");
            }
            buf.order(ByteOrder.LITTLE_ENDIAN);
            if ((buf.getShort(0) & 0xffff) != BtfParser.MAGIC) {
                buf.order(ByteOrder.BIG_ENDIAN);
                if ((buf.getShort(0) & 0xffff) != BtfParser.MAGIC) {
                    throw error(String.format("bad magic 0x%04x at offset 0", buf.getShort(0) & 0xffff));
                }
            }
            if (buf.get(2) != 1) {
                throw error("unsupported version " + (buf.get(2) & 0xff) + " at offset 2");
            }
            long hdrLen = Integer.toUnsignedLong(buf.getInt(4));
            if (hdrLen < MIN_HEADER || hdrLen > len) {
                throw error("header length " + hdrLen + " at offset 4 is outside " + MIN_HEADER + ".." + len);
            }
            dataStart = (int) hdrLen;
            Map<String, List<FuncInfo>> funcs = new LinkedHashMap<>();
            Map<String, List<LineInfo>> lines = new LinkedHashMap<>();
            Map<String, List<CoreRelo>> relos = new LinkedHashMap<>();
            section("func_info", 8, 8, (sec, at) -> funcs.computeIfAbsent(sec, k -> new ArrayList<>())
                    .add(new FuncInfo(buf.getInt(at), typeId(buf.getInt(at + 4), at + 4))));
            section("line_info", 16, 16, (sec, at) -> {
                int lineCol = buf.getInt(at + 12);
                lines.computeIfAbsent(sec, k -> new ArrayList<>()).add(new LineInfo(
                        buf.getInt(at), string(buf.getInt(at + 4), at + 4), string(buf.getInt(at + 8), at + 8), lineCol >>> 10, lineCol & 0x3ff));
            });
            if (hdrLen >= CORE_HEADER) {
                section("core_relo", 24, 16, (sec, at) -> {
                    int kind = buf.getInt(at + 12);
                    CoreReloKind[] kinds = CoreReloKind.values();
                    if (kind < 0 || kind >= kinds.length) {
                        throw error("core_relo at offset " + (at + 12) + " has unknown kind " + Integer.toUnsignedString(kind));
                    }
                    relos.computeIfAbsent(sec, k -> new ArrayList<>()).add(new CoreRelo(
                            buf.getInt(at), typeId(buf.getInt(at + 4), at + 4), string(buf.getInt(at + 8), at + 8), kinds[kind]));
                });
            }
            return new BtfExt(funcs, lines, relos);
        }

        private int typeId(int id, int at) {
            if (id <= 0 || id >= btf.typeCount()) {
                throw error("type id " + Integer.toUnsignedString(id) + " at offset " + at + " is not in the BTF (ids 1.." + (btf.typeCount() - 1) + ")");
            }
            return id;
        }

        private String string(int off, int at) {
            if (!strings.contains(off)) {
                throw error("string offset " + Integer.toUnsignedString(off) + " at offset " + at + " is outside the BTF strings");
            }
            return strings.get(off);
        }

        interface Record {
            void read(String section, int at);
        }

        /** Reads one info block: record size, then (section name, count, records) groups. */
        private void section(String what, int headerField, int minRecord, Record record) {
            long off = Integer.toUnsignedLong(buf.getInt(headerField));
            long size = Integer.toUnsignedLong(buf.getInt(headerField + 4));
            if (size == 0) {
                return;
            }
            long start = dataStart + off;
            long end = start + size;
            if (end > buf.capacity()) {
                throw error(what + " (" + size + " bytes at offset " + start + ") runs past the end (" + buf.capacity() + " bytes)");
            }
            if (size < 4) {
                throw error(what + " at offset " + start + " is too short for its record size");
            }
            int recSize = buf.getInt((int) start);
            if (recSize < minRecord || recSize % 4 != 0) {
                throw error(what + " record size " + recSize + " at offset " + start + " is invalid (at least " + minRecord + ", multiple of 4)");
            }
            long at = start + 4;
            while (at < end) {
                if (end - at < 8) {
                    throw error(what + " section header at offset " + at + " is truncated");
                }
                int nameOff = buf.getInt((int) at);
                String section = string(nameOff, (int) at);
                long count = Integer.toUnsignedLong(buf.getInt((int) at + 4));
                if (count == 0) {
                    throw error(what + " for section '" + section + "' at offset " + at + " has no records");
                }
                at += 8;
                if (count * recSize > end - at) {
                    throw error(what + " for section '" + section + "' at offset " + at + ": " + count + " records of " + recSize
                            + " bytes do not fit in the " + (end - at) + " bytes left");
                }
                for (long i = 0; i < count; i++, at += recSize) {
                    record.read(section, (int) at);
                }
            }
        }
    }
}
