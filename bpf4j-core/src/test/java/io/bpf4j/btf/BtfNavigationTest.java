package io.bpf4j.btf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lookups, sizes, alignments and member offsets, checked by clang compiling static assertions. */
class BtfNavigationTest {
    @TempDir
    Path tmp;

    @Test
    void lookupsOnTheSample() {
        Btf btf = SampleBtf.everyKind();
        int node = btf.findId("node", BtfKind.STRUCT).orElseThrow();
        assertEquals(Optional.empty(), btf.findId("node", BtfKind.UNION));
        assertEquals(96, btf.sizeOf(node));
        assertEquals(8, btf.alignOf(node));
        // "c" lives in the anonymous union at bit 32.
        assertEquals(32, btf.member(node, "c").orElseThrow().bitOffset());
        assertEquals(131, btf.member(node, "b").orElseThrow().bitOffset());
        assertEquals(5, btf.member(node, "b").orElseThrow().member().bitfieldSize());
        int holder = btf.findId("holder", BtfKind.STRUCT).orElseThrow();
        assertEquals(32, btf.member(holder, "n.c").orElseThrow().bitOffset());
        assertEquals(Optional.empty(), btf.member(holder, "n.nope"));
        int packed = btf.findId("packed_pair", BtfKind.STRUCT).orElseThrow();
        assertEquals(1, btf.alignOf(packed));
        assertEquals(9, btf.sizeOf(packed));
        int u64t = btf.findId("__u64", BtfKind.TYPEDEF).orElseThrow();
        assertEquals(btf.findId("long long unsigned int", BtfKind.INT).orElseThrow(), btf.resolve(u64t));
        int grid = btf.member(node, "grid").orElseThrow().member().type();
        assertEquals(48, btf.sizeOf(grid));
        assertEquals(8, btf.pointerSize());
    }

    private static void members(Btf btf, int root, int id, String prefix, int depth, StringBuilder asserts, String type) {
        if (!(btf.type(btf.resolve(id)) instanceof BtfType.Composite c)) {
            return;
        }
        for (BtfType.Member m : c.members()) {
            if (m.name().isEmpty()) {
                members(btf, root, m.type(), prefix, depth, asserts, type);
                continue;
            }
            String path = prefix + m.name();
            if (m.bitfieldSize() == 0) {
                asserts.append("_Static_assert(__builtin_offsetof(").append(type).append(", ").append(path).append(") * 8 == ")
                        .append(btf.member(root, path).orElseThrow().bitOffset()).append(", \"").append(path).append("\");\n");
            }
            if (depth < 2) {
                members(btf, root, m.type(), path + ".", depth + 1, asserts, type);
            }
        }
    }

    @Test
    void vmlinuxOffsetsSizesAndAlignmentsAgreeWithClang() throws IOException {
        Oracle.requireFile(Oracle.VMLINUX);
        String clang = Tools.require("clang", "clang-19");
        Btf btf = Btf.read(Oracle.VMLINUX, null);
        StringBuilder c = new StringBuilder();
        BtfCDump.dumpHeader(btf, c, true);
        int checked = 0;
        for (String name : List.of("task_struct", "sk_buff", "inode", "sock", "file", "xdp_buff", "bpf_prog", "page", "mm_struct", "net_device")) {
            int id = btf.findId(name, BtfKind.STRUCT).orElseThrow();
            String type = "struct " + name;
            c.append("_Static_assert(sizeof(").append(type).append(") == ").append(btf.sizeOf(id)).append(", \"size\");\n");
            c.append("_Static_assert(_Alignof(").append(type).append(") == ").append(btf.alignOf(id)).append(", \"align\");\n");
            members(btf, id, id, "", 0, c, type);
            checked++;
        }
        Path src = tmp.resolve("nav.c");
        Files.writeString(src, c);
        Tools.output(List.of(clang, "-target", "bpf", "-fsyntax-only", "-w", src.toString()));
        assertTrue(checked > 0 && c.toString().contains("__builtin_offsetof(struct sk_buff, len)"));
    }
}
