package io.bpf4j.kernel;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Hand-built raw BTF blobs for tests (until tests can use io.bpf4j.btf's writer). */
final class TestBtf {
    private TestBtf() {}

    private static final int KIND_INT = 1;
    private static final int KIND_STRUCT = 4;

    /**
     * Type 1: {@code int} (4 bytes, signed); type 2: {@code struct pair { int a; int b; }};
     * type 3: {@code struct val { long long x; int y; }} with an 8-byte long long (type 4).
     */
    static byte[] intAndStruct() {
        String strings = "\0int\0pair\0a\0b\0val\0x\0y\0long long\0";
        ByteBuffer types = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
        // [1] INT 'int' size 4, signed, 32 bits
        types.putInt(off(strings, "int")).putInt(KIND_INT << 24).putInt(4).putInt(1 << 24 | 32);
        // [2] STRUCT 'pair' size 8 { a: int @0, b: int @32 }
        types.putInt(off(strings, "pair")).putInt(KIND_STRUCT << 24 | 2).putInt(8);
        types.putInt(off(strings, "a")).putInt(1).putInt(0);
        types.putInt(off(strings, "b")).putInt(1).putInt(32);
        // [3] STRUCT 'val' size 16 { x: long long @0, y: int @64 }
        types.putInt(off(strings, "val")).putInt(KIND_STRUCT << 24 | 2).putInt(16);
        types.putInt(off(strings, "x")).putInt(4).putInt(0);
        types.putInt(off(strings, "y")).putInt(1).putInt(64);
        // [4] INT 'long long' size 8, signed, 64 bits
        types.putInt(off(strings, "long long")).putInt(KIND_INT << 24).putInt(8).putInt(1 << 24 | 64);
        return blob(types, strings);
    }

    static byte[] blob(ByteBuffer types, String strings) {
        byte[] t = new byte[types.position()];
        types.flip().get(t);
        byte[] s = strings.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.nativeOrder());
        header.putShort((short) 0xeb9f).put((byte) 1).put((byte) 0).putInt(24);
        header.putInt(0).putInt(t.length).putInt(t.length).putInt(s.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header.array());
        out.writeBytes(t);
        out.writeBytes(s);
        return out.toByteArray();
    }

    private static int off(String strings, String name) {
        int i = strings.indexOf("\0" + name + "\0");
        if (i < 0) {
            throw new IllegalArgumentException(name);
        }
        return i + 1;
    }
}
