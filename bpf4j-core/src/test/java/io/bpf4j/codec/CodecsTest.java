package io.bpf4j.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.BpfFormatException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CodecsTest {
    record Flow(int saddr, int daddr, short sport, short dport, byte proto) {}

    record Mixed(byte a, long b, short c) {}

    record Inner(short x, int y) {}

    record Outer(byte tag, Inner inner, @CArray(3) short[] shorts, @CArray(5) String name, long total) {}

    record Task(int pid, @CArray(16) String comm, @CArray(2) long[] times, boolean on) {}

    /** Each record and the same struct in C. */
    private static final List<Object[]> CASES = List.of(
            new Object[] {Flow.class, "struct Flow { int saddr; int daddr; short sport; short dport; char proto; };"},
            new Object[] {Mixed.class, "struct Mixed { char a; long long b; short c; };"},
            new Object[] {Outer.class, "struct Inner { short x; int y; };\n"
                    + "struct Outer { char tag; struct Inner inner; short shorts[3]; char name[5]; long long total; };"},
            new Object[] {Task.class, "struct Task { int pid; char comm[16]; long long times[2]; _Bool on; };"});

    @Test
    void naturalLayoutIsTheCompilersLayout(@TempDir Path tmp) throws Exception {
        Path gcc = Path.of("/usr/bin/gcc");
        assumeTrue(Files.isExecutable(gcc), "gcc is not installed");
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n");
        StringBuilder main = new StringBuilder("int main(void) {\n");
        for (Object[] cs : CASES) {
            Class<?> type = (Class<?>) cs[0];
            c.append(cs[1]).append('\n');
            String s = "struct " + type.getSimpleName();
            main.append("printf(\"").append(type.getSimpleName()).append(" %zu");
            StringBuilder args = new StringBuilder(", sizeof(" + s + ")");
            for (var rc : type.getRecordComponents()) {
                main.append(" %zu");
                args.append(", offsetof(").append(s).append(", ").append(rc.getName()).append(")");
            }
            main.append("\\n\"").append(args).append(");\n");
        }
        c.append(main).append("return 0;\n}\n");
        Path src = tmp.resolve("layout.c");
        Files.writeString(src, c);
        Path exe = tmp.resolve("layout");
        Process cc = new ProcessBuilder(gcc.toString(), "-o", exe.toString(), src.toString()).redirectErrorStream(true).start();
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, cc.waitFor(), ccOut);
        Process run = new ProcessBuilder(exe.toString()).start();
        List<String> lines = List.of(new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n"));
        assertEquals(0, run.waitFor());
        for (int i = 0; i < CASES.size(); i++) {
            @SuppressWarnings("unchecked")
            Class<? extends Record> type = (Class<? extends Record>) CASES.get(i)[0];
            RecordCodec<?> codec = RecordCodec.natural(type);
            StringBuilder ours = new StringBuilder(type.getSimpleName() + " " + codec.size());
            for (int offset : offsetsOf(codec)) {
                ours.append(' ').append(offset);
            }
            assertEquals(lines.get(i), ours.toString());
        }
    }

    private static int[] offsetsOf(RecordCodec<?> codec) throws ReflectiveOperationException {
        var f = RecordCodec.class.getDeclaredField("offsets");
        f.setAccessible(true);
        return (int[]) f.get(codec);
    }

    @Test
    void roundTrips() {
        Codec<Outer> c = Codecs.record(Outer.class);
        Outer o = new Outer((byte) 7, new Inner((short) -2, 99), new short[] {1, 2, 3}, "abcd", 1L << 40);
        Outer back = c.fromBytes(c.toBytes(o));
        assertEquals(o.tag(), back.tag());
        assertEquals(o.inner(), back.inner());
        assertArrayEquals(o.shorts(), back.shorts());
        assertEquals("abcd", back.name());
        assertEquals(o.total(), back.total());

        Codec<Task> t = Codecs.record(Task.class);
        byte[] raw = t.toBytes(new Task(42, "java", new long[] {5, 6}, true));
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
        assertEquals(42, b.getInt(0));
        assertEquals('j', raw[4]);
        assertEquals(0, raw[8]); // NUL-padded
        assertEquals(5, b.getLong(24));
        assertEquals(1, raw[40]);
    }

    @Test
    void primitivesUseNativeOrder() {
        byte[] b = Codecs.int32().toBytes(0x01020304);
        assertEquals(0x01020304, ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).getInt());
        assertEquals(-5L, Codecs.int64().fromBytes(Codecs.int64().toBytes(-5L)));
        assertEquals(2.5, Codecs.float64().fromBytes(Codecs.float64().toBytes(2.5)));
        assertEquals((short) 7, Codecs.int16().fromBytes(Codecs.int16().toBytes((short) 7)));
        assertEquals("hi", Codecs.cString(4).fromBytes(new byte[] {'h', 'i', 0, 'x'}));
        assertThrows(IllegalArgumentException.class, () -> Codecs.cString(4).toBytes("four"));
        assertThrows(IllegalArgumentException.class, () -> Codecs.bytes(3).toBytes(new byte[2]));
    }

    @Test
    void matchedRecordTakesOffsetsFromTheStruct() {
        // struct flow { __u32 daddr; __u32 pad; __u32 saddr; } with members in another order than the record
        CStruct s = new CStruct("flow_key", 12, List.of(CStruct.Member.of("daddr", 0, 4),
                CStruct.Member.of("saddr", 8, 4), CStruct.Member.of("gap", 4, 4)));
        record Key(int saddr, int gap, int daddr) {}
        Codec<Key> c = Codecs.record(Key.class, s);
        assertEquals(12, c.size());
        byte[] raw = c.toBytes(new Key(1, 2, 3));
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
        assertEquals(3, b.getInt(0));
        assertEquals(2, b.getInt(4));
        assertEquals(1, b.getInt(8));
        assertEquals(new Key(1, 2, 3), c.decode(MemorySegment.ofArray(raw), 0));
    }

    @Test
    void mismatchesAreClearErrors() {
        CStruct s = new CStruct("val", 16, List.of(CStruct.Member.of("count", 0, 8), CStruct.Member.of("flags", 8, 4)));
        record WrongSize(int count, int flags) {}
        var e1 = assertThrows(BpfFormatException.class, () -> Codecs.record(WrongSize.class, s));
        assertTrue(e1.getMessage().contains("component 'count' (int, 4 bytes) does not match struct val member 'count' "
                + "(8 bytes at offset 0)"), e1.getMessage());
        record WrongName(long count, int flag) {}
        var e2 = assertThrows(BpfFormatException.class, () -> Codecs.record(WrongName.class, s));
        assertTrue(e2.getMessage().contains("'flag' has no member of that name in struct val (members: count, flags)"),
                e2.getMessage());
        record Missing(long count) {}
        var e3 = assertThrows(BpfFormatException.class, () -> Codecs.record(Missing.class, s));
        assertTrue(e3.getMessage().contains("lacks struct val member(s) flags"), e3.getMessage());
        CStruct bits = new CStruct("b", 4, List.of(new CStruct.Member("x", 0, 4, null, true)));
        record Bits(int x) {}
        assertThrows(BpfFormatException.class, () -> Codecs.record(Bits.class, bits));
        record NoLength(String s) {}
        assertThrows(IllegalArgumentException.class, () -> Codecs.record(NoLength.class));
        record Unsupported(Object o) {}
        assertThrows(IllegalArgumentException.class, () -> Codecs.record(Unsupported.class));
    }
}
