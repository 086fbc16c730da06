package io.bpf4j.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfFormatException;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfBuilder;
import io.bpf4j.btf.BtfType;
import java.util.List;
import org.junit.jupiter.api.Test;

class CStructTest {
    /**
     * struct inner { short s; };
     * typedef struct outer { int a; struct { char c; long long d; }; struct inner in; unsigned f:3; } outer_t;
     */
    @Test
    void layoutFromBtf() {
        BtfBuilder b = new BtfBuilder();
        int i32 = b.add(new BtfType.Int("int", 4, BtfType.Int.SIGNED, 0, 32));
        int i16 = b.add(new BtfType.Int("short", 2, BtfType.Int.SIGNED, 0, 16));
        int ch = b.add(new BtfType.Int("char", 1, BtfType.Int.SIGNED, 0, 8));
        int i64 = b.add(new BtfType.Int("long long", 8, BtfType.Int.SIGNED, 0, 64));
        int inner = b.add(new BtfType.Struct("inner", 2, List.of(new BtfType.Member("s", i16, 0, 0)), false));
        int anon = b.add(new BtfType.Struct("", 16, List.of(new BtfType.Member("c", ch, 0, 0),
                new BtfType.Member("d", i64, 64, 0)), false));
        int outer = b.add(new BtfType.Struct("outer", 32, List.of(
                new BtfType.Member("a", i32, 0, 0),
                new BtfType.Member("", anon, 64, 0),
                new BtfType.Member("in", inner, 192, 0),
                new BtfType.Member("f", i32, 208, 3)), true));
        int typedef = b.add(new BtfType.Typedef("outer_t", outer));
        int union = b.add(new BtfType.Union("u", 4, List.of(new BtfType.Member("x", i32, 0, 0)), false));
        Btf btf = b.build();

        CStruct s = CStruct.fromBtf(btf, typedef);
        assertEquals("outer", s.name());
        assertEquals(32, s.size());
        assertEquals(List.of("a", "c", "d", "in", "f"), s.members().stream().map(CStruct.Member::name).toList());
        assertEquals(8, s.member("c").offset());
        assertEquals(16, s.member("d").offset());
        assertEquals(8, s.member("d").size());
        assertEquals(24, s.member("in").offset());
        assertEquals("inner", s.member("in").struct().name());
        assertNull(s.member("a").struct());
        assertTrue(s.member("f").bitfield());
        assertFalse(s.member("a").bitfield());

        var e = assertThrows(BpfFormatException.class, () -> CStruct.fromBtf(btf, union));
        assertTrue(e.getMessage().contains("UNION 'u', not a struct") || e.getMessage().contains("not a struct"), e.getMessage());
        assertThrows(BpfFormatException.class, () -> CStruct.fromBtf(btf, i32));
    }
}
