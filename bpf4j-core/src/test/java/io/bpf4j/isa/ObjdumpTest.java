package io.bpf4j.isa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import io.bpf4j.ElfBuilder;
import io.bpf4j.TestFiles;
import io.bpf4j.Tools;
import io.bpf4j.elf.ElfFile;
import io.bpf4j.elf.ElfSection;
import io.bpf4j.elf.ElfSymbol;
import io.bpf4j.isa.Instruction.AluImm;
import io.bpf4j.isa.Instruction.AluReg;
import io.bpf4j.isa.Instruction.Atomic;
import io.bpf4j.isa.Instruction.ByteSwap;
import io.bpf4j.isa.Instruction.CallHelper;
import io.bpf4j.isa.Instruction.CallKfunc;
import io.bpf4j.isa.Instruction.CallLocal;
import io.bpf4j.isa.Instruction.Jump;
import io.bpf4j.isa.Instruction.JumpImm;
import io.bpf4j.isa.Instruction.JumpLong;
import io.bpf4j.isa.Instruction.JumpReg;
import io.bpf4j.isa.Instruction.Load;
import io.bpf4j.isa.Instruction.LoadImm64;
import io.bpf4j.isa.Instruction.LoadPacket;
import io.bpf4j.isa.Instruction.MayGoto;
import io.bpf4j.isa.Instruction.Store;
import io.bpf4j.isa.Instruction.StoreImm;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Objdump} against llvm-objdump itself, run live: LLVM 14 ({@code llvm-objdump}) and
 * LLVM 19 ({@code llvm-objdump-19}, hex immediates; its CO-RE lines dropped), on every object
 * of testdata/, every object libxdp1 installs, an object holding every valid encoding, and
 * objects with unusual symbol layouts. Skips, saying so, where a tool is missing.
 */
class ObjdumpTest {
    private static final Path LIBXDP = Path.of("/usr/lib/x86_64-linux-gnu/bpf");

    @TempDir
    Path tmp;

    static List<Path> testdataObjects() throws IOException {
        try (Stream<Path> list = Files.list(TestFiles.testdata())) {
            List<Path> objects = list.filter(p -> p.toString().endsWith(".bpf.o")).sorted().toList();
            assertFalse(objects.isEmpty(), "no objects in " + TestFiles.testdata());
            return objects;
        }
    }

    static List<Path> libxdpObjects() throws IOException {
        if (!Files.isDirectory(LIBXDP)) {
            System.out.println("SKIPPED: " + LIBXDP + " is missing (apt-get install libxdp1)");
            return List.of();
        }
        try (Stream<Path> list = Files.list(LIBXDP)) {
            return list.filter(p -> p.toString().endsWith(".o")).sorted().toList();
        }
    }

    @Test
    void sameAsLlvmObjdump14OnTestdataAndLibxdp() throws IOException {
        Tools.require("llvm-objdump");
        for (Path object : concat(testdataObjects(), libxdpObjects())) {
            assertSameAsTool(object, Objdump.Version.LLVM_14);
        }
    }

    @Test
    void sameAsLlvmObjdump19OnTestdataAndLibxdp() throws IOException {
        Tools.require("llvm-objdump-19");
        for (Path object : concat(testdataObjects(), libxdpObjects())) {
            assertSameAsTool(object, Objdump.Version.LLVM_19);
        }
    }

    /** Every valid encoding, with registers, offsets and immediates at their extremes. */
    @Test
    void everyEncodingAsBothReleasesPrintIt() throws IOException {
        Tools.require("llvm-objdump");
        Tools.require("llvm-objdump-19");
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            List<Instruction> probes = probes();
            ElfBuilder elf = new ElfBuilder(order);
            int text = elf.code("probes", Instructions.encode(probes, order));
            elf.symbol("start", 0, 0, ElfSymbol.STT_FUNC, ElfSymbol.STT_OBJECT, text);
            Path file = tmp.resolve("probes-" + order + ".o");
            Files.write(file, elf.build());
            assertSameAsTool(file, Objdump.Version.LLVM_14);
            assertSameAsTool(file, Objdump.Version.LLVM_19);
        }
    }

    /**
     * Symbol layouts clang rarely makes: several symbols at one address (llvm-objdump shows the
     * last by address, name, type), data objects in code (dumped as bytes), an unaligned
     * function, a truncated lddw and runs of zeros at the end, relocations against section
     * symbols and the null symbol, jumps out of the section.
     */
    @Test
    void unusualLayoutsAsBothReleasesPrintThem() throws IOException {
        Tools.require("llvm-objdump");
        Tools.require("llvm-objdump-19");
        ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        byte[] code = Instructions.encode(List.of(
                new AluImm(true, AluOp.MOV, 0, 0),
                new Jump((short) -5),
                new JumpImm(false, JumpOp.JNE, 1, 3, (short) 100),
                new LoadImm64(1, 0),
                new CallLocal(-1),
                new Instruction.Exit()), order);
        byte[] tail = {0x7f, 'd', 'a', 't', 'a', ' ', (byte) 0x80, 0, 1, 2, 3, 0x18, 0, 0, 0, 0, 0, 0, 0};
        byte[] withData = new byte[code.length + tail.length + 24];
        System.arraycopy(code, 0, withData, 0, code.length);
        System.arraycopy(tail, 0, withData, code.length, tail.length);
        ElfBuilder elf = new ElfBuilder(order);
        int a = elf.code("xdp", withData);
        int b = elf.code("second", Instructions.encode(List.of(new Instruction.Exit(), new Instruction.Exit()), order));
        elf.code("empty", new byte[0]);
        elf.symbol("zeta", 0, 0, ElfSymbol.STT_FUNC, ElfSymbol.STB_GLOBAL, a);
        elf.symbol("alpha", 0, 0, ElfSymbol.STT_NOTYPE, ElfSymbol.STB_LOCAL, a);
        int sectionSymbol = elf.symbol("", 0, 0, ElfSymbol.STT_SECTION, ElfSymbol.STB_LOCAL, b);
        elf.symbol("", 16, 0, ElfSymbol.STT_NOTYPE, ElfSymbol.STB_LOCAL, a);
        elf.symbol("blob", code.length, 10, ElfSymbol.STT_OBJECT, ElfSymbol.STB_LOCAL, a);
        elf.symbol("odd", code.length + 10, 0, ElfSymbol.STT_FUNC, ElfSymbol.STB_LOCAL, a);
        elf.symbol("past_end", 4096, 0, ElfSymbol.STT_FUNC, ElfSymbol.STB_LOCAL, a);
        elf.symbol("in_second", 8, 0, ElfSymbol.STT_FUNC, ElfSymbol.STB_GLOBAL, b);
        elf.rel(a, new long[] {24, sectionSymbol, 1}, new long[] {40, 0, 10}, new long[] {code.length + 40, 1, 3});
        Path file = tmp.resolve("layouts.o");
        Files.write(file, elf.build());
        assertSameAsTool(file, Objdump.Version.LLVM_14);
        assertSameAsTool(file, Objdump.Version.LLVM_19);
    }

    /** encode(decode(x)) == x for the code of every testdata and libxdp object. */
    @Test
    void codeOfEveryObjectRoundTrips() throws IOException {
        int instructions = 0;
        for (Path object : concat(testdataObjects(), libxdpObjects())) {
            ElfFile elf = ElfFile.read(object);
            for (ElfSection section : elf.sections()) {
                if (section.isExecutable()) {
                    byte[] code = section.bytes();
                    List<Instruction> program = Instructions.decode(code, elf.byteOrder());
                    assertArrayEquals(code, Instructions.encode(program, elf.byteOrder()), object + " " + section.name());
                    instructions += program.size();
                }
            }
        }
        assertFalse(instructions < 500, "only " + instructions + " instructions decoded");
    }

    @Test
    void rejectsNonBpfObjects() {
        byte[] elf = new ElfBuilder(ByteOrder.LITTLE_ENDIAN).build();
        elf[18] = 62; // EM_X86_64
        io.bpf4j.BpfFormatException e = org.junit.jupiter.api.Assertions.assertThrows(io.bpf4j.BpfFormatException.class,
                () -> Objdump.disassemble(ElfFile.parse("x86.o", elf), "x86.o", Objdump.Version.LLVM_14));
        assertEquals("x86.o: not a BPF object (e_machine is 62, BPF is 247)", e.getMessage());
    }

    static List<Instruction> probes() {
        List<Instruction> all = new ArrayList<>(InstructionsTest.everyKind());
        int[] regs = {0, 1, 9, 10};
        int[] imms = {0, 1, -1, 255, 0x7fffffff, Integer.MIN_VALUE, 65536};
        short[] offsets = {0, 1, -1, 3, 32767, -32768};
        for (boolean wide : new boolean[] {false, true}) {
            for (AluOp op : AluOp.values()) {
                for (int r : regs) {
                    for (int imm : imms) {
                        all.add(new AluImm(wide, op, r, op == AluOp.NEG ? 0 : imm));
                    }
                    if (op != AluOp.NEG) {
                        all.add(new AluReg(wide, op, r, 10 - r));
                    }
                }
            }
            for (JumpOp op : JumpOp.values()) {
                if (op.isConditional()) {
                    for (short off : offsets) {
                        all.add(new JumpImm(wide, op, 9, imms[Math.abs(off) % imms.length], off));
                        all.add(new JumpReg(wide, op, 0, 10, off));
                    }
                }
            }
        }
        for (short off : offsets) {
            all.add(new Jump(off));
            all.add(new MayGoto(off));
            all.add(new JumpLong(off * 3));
            for (Size size : Size.values()) {
                all.add(new Load(size, false, 10, 9, off));
                all.add(new Store(size, 10, 0, off));
                all.add(new StoreImm(size, 1, off, -off));
                for (AtomicOp op : AtomicOp.values()) {
                    if (!op.isReadModifyWrite() || size == Size.W || size == Size.DW) {
                        all.add(new Atomic(size, op, 10, 3, off));
                    }
                }
                if (size != Size.DW) {
                    all.add(new Load(size, true, 2, 10, off));
                }
            }
        }
        for (int imm : imms) {
            all.add(new CallHelper(imm));
            all.add(new CallLocal(imm));
            all.add(new CallKfunc(imm, (short) 1));
            all.add(new LoadPacket(Size.B, false, 0, imm));
            all.add(new LoadPacket(Size.H, true, 7, imm));
        }
        for (long value : new long[] {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0xffffffffL, 1L << 32}) {
            for (PseudoSource source : PseudoSource.values()) {
                // LLVM 14 decodes r0 with MAP_VALUE as an unrelated 'lea' instruction; not reproduced.
                int dst = source == PseudoSource.MAP_VALUE ? 5 : 0;
                all.add(new LoadImm64(dst, source, value));
            }
        }
        for (ByteSwap.Kind kind : ByteSwap.Kind.values()) {
            all.add(new ByteSwap(kind, 10, 64));
        }
        return all;
    }

    private static void assertSameAsTool(Path object, Objdump.Version version) throws IOException {
        String tool = version == Objdump.Version.LLVM_14 ? "llvm-objdump" : "llvm-objdump-19";
        String expected = Tools.run(List.of(tool, "-d", "-r", "--no-show-raw-insn", object.toString()));
        if (version == Objdump.Version.LLVM_19) {
            expected = expected.replaceAll("(?m)^\t\t[0-9a-f]+:  CO-RE .*\n", "");
        }
        String actual = Objdump.disassemble(ElfFile.read(object), object.toString(), version);
        assertSameLines(expected, actual, tool + " -d -r --no-show-raw-insn " + object);
    }

    /** Equal texts, or a failure that shows the first differing line. */
    static void assertSameLines(String expected, String actual, String what) {
        if (expected.equals(actual)) {
            return;
        }
        String[] e = expected.split("\n", -1);
        String[] a = actual.split("\n", -1);
        for (int i = 0; i < Math.max(e.length, a.length); i++) {
            String el = i < e.length ? e[i] : "<end>";
            String al = i < a.length ? a[i] : "<end>";
            if (!el.equals(al)) {
                fail(what + ": line " + (i + 1) + " differs\n  expected: " + el + "\n  actual:   " + al);
            }
        }
    }

    private static List<Path> concat(List<Path> a, List<Path> b) {
        List<Path> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
