package io.bpf4j.btf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Raw and C dumps compared byte for byte with bpftool run on the same input. */
class BtfBpftoolTest {
    @TempDir
    Path tmp;

    static String raw(Btf btf) {
        StringBuilder sb = new StringBuilder();
        BtfRawDump.dump(btf, sb);
        return sb.toString();
    }

    static String c(Btf btf) {
        StringBuilder sb = new StringBuilder();
        BtfCDump.dumpHeader(btf, sb);
        return sb.toString();
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private void assertSameAsBpftool(Path file, Btf btf, String... baseArgs) {
        String[] raw = concat(baseArgs, "btf", "dump", "file", file.toString(), "format", "raw");
        String[] c = concat(baseArgs, "btf", "dump", "file", file.toString(), "format", "c");
        assertEquals(text(Oracle.bpftool(raw)), raw(btf), "raw dump of " + file);
        assertEquals(text(Oracle.bpftool(c)), c(btf), "C dump of " + file);
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void vmlinuxDumpsAndRoundTrips() throws IOException {
        Oracle.requireFile(Oracle.VMLINUX);
        byte[] bytes = Files.readAllBytes(Oracle.VMLINUX);
        Btf btf = Btf.parse(bytes);
        assertSameAsBpftool(Oracle.VMLINUX, btf);
        assertArrayEquals(bytes, btf.toBytes());
        assertEquals(btf, Btf.parse(btf.toBytes(ByteOrder.BIG_ENDIAN)));
        assertArrayEquals(bytes, BtfBuilder.from(btf).build().toBytes());
    }

    @Test
    void objectsDumpAndRoundTrip() throws IOException {
        for (Path object : Oracle.objects()) {
            // The section as llvm-objcopy extracts it; Btf.read finds it with bpf4j's ELF reader.
            byte[] bytes = Oracle.btfSection(object, ".BTF", tmp);
            Btf btf = Btf.read(object, null);
            assertEquals(Btf.parse(bytes), btf);
            assertSameAsBpftool(object, btf);
            assertArrayEquals(bytes, btf.toBytes(), object.toString());
            Btf big = Btf.parse(btf.toBytes(ByteOrder.BIG_ENDIAN));
            assertEquals(btf, big);
            assertEquals(ByteOrder.BIG_ENDIAN, big.byteOrder());
            assertArrayEquals(bytes, big.toBytes(btf.byteOrder()), object.toString());
        }
    }

    @Test
    void bigEndianBlobDumpsLikeBpftool() throws IOException {
        Path object = Oracle.objects().getFirst();
        Btf btf = Btf.parse(Oracle.btfSection(object, ".BTF", tmp));
        Path be = tmp.resolve("be.btf");
        Files.write(be, btf.toBytes(ByteOrder.BIG_ENDIAN));
        Btf parsed = Btf.read(be, null);
        assertEquals(text(Oracle.bpftool("btf", "dump", "file", be.toString(), "format", "raw")), raw(parsed));
    }

    @Test
    void splitBtfOnVmlinuxDumpsLikeBpftoolWithBase() throws IOException {
        Oracle.requireFile(Oracle.VMLINUX);
        Btf base = Btf.read(Oracle.VMLINUX, null);
        Btf split = SampleBtf.split(base);
        byte[] bytes = split.toBytes();
        Path file = tmp.resolve("split.btf");
        Files.write(file, bytes);
        Btf parsed = Btf.read(file, base);
        assertEquals(split, parsed);
        assertArrayEquals(bytes, parsed.toBytes());
        assertEquals(base.typeCount(), parsed.firstId());
        assertSameAsBpftool(file, parsed, "-B", Oracle.VMLINUX.toString());
    }

    @Test
    void selectedTypesDumpWithWhatTheyNeed() {
        Btf btf = SampleBtf.everyKind();
        StringBuilder sb = new StringBuilder();
        BtfCDump.dumpTypes(btf, List.of(btf.findId("holder", BtfKind.STRUCT).orElseThrow()), sb);
        String c = sb.toString();
        assertTrue(c.indexOf("struct node {") >= 0 && c.indexOf("struct node {") < c.indexOf("struct holder {"), c);
        assertTrue(c.contains("enum color {") && !c.contains("packed_pair") && !c.contains("#ifndef"), c);
    }

    @Test
    void builderRewritesTypes() {
        Btf btf = SampleBtf.everyKind();
        int dbl = btf.findId("double", BtfKind.FLOAT).orElseThrow();
        // As sanitizing for a kernel without FLOAT would: an 8-byte integer in its place.
        Btf rewritten = BtfBuilder.from(btf).set(dbl, new BtfType.Int("double", 8, 0, 0, 64)).build();
        assertEquals(BtfKind.INT, Btf.parse(rewritten.toBytes()).type(dbl).kind());
        assertEquals(btf.types().size(), rewritten.types().size());
        assertEquals(btf.toBytes().length + 4, rewritten.toBytes().length, "an INT carries 4 more bytes than a FLOAT");
    }

    @Test
    void builtBtfWithEveryKindDumpsLikeBpftool() throws IOException {
        Btf btf = SampleBtf.everyKind();
        Path file = tmp.resolve("every-kind.btf");
        Files.write(file, btf.toBytes());
        assertSameAsBpftool(file, Btf.read(file, null));
        assertEquals(List.copyOf(btf.types()), Btf.read(file, null).types());
    }
}
