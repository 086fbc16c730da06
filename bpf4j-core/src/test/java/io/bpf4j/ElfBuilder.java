package io.bpf4j;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes small ELF64 relocatable files for tests: code and data sections, a symbol table
 * and REL sections. Section 1.. are added in order; .symtab, .strtab and .shstrtab follow.
 */
public final class ElfBuilder {
    private record Section(String name, int type, long flags, byte[] data, int info, long entsize) {}

    private record Symbol(String name, long value, long size, int type, int bind, int section) {}

    private final ByteOrder order;
    private final List<Section> sections = new ArrayList<>();
    private final List<Symbol> symbols = new ArrayList<>();

    public ElfBuilder(ByteOrder order) {
        this.order = order;
    }

    /** Adds a section and returns its index. */
    public int section(String name, int type, long flags, byte[] data) {
        sections.add(new Section(name, type, flags, data, 0, 0));
        return sections.size();
    }

    /** Adds an executable PROGBITS section. */
    public int code(String name, byte[] code) {
        return section(name, 1, 0x6, code);
    }

    /** Adds a symbol (type STT_*, bind STB_*) defined in section {@code section}; returns its index. */
    public int symbol(String name, long value, long size, int type, int bind, int section) {
        symbols.add(new Symbol(name, value, size, type, bind, section));
        return symbols.size();
    }

    /** Adds a REL section patching section {@code target}: each entry is {offset, symbol, type}. */
    public int rel(int target, long[]... entries) {
        ByteBuffer b = ByteBuffer.allocate(16 * entries.length).order(order);
        for (long[] e : entries) {
            b.putLong(e[0]).putLong(e[1] << 32 | e[2]);
        }
        sections.add(new Section(".rel" + sections.get(target - 1).name(), 9, 0x40, b.array(), target, 16));
        return sections.size();
    }

    public byte[] build() {
        int symtabIndex = sections.size() + 1;
        StringTable strtab = new StringTable();
        ByteBuffer symtab = ByteBuffer.allocate(24 * (symbols.size() + 1)).order(order);
        symtab.position(24);
        for (Symbol s : symbols) {
            symtab.putInt(strtab.add(s.name())).put((byte) (s.bind() << 4 | s.type())).put((byte) 0)
                    .putShort((short) s.section()).putLong(s.value()).putLong(s.size());
        }
        List<Section> all = new ArrayList<>(sections);
        all.add(new Section(".symtab", 2, 0, symtab.array(), 1, 24));
        all.add(new Section(".strtab", 3, 0, strtab.bytes(), 0, 0));
        StringTable shstrtab = new StringTable();
        int[] names = new int[all.size() + 1];
        for (int i = 0; i < all.size(); i++) {
            names[i] = shstrtab.add(all.get(i).name());
        }
        names[all.size()] = shstrtab.add(".shstrtab");
        all.add(new Section(".shstrtab", 3, 0, shstrtab.bytes(), 0, 0));

        ByteArrayOutputStream body = new ByteArrayOutputStream();
        long[] offsets = new long[all.size()];
        int pos = 64;
        for (int i = 0; i < all.size(); i++) {
            while (pos % 8 != 0) {
                body.write(0);
                pos++;
            }
            offsets[i] = pos;
            body.writeBytes(all.get(i).data());
            pos += all.get(i).data().length;
        }
        while (pos % 8 != 0) {
            body.write(0);
            pos++;
        }
        long shoff = pos;
        ByteBuffer out = ByteBuffer.allocate(pos + 64 * (all.size() + 1)).order(order);
        out.put(new byte[] {0x7f, 'E', 'L', 'F', 2, (byte) (order == ByteOrder.LITTLE_ENDIAN ? 1 : 2), 1, 0});
        out.position(16);
        out.putShort((short) 1).putShort((short) 247).putInt(1).putLong(0).putLong(0).putLong(shoff).putInt(0)
                .putShort((short) 64).putShort((short) 0).putShort((short) 0).putShort((short) 64)
                .putShort((short) (all.size() + 1)).putShort((short) all.size());
        out.put(body.toByteArray());
        out.position((int) shoff + 64);
        for (int i = 0; i < all.size(); i++) {
            Section s = all.get(i);
            int link = s.type() == 9 ? symtabIndex : s.type() == 2 ? symtabIndex + 1 : 0;
            out.putInt(names[i]).putInt(s.type()).putLong(s.flags()).putLong(0).putLong(offsets[i])
                    .putLong(s.data().length).putInt(link).putInt(s.info()).putLong(8).putLong(s.entsize());
        }
        return out.array();
    }

    private static final class StringTable {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        StringTable() {
            bytes.write(0);
        }

        int add(String s) {
            int at = bytes.size();
            bytes.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            bytes.write(0);
            return at;
        }

        byte[] bytes() {
            return bytes.toByteArray();
        }
    }
}
