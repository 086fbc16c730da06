package io.bpf4j.isa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfFormatException;
import io.bpf4j.TestFiles;
import io.bpf4j.isa.Instruction.AddressSpaceCast;
import io.bpf4j.isa.Instruction.AluImm;
import io.bpf4j.isa.Instruction.AluReg;
import io.bpf4j.isa.Instruction.Atomic;
import io.bpf4j.isa.Instruction.ByteSwap;
import io.bpf4j.isa.Instruction.CallHelper;
import io.bpf4j.isa.Instruction.CallIndirect;
import io.bpf4j.isa.Instruction.CallKfunc;
import io.bpf4j.isa.Instruction.CallLocal;
import io.bpf4j.isa.Instruction.Exit;
import io.bpf4j.isa.Instruction.Jump;
import io.bpf4j.isa.Instruction.JumpImm;
import io.bpf4j.isa.Instruction.JumpLong;
import io.bpf4j.isa.Instruction.JumpReg;
import io.bpf4j.isa.Instruction.Load;
import io.bpf4j.isa.Instruction.LoadImm64;
import io.bpf4j.isa.Instruction.LoadPacket;
import io.bpf4j.isa.Instruction.MayGoto;
import io.bpf4j.isa.Instruction.MoveSignExtend;
import io.bpf4j.isa.Instruction.Store;
import io.bpf4j.isa.Instruction.StoreImm;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class InstructionsTest {

    /** One instruction of every kind, with fields that exercise sign and width. */
    static List<Instruction> everyKind() {
        List<Instruction> all = new ArrayList<>();
        for (boolean wide : new boolean[] {false, true}) {
            for (AluOp op : AluOp.values()) {
                all.add(new AluImm(wide, op, 3, op == AluOp.NEG ? 0 : -7));
                if (op != AluOp.NEG) {
                    all.add(new AluReg(wide, op, 4, 10));
                }
            }
            all.add(new MoveSignExtend(wide, 1, 2, Size.B));
            all.add(new MoveSignExtend(wide, 1, 2, Size.H));
            for (JumpOp op : JumpOp.values()) {
                if (op.isConditional()) {
                    all.add(new JumpImm(wide, op, 5, Integer.MIN_VALUE, (short) -32768));
                    all.add(new JumpReg(wide, op, 6, 7, (short) 32767));
                }
            }
        }
        all.add(new MoveSignExtend(true, 9, 8, Size.W));
        all.add(new AddressSpaceCast(1, 2, 1, 0));
        all.add(new AddressSpaceCast(3, 4, 0, 1));
        for (ByteSwap.Kind kind : ByteSwap.Kind.values()) {
            for (int width : new int[] {16, 32, 64}) {
                all.add(new ByteSwap(kind, 2, width));
            }
        }
        all.add(new Jump((short) -1));
        all.add(new JumpLong(-100000));
        all.add(new CallHelper(1));
        all.add(new CallLocal(-1));
        all.add(new CallKfunc(12345, (short) 2));
        all.add(new CallIndirect(3));
        all.add(new MayGoto((short) 5));
        for (Size size : Size.values()) {
            all.add(new Load(size, false, 0, 10, (short) -8));
            if (size != Size.DW) {
                all.add(new Load(size, true, 1, 2, (short) 3));
                all.add(new LoadPacket(size, false, 0, 14));
                all.add(new LoadPacket(size, true, 6, -2));
            }
            all.add(new StoreImm(size, 10, (short) -4, 0x12345678));
            all.add(new Store(size, 10, 1, (short) -16));
            for (AtomicOp op : AtomicOp.values()) {
                if (!op.isReadModifyWrite() || size == Size.W || size == Size.DW) {
                    all.add(new Atomic(size, op, 1, 2, (short) 8));
                }
            }
        }
        for (PseudoSource source : PseudoSource.values()) {
            all.add(new LoadImm64(1, source, 0x8000000180000002L));
        }
        all.add(new LoadImm64(0, -1L));
        all.add(new Exit());
        return all;
    }

    @Test
    void everyKindRoundTripsInBothByteOrders() {
        List<Instruction> program = everyKind();
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            byte[] code = Instructions.encode(program, order);
            assertEquals(SlotMap.of(program).slotCount() * 8, code.length);
            List<Instruction> decoded = Instructions.decode(code, order);
            assertEquals(program, decoded, "decode(encode(x)) in " + order);
            assertArrayEquals(code, Instructions.encode(decoded, order));
        }
    }

    @Test
    void rawFieldsMatchTheEncoding() {
        // Known encodings from RFC 9669 and clang output.
        assertEncoding("b7 01 00 00 2a 00 00 00", new AluImm(true, AluOp.MOV, 1, 42));
        assertEncoding("3f 21 01 00 00 00 00 00", new AluReg(true, AluOp.SDIV, 1, 2));
        assertEncoding("bf 21 20 00 00 00 00 00", new MoveSignExtend(true, 1, 2, Size.W));
        assertEncoding("bf 21 01 00 00 00 01 00", new AddressSpaceCast(1, 2, 1, 0));
        assertEncoding("dc 01 00 00 10 00 00 00", new ByteSwap(ByteSwap.Kind.BE, 1, 16));
        assertEncoding("d7 01 00 00 40 00 00 00", new ByteSwap(ByteSwap.Kind.BSWAP, 1, 64));
        assertEncoding("06 00 00 00 ff ff ff ff", new JumpLong(-1));
        assertEncoding("85 10 00 00 ff ff ff ff", new CallLocal(-1));
        assertEncoding("85 20 03 00 07 00 00 00", new CallKfunc(7, (short) 3));
        assertEncoding("8d 02 00 00 00 00 00 00", new CallIndirect(2));
        assertEncoding("e5 00 02 00 00 00 00 00", new MayGoto((short) 2));
        assertEncoding("91 21 fc ff 00 00 00 00", new Load(Size.B, true, 1, 2, (short) -4));
        assertEncoding("c3 21 00 00 e1 00 00 00", new Atomic(Size.W, AtomicOp.XCHG, 1, 2, (short) 0));
        assertEncoding("d3 21 00 00 00 01 00 00", new Atomic(Size.B, AtomicOp.LOAD_ACQUIRE, 1, 2, (short) 0));
        assertEncoding("18 21 00 00 04 00 00 00 00 00 00 00 08 00 00 00", new LoadImm64(1, PseudoSource.MAP_VALUE, 8L << 32 | 4));
        assertEncoding("50 60 00 00 0e 00 00 00", new LoadPacket(Size.B, true, 6, 14));
        assertEncoding("95 00 00 00 00 00 00 00", new Exit());
        Instruction lddw = new LoadImm64(3, PseudoSource.MAP_FD, 0x1122334455667788L);
        assertEquals(0x18, lddw.opcode());
        assertEquals(1, lddw.src());
        assertEquals(0x55667788, lddw.imm());
        assertEquals(0x11223344, ((LoadImm64) lddw).nextImm());
        assertEquals(2, lddw.slots());
        assertEquals(InstructionClass.LD, lddw.instructionClass());
    }

    private static void assertEncoding(String hex, Instruction insn) {
        byte[] bytes = HexFormat.ofDelimiter(" ").parseHex(hex);
        assertArrayEquals(bytes, Instructions.encode(List.of(insn), ByteOrder.LITTLE_ENDIAN), insn.toString());
        assertEquals(List.of(insn), Instructions.decode(bytes, ByteOrder.LITTLE_ENDIAN));
        assertEquals(bytes[0] & 0xff, insn.opcode());
        assertEquals(bytes[1] & 0x0f, insn.dst());
        assertEquals((bytes[1] & 0xf0) >>> 4, insn.src());
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(buf.getShort(2), insn.offset());
        assertEquals(buf.getInt(4), insn.imm());
    }

    @Test
    void bigEndianPutsDstInTheHighNibble() {
        // From clang -target bpfeb: r2 = *(u32 *)(r1 + 4)
        byte[] bytes = HexFormat.ofDelimiter(" ").parseHex("61 21 00 04 00 00 00 00");
        assertEquals(List.of(new Load(Size.W, false, 2, 1, (short) 4)), Instructions.decode(bytes, ByteOrder.BIG_ENDIAN));
    }

    @Test
    void malformedInputNamesIndexAndOffset() {
        assertError("unknown opcode 0xff", "instruction 1 at byte offset 8", "b7 00 00 00 00 00 00 00 ff 00 00 00 00 00 00 00");
        assertError("lddw is truncated", "instruction 1 at byte offset 8", "b7 00 00 00 00 00 00 00 18 01 00 00 00 00 00 00");
        assertError("bad register: dst is r11", "instruction 0 at byte offset 0", "b7 0b 00 00 00 00 00 00");
        assertError("bad register: src is r15", "instruction 0 at byte offset 0", "bf f1 00 00 00 00 00 00");
        assertError("trailing bytes", "instruction 1 at byte offset 8", "95 00 00 00 00 00 00 00 95 00");
        assertError("unused field offset must be 0 but is 1", "ALU64|ADD|K (0x07)", "07 00 01 00 01 00 00 00");
        assertError("second slot of lddw", "instruction 0", "18 01 00 00 00 00 00 00 b7 00 00 00 00 00 00 00");
        assertError("no lddw pseudo source", "instruction 0", "18 71 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
        assertError("no atomic operation", "STX|ATOMIC|DW", "db 21 00 00 02 00 00 00");
        assertError("exists only for sizes W and DW", "STX|ATOMIC|B", "d3 21 00 00 00 00 00 00");
        assertError("byte swap width", "END|TO_BE", "dc 01 00 00 08 00 00 00");
        assertError("offset must be 0 (mov) or 8, 16 (movsx) but is 32", "ALU|MOV|X", "bc 21 20 00 00 00 00 00");
        assertError("(unsigned) or 1 (signed)", "ALU64|DIV|X", "3f 21 02 00 00 00 00 00");
        assertError("no call kind", "JMP|CALL|K", "85 30 00 00 00 00 00 00");
        assertError("unknown opcode 0x0e", "instruction 0", "0e 00 00 00 00 00 00 00");
        assertError("unknown opcode 0x96", "instruction 0", "96 00 00 00 00 00 00 00");
        assertError("unknown opcode 0x8f", "instruction 0", "8f 21 00 00 00 00 00 00");
        assertError("unknown opcode 0x38", "instruction 0", "38 00 00 00 00 00 00 00");
        assertError("unknown opcode 0x99", "instruction 0", "99 21 00 00 00 00 00 00");
    }

    private static void assertError(String what, String where, String hex) {
        BpfFormatException e = assertThrows(BpfFormatException.class,
                () -> Instructions.decode(HexFormat.ofDelimiter(" ").parseHex(hex), ByteOrder.LITTLE_ENDIAN));
        assertTrue(e.getMessage().contains(what) && e.getMessage().contains(where), e.getMessage());
    }

    /**
     * Every opcode with many field patterns: decoding either fails with a BpfFormatException that
     * names the place, or succeeds and encodes back to the same bytes. Nothing else may happen.
     */
    @Test
    void arbitrarySlotsDecodeOrFailCleanly() {
        Random random = new Random(42);
        int accepted = 0;
        for (int iteration = 0; iteration < 20_000; iteration++) {
            byte[] code = new byte[16];
            random.nextBytes(code);
            code[0] = (byte) (iteration & 0xff);
            if (random.nextInt(4) != 0) { // small field values are where the valid encodings live
                int[] offsets = {0, 0, 0, 1, 8, 16, 32, -3};
                int[] imms = {0, 0, 0, 1, 16, 64, 0x41, 0xe1, 0xf1, 0x100, 0x110, -5};
                ByteBuffer.wrap(code).order(ByteOrder.LITTLE_ENDIAN)
                        .put(1, (byte) (random.nextInt(12) << 4 | random.nextInt(12)))
                        .putShort(2, (short) offsets[random.nextInt(offsets.length)])
                        .putInt(4, imms[random.nextInt(imms.length)])
                        .putLong(8, random.nextInt(4) == 0 ? random.nextLong() : random.nextLong() >>> 32);
            }
            ByteOrder order = random.nextBoolean() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
            byte[] one = (code[0] == 0x18) ? code : Arrays.copyOf(code, 8);
            try {
                List<Instruction> decoded = Instructions.decode(one, order);
                assertArrayEquals(one, Instructions.encode(decoded, order));
                accepted++;
            } catch (BpfFormatException e) {
                assertTrue(e.getMessage().startsWith("instruction "), e.getMessage());
            }
        }
        assertTrue(accepted > 500, "accepted " + accepted);
    }

    /** The conformance suite's raw programs with a non-zero unused field are rejected. */
    @Test
    void conformanceUnusedFieldCasesAreRejected() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(TestFiles.conformance().resolve("negative"))) {
            files = list.filter(p -> p.getFileName().toString().startsWith("unused-")).sorted().toList();
        }
        assertTrue(files.size() >= 30, "found " + files);
        for (Path file : files) {
            String raw = Files.readString(file).split("-- raw\n")[1].split("--")[0];
            byte[] code = HexFormat.of().parseHex(raw.replaceAll("\\s+", ""));
            BpfFormatException e = assertThrows(BpfFormatException.class,
                    () -> Instructions.decode(code, ByteOrder.LITTLE_ENDIAN), file.toString());
            assertTrue(e.getMessage().startsWith("instruction 0 at byte offset 0: ") && e.getMessage().contains(" must be "),
                    file + ": " + e.getMessage());
        }
    }

    @Test
    void slotMapCountsLddwAsTwoSlots() {
        List<Instruction> program = List.of(
                new LoadImm64(1, 7), new Jump((short) 1), new LoadImm64(2, 8), new Exit());
        SlotMap map = SlotMap.of(program);
        assertEquals(6, map.slotCount());
        assertEquals(4, map.size());
        assertEquals(2, map.slot(1));
        assertEquals(5, map.slot(3));
        assertEquals(6, map.slot(4));
        assertEquals(1, map.index(2));
        assertEquals(-1, map.index(1));
        assertEquals(-1, map.index(6));
        assertEquals(3, map.target(1, 2));
        assertEquals(-1, map.target(1, 1));
        assertEquals(0, map.target(1, -3));
    }

    @Test
    void helperNamesFollowTheKernelTable() {
        assertEquals("bpf_map_lookup_elem", Helpers.name(1).orElseThrow());
        assertEquals("bpf_ktime_get_ns", Helpers.name(5).orElseThrow());
        assertEquals("bpf_trace_printk", Helpers.name(6).orElseThrow());
        assertEquals(5, Helpers.id("bpf_ktime_get_ns").orElseThrow());
        assertEquals(5, Helpers.id("ktime_get_ns").orElseThrow());
        assertTrue(Helpers.name(-1).isEmpty());
        assertTrue(Helpers.name(Helpers.count()).isEmpty());
        assertTrue(Helpers.id("no_such_helper").isEmpty());
    }

    @Test
    void constructorsRejectImpossibleInstructions() {
        assertThrows(IllegalArgumentException.class, () -> new AluImm(true, AluOp.MOV, 11, 0));
        assertThrows(IllegalArgumentException.class, () -> new AluReg(true, AluOp.NEG, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> new AluImm(true, AluOp.NEG, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> new MoveSignExtend(false, 1, 2, Size.W));
        assertThrows(IllegalArgumentException.class, () -> new JumpImm(false, JumpOp.EXIT, 1, 2, (short) 0));
        assertThrows(IllegalArgumentException.class, () -> new Load(Size.DW, true, 1, 2, (short) 0));
        assertThrows(IllegalArgumentException.class, () -> new Atomic(Size.B, AtomicOp.ADD, 1, 2, (short) 0));
        assertThrows(IllegalArgumentException.class, () -> new ByteSwap(ByteSwap.Kind.LE, 1, 8));
        assertThrows(IllegalArgumentException.class, () -> new LoadPacket(Size.W, false, 3, 0));
        assertThrows(IllegalArgumentException.class, () -> new AddressSpaceCast(1, 2, 1, 1));
    }
}
