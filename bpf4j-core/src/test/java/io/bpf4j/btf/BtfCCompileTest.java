package io.bpf4j.btf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The C dump compiled by clang for {@code -target bpf -g}: every named struct and union
 * must come out of the compiler with the size and member offsets it had in the input BTF.
 */
class BtfCCompileTest {
    @TempDir
    Path tmp;

    /**
     * Compiles the C dump of {@code btf} and an empty array of each of {@code checked} (which
     * makes clang emit the full definition, at no size); returns the compiler's BTF.
     */
    private Btf compileHeader(Btf btf, List<BtfType.Composite> checked, String name, boolean enumModes) throws IOException {
        String clang = Tools.require("clang", "clang-19");
        StringBuilder c = new StringBuilder();
        BtfCDump.dumpHeader(btf, c, enumModes);
        int n = 0;
        for (BtfType.Composite t : checked) {
            c.append(t instanceof BtfType.Struct ? "struct " : "union ").append(t.name()).append(" __use").append(n++).append("[0];\n");
        }
        Path src = tmp.resolve(name + ".c");
        Files.writeString(src, c);
        Path obj = tmp.resolve(name + ".o");
        Tools.output(List.of(clang, "-target", "bpf", "-g", "-O0", "-c", "-w", src.toString(), "-o", obj.toString()));
        return Btf.parse(Oracle.btfSection(obj, ".BTF", tmp));
    }

    private static boolean uniqueComposite(Btf btf, BtfType.Composite t) {
        if (t.name().isEmpty()) {
            return false;
        }
        int count = 0;
        for (int id : btf.idsByName(t.name())) {
            // Struct, union, enum (and int) names share the dumper's namespace for ___N suffixes.
            if (btf.type(id) instanceof BtfType.Composite || btf.type(id) instanceof BtfType.Enumeration || btf.type(id) instanceof BtfType.Int) {
                count++;
            }
        }
        return count == 1;
    }

    private static Map<String, BtfType.Composite> composites(Btf btf) {
        Map<String, BtfType.Composite> byName = new HashMap<>();
        for (int id = 1; id < btf.typeCount(); id++) {
            if (btf.type(id) instanceof BtfType.Composite t && !t.name().isEmpty()) {
                byName.put(t.kind() + " " + t.name(), t);
            }
        }
        return byName;
    }

    /** Size, and member names, offsets and bitfield sizes, through anonymous members. */
    private static void layout(Btf btf, BtfType.Composite t, String prefix, List<String> out) {
        out.add(prefix + " size=" + t.size());
        for (BtfType.Member m : t.members()) {
            out.add(prefix + "." + m.name() + " @" + m.bitOffset() + (m.bitfieldSize() != 0 ? ":" + m.bitfieldSize() : ""));
            if (m.name().isEmpty() && btf.type(btf.resolve(m.type())) instanceof BtfType.Composite inner) {
                layout(btf, inner, prefix + ".<anon@" + m.bitOffset() + ">", out);
            }
        }
    }

    /** Whether a layout holds a va_list: GCC's x86 one (24 bytes) is not clang's BPF one, so it cannot survive. */
    private static boolean holdsVaList(Btf btf, int id) {
        while (id != 0) {
            switch (btf.type(id)) {
                case BtfType.Typedef t when t.name().equals("__builtin_va_list") -> {
                    return true;
                }
                case BtfType.Typedef t -> id = t.type();
                case BtfType.Modifier m -> id = m.type();
                case BtfType.Array a -> id = a.type();
                case BtfType.Composite c -> {
                    return c.members().stream().anyMatch(m -> holdsVaList(btf, m.type()));
                }
                default -> {
                    return false;
                }
            }
        }
        return false;
    }

    /**
     * Compiles the dump and compares the layout of the named structs and unions {@code stride}
     * selects (every one for 1) with the compiler's.
     */
    private void assertLayoutsPreserved(Btf input, String name, int stride, boolean enumModes) throws IOException {
        List<BtfType.Composite> checked = new ArrayList<>();
        int seen = 0;
        for (int id = 1; id < input.typeCount(); id++) {
            if (input.type(id) instanceof BtfType.Composite t && uniqueComposite(input, t) && !holdsVaList(input, id) && seen++ % stride == 0) {
                checked.add(t);
            }
        }
        Btf compiledBtf = compileHeader(input, checked, name, enumModes);
        Map<String, BtfType.Composite> compiled = composites(compiledBtf);
        List<String> mismatches = new ArrayList<>();
        for (BtfType.Composite t : checked) {
            BtfType.Composite out = compiled.get(t.kind() + " " + t.name());
            if (out == null) {
                mismatches.add(t.kind() + " " + t.name() + " missing from the compiled BTF");
                continue;
            }
            List<String> want = new ArrayList<>();
            List<String> got = new ArrayList<>();
            layout(input, t, t.name(), want);
            layout(compiledBtf, out, t.name(), got);
            if (!want.equals(got)) {
                mismatches.add(t.kind() + " " + t.name() + ": " + want + " became " + got);
            }
        }
        assertEquals(List.of(), mismatches.subList(0, Math.min(3, mismatches.size())), mismatches.size() + " of " + checked.size() + " layouts differ");
        assertTrue(checked.size() > 0);
    }

    @Test
    void sampleLayoutsSurviveCompilation() throws IOException {
        assertLayoutsPreserved(SampleBtf.everyKind(), "sample", 1, false);
    }

    @Test
    void objectLayoutsSurviveCompilation() throws IOException {
        for (Path object : Oracle.objects()) {
            assertLayoutsPreserved(Btf.read(object, null), object.getFileName().toString(), 1, false);
        }
    }

    /** bpftool 7.1's header leaves 1-byte enums 4 bytes wide; with enum modes every sampled layout must survive. */
    @Test
    void vmlinuxLayoutsSurviveCompilationWithEnumModes() throws IOException {
        Oracle.requireFile(Oracle.VMLINUX);
        assertLayoutsPreserved(Btf.read(Oracle.VMLINUX, null), "vmlinux", 12, true);
    }

    @Test
    void vmlinuxHeaderAsBpftoolWritesItCompiles() throws IOException {
        Oracle.requireFile(Oracle.VMLINUX);
        Btf btf = Btf.read(Oracle.VMLINUX, null);
        compileHeader(btf, List.of((BtfType.Composite) btf.type(btf.findId("task_struct", BtfKind.STRUCT).orElseThrow())), "vmlinux-7.1", false);
    }
}
