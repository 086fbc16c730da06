package io.bpf4j.btf;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfFormatException;
import io.bpf4j.btf.BtfType.Member;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Bad BTF is rejected with a message naming the fault, the type id and the byte offset; fuzzed input never crashes. */
class BtfMalformedTest {
    private static final Btf SAMPLE = SampleBtf.everyKind();
    private static final byte[] BYTES = SAMPLE.toBytes();

    private static String rejected(byte[] data) {
        return assertThrows(BpfFormatException.class, () -> Btf.parse(data)).getMessage();
    }

    private static byte[] patched(Consumer<ByteBuffer> patch) {
        byte[] copy = BYTES.clone();
        patch.accept(ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN));
        return copy;
    }

    private static void assertMessage(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "'" + message + "' lacks '" + part + "'");
        }
    }

    @Test
    void headerFaults() {
        assertMessage(rejected(new byte[10]), "truncated BTF header");
        assertMessage(rejected(patched(b -> b.putShort(0, (short) 0x1234))), "bad BTF magic 0x1234");
        assertMessage(rejected(patched(b -> b.put(2, (byte) 2))), "unsupported BTF version 2");
        assertMessage(rejected(patched(b -> b.putInt(4, 8))), "header length 8");
        assertMessage(rejected(patched(b -> b.putInt(8, 2))), "not 4-byte aligned");
        assertMessage(rejected(patched(b -> b.putInt(20, b.getInt(20) + 100))), "past the end");
        assertMessage(rejected(patched(b -> b.put(b.capacity() - 1, (byte) 'x'))), "does not end with NUL");
    }

    /** Offset in the blob of type {@code id}'s btf_type. */
    private static int offsetOf(int id) {
        ByteBuffer b = ByteBuffer.wrap(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int pos = BtfParser.HEADER_LEN;
        for (int i = 1; i < id; i++) {
            int info = b.getInt(pos + 4);
            int vlen = info & 0xffff;
            int kind = (info >>> 24) & 0x1f;
            pos += 12 + switch (kind) {
                case 1, 14, 17 -> 4;
                case 3 -> 12;
                case 4, 5, 15, 19 -> 12 * vlen;
                case 6, 13 -> 8 * vlen;
                default -> 0;
            };
        }
        return pos;
    }

    private static int idOf(String name) {
        return SAMPLE.idsByName(name)[0];
    }

    @Test
    void typeFaultsNameTheTypeAndOffset() {
        int node = idOf("node");
        int at = offsetOf(node);
        assertMessage(rejected(patched(b -> b.putInt(at, 1 << 30))), "type [" + node + "] at offset " + at, "name offset");
        assertMessage(rejected(patched(b -> b.putInt(at + 4, 31 << 24))), "type [" + node + "]", "unknown kind 31");
        assertMessage(rejected(patched(b -> b.putInt(at + 12 + 4, 9999))), "type [" + node + "]", "refers to type id 9999");
        assertMessage(rejected(patched(b -> b.putInt(at + 8, 4))), "type [" + node + "]", "ends past the 4-byte size");
        int i32 = idOf("int");
        int intAt = offsetOf(i32);
        assertMessage(rejected(patched(b -> b.putInt(intAt + 8, 3))), "type [" + i32 + "] at offset " + intAt, "impossible size 3");
        assertMessage(rejected(patched(b -> b.putInt(intAt + 12, 0x00200041))), "type [" + i32 + "]", "do not fit");
        int typeEnd = BtfParser.HEADER_LEN + ByteBuffer.wrap(BYTES).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
        assertMessage(rejected(patched(b -> b.putInt(12, b.getInt(12) - 4))), "type [", "left in the type section");
        assertTrue(typeEnd > at);
    }

    @Test
    void loopsAreRejected() {
        BtfBuilder typedefLoop = new BtfBuilder();
        typedefLoop.add(new BtfType.Typedef("a", 2));
        typedefLoop.add(new BtfType.Const(1));
        assertMessage(assertThrows(BpfFormatException.class, typedefLoop::build).getMessage(), "type loop");

        BtfBuilder selfEmbedding = new BtfBuilder();
        int i32 = selfEmbedding.add(new BtfType.Int("int", 4, BtfType.Int.SIGNED, 0, 32));
        selfEmbedding.add(new BtfType.Struct("s", 8, List.of(new Member("x", i32, 0, 0), new Member("self", 2, 32, 0)), false));
        assertMessage(assertThrows(BpfFormatException.class, selfEmbedding::build).getMessage(), "type loop", "[2]");

        BtfBuilder pointerLoop = new BtfBuilder();
        pointerLoop.add(new BtfType.Ptr(2));
        pointerLoop.add(new BtfType.Volatile(1));
        assertMessage(assertThrows(BpfFormatException.class, pointerLoop::build).getMessage(), "type loop");

        BtfBuilder fine = new BtfBuilder();
        int f = fine.add(new BtfType.Ptr(2));
        fine.add(new BtfType.Struct("list", 8, List.of(new Member("next", f, 0, 0)), false));
        fine.build();
    }

    @Test
    void badReferencesAreRejected() {
        BtfBuilder voidMember = new BtfBuilder();
        voidMember.add(new BtfType.Struct("s", 4, List.of(new Member("x", 0, 0, 0)), false));
        assertMessage(assertThrows(BpfFormatException.class, voidMember::build).getMessage(), "type [1]", "STRUCT member 'x' refers to void");

        BtfBuilder funcToInt = new BtfBuilder();
        int i32 = funcToInt.add(new BtfType.Int("int", 4, BtfType.Int.SIGNED, 0, 32));
        funcToInt.add(new BtfType.Func("f", i32, BtfType.Linkage.GLOBAL));
        assertMessage(assertThrows(BpfFormatException.class, funcToInt::build).getMessage(), "type [2]", "FUNC 'f'", "not a FUNC_PROTO");

        BtfBuilder voidParam = new BtfBuilder();
        int i = voidParam.add(new BtfType.Int("int", 4, BtfType.Int.SIGNED, 0, 32));
        voidParam.add(new BtfType.FuncProto(i, List.of(new BtfType.Param("a", 0), new BtfType.Param("b", i))));
        assertMessage(assertThrows(BpfFormatException.class, voidParam::build).getMessage(), "type [2]", "FUNC_PROTO parameter 0 refers to void");

        BtfBuilder varargs = new BtfBuilder();
        int v = varargs.add(new BtfType.Int("int", 4, BtfType.Int.SIGNED, 0, 32));
        varargs.add(new BtfType.FuncProto(v, List.of(new BtfType.Param("a", v), new BtfType.Param("", 0))));
        varargs.build();

        BtfBuilder typedefPastEnd = new BtfBuilder();
        typedefPastEnd.add(new BtfType.Typedef("t", 7));
        assertMessage(assertThrows(BpfFormatException.class, typedefPastEnd::build).getMessage(), "TYPEDEF refers to type id 7", "last type id is 1");
    }

    @Test
    void impossibleSizesAreRejected() {
        BtfBuilder huge = new BtfBuilder();
        int u64 = huge.add(new BtfType.Int("long", 8, 0, 0, 64));
        huge.add(new BtfType.Array(u64, u64, 0x4000_0000));
        assertMessage(assertThrows(BpfFormatException.class, huge::build).getMessage(), "type [2]", "larger than 4 GiB");

        BtfBuilder enumSize = new BtfBuilder();
        enumSize.add(new BtfType.Enum("e", 3, false, List.of()));
        assertMessage(assertThrows(BpfFormatException.class, enumSize::build).getMessage(), "impossible size 3");
    }

    @Test
    void everyTruncationIsRejected() {
        for (int len = 0; len < BYTES.length; len++) {
            byte[] cut = Arrays.copyOf(BYTES, len);
            assertThrows(BpfFormatException.class, () -> Btf.parse(cut), "truncated to " + len);
        }
    }

    /** Bounded fuzzing: flipped bits and random words give a checked BTF (which then dumps) or a BpfFormatException. */
    @Test
    void fuzzedBlobsNeverCrash() {
        Random random = new Random(20261123);
        int parsed = 0;
        for (int i = 0; i < 5000; i++) {
            byte[] data = BYTES.clone();
            int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++) {
                int at = BtfParser.HEADER_LEN + random.nextInt(data.length - BtfParser.HEADER_LEN);
                if (random.nextBoolean()) {
                    data[at] ^= (byte) (1 << random.nextInt(8));
                } else {
                    data[at] = (byte) random.nextInt(256);
                }
            }
            Btf btf;
            try {
                btf = Btf.parse(data);
            } catch (BpfFormatException expected) {
                continue;
            }
            parsed++;
            StringBuilder sb = new StringBuilder();
            BtfRawDump.dump(btf, sb);
            // A valid struct of megabytes is dumped with a padding line per 8 bytes: too slow to do thousands of times.
            boolean small = btf.types().stream().allMatch(t -> !(t instanceof BtfType.Composite c) || c.size() >= 0 && c.size() < 4096);
            try {
                if (small) {
                    BtfCDump.dumpHeader(btf, sb);
                }
            } catch (BpfFormatException unsatisfiable) {
                assertTrue(unsatisfiable.getMessage().contains("cycle"), unsatisfiable.getMessage());
            }
            for (int id = 1; id < btf.typeCount(); id++) {
                btf.sizeOrNegative(id);
                btf.alignOrZero(id);
            }
            Btf.parse(btf.toBytes());
        }
        assertTrue(parsed > 0, "no fuzzed blob parsed: the fuzzer only tested the first checks");
    }
}
