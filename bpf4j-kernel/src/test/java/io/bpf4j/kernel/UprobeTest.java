package io.bpf4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.BpfException;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.isa.AluOp;
import io.bpf4j.isa.JumpOp;
import io.bpf4j.isa.Size;
import io.bpf4j.kernel.sys.Posix;
import io.bpf4j.kernel.testing.Asm;
import io.bpf4j.kernel.testing.NoFdLeaks;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.kernel.testing.NetNamespace;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** uprobes and uretprobes on libc in this JVM and on a small program built here, and USDT probes of the JVM itself. */
@KernelTest
@NoFdLeaks
class UprobeTest {
    private static final long MAGIC = 0x5eedL;
    private static final int RDI = 112;
    private static final int RAX = 80;

    @TempDir
    Path dir;

    /** The file of a library mapped into this process, as /proc/self/maps names it. */
    static String mapped(String fileName) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().map(l -> l.substring(l.lastIndexOf(' ') + 1))
                .filter(p -> p.endsWith("/" + fileName)).findFirst().orElseThrow();
    }

    /**
     * A kprobe-type program that, for this process only, sends the 8-byte register at
     * {@code regOffset} of pt_regs when its upper half is {@link #MAGIC}.
     */
    private static KernelProgram magicRegisterProgram(KernelMap ring, int regOffset) {
        byte[] code = new Asm()
                .mov(6, 1)
                .call("get_current_pid_tgid").alu(AluOp.RSH, 0, 32)
                .jmpImm(JumpOp.JNE, 0, (int) ProcessHandle.current().pid(), "out")
                .ldx(Size.DW, 7, 6, regOffset)
                .mov(8, 7).alu(AluOp.RSH, 8, 32)
                .jmpImm(JumpOp.JNE, 8, (int) MAGIC, "out")
                .stx(Size.DW, 10, 7, -8)
                .ldMap(1, ring.fd()).mov(2, 10).addImm(2, -8).movImm(3, 8).movImm(4, 0).call("ringbuf_output")
                .label("out").movImm(0, 0).exit().bytes();
        return KernelProgram.load(ProgramDefinition.of(ProgramType.KPROBE, "uprobe_magic", code, "GPL"));
    }

    private static List<Long> drain(RingBufferReader reader, List<Long> got, int expected) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (got.size() < expected && System.nanoTime() < deadline) {
            reader.poll(Duration.ofMillis(50));
        }
        reader.poll(Duration.ofMillis(20));
        return got;
    }

    @Test
    void everyCallOfALibcFunctionIsSeenAndEveryReturn() throws Throwable {
        String libc = mapped("libc.so.6");
        MethodHandle labs = Linker.nativeLinker().downcallHandle(Linker.nativeLinker().defaultLookup().find("labs")
                .orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        int calls = 500;
        List<Long> entries = new ArrayList<>();
        List<Long> returns = new ArrayList<>();
        try (KernelMap ring = KernelMap.create(MapDefinition.of(MapType.RINGBUF, 0, 0, 1 << 16));
                KernelMap retRing = KernelMap.create(MapDefinition.of(MapType.RINGBUF, 0, 0, 1 << 16));
                KernelProgram entry = magicRegisterProgram(ring, RDI);
                KernelProgram exit = magicRegisterProgram(retRing, RAX);
                RingBufferReader reader = new RingBufferReader();
                UprobeLink in = UprobeLink.attach(entry, "libc.so.6", "labs", false, -1);
                UprobeLink out = UprobeLink.attach(exit, libc, "labs", true, -1)) {
            reader.add(ring, r -> entries.add(r.get(ValueLayout.JAVA_LONG_UNALIGNED, 0)));
            reader.add(retRing, r -> returns.add(r.get(ValueLayout.JAVA_LONG_UNALIGNED, 0)));
            LinkInfo.PerfEvent info = (LinkInfo.PerfEvent) in.info().target();
            assertEquals(LinkInfo.PerfEvent.UPROBE, info.kind());
            assertEquals(UprobeLink.functionOffset(libc, "labs"), info.offset());
            assertEquals(LinkInfo.PerfEvent.URETPROBE, ((LinkInfo.PerfEvent) out.info().target()).kind());
            List<Long> expected = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                long v = MAGIC << 32 | i;
                // Half the calls with the negated value: the entry sees it only when positive, the return always.
                long arg = i % 2 == 0 ? v : -v;
                assertEquals(v, (long) labs.invokeExact(arg));
                expected.add(v);
            }
            drain(reader, entries, calls / 2);
            drain(reader, returns, calls);
            assertEquals(expected.stream().filter(v -> (v & 1) == 0).toList(), entries);
            assertEquals(expected, returns);
        }
    }

    private Path buildTarget(boolean pie) throws IOException {
        Path src = dir.resolve("target.c");
        Files.writeString(src, """
                #include <stdio.h>
                #include <stdlib.h>
                __attribute__((noinline)) long bpf4j_target(long x) { __asm__ volatile(""); return x * 3; }
                int main(int argc, char **argv) {
                    long n = atol(argv[1]), sum = 0;
                    for (long i = 0; i < n; i++) sum += bpf4j_target(i);
                    printf("%ld\\n", sum);
                    return 0;
                }
                """);
        Path bin = dir.resolve(pie ? "target-pie" : "target-nopie");
        NetNamespace.command("gcc", "-O1", pie ? "-pie" : "-no-pie", pie ? "-fPIE" : "-fno-PIE", "-o", bin.toString(),
                src.toString());
        return bin;
    }

    /** Counts calls (key 0) and sums a register (key 1) in an array map; for the program built here. */
    private static KernelProgram countingProgram(KernelMap counts, int regOffset) {
        byte[] code = new Asm()
                .mov(6, 1)
                .movImm(7, 0).incrementArray(counts.fd(), 7, "counted")
                .st(Size.W, 10, -4, 1).ldMap(1, counts.fd()).mov(2, 10).addImm(2, -4).call("map_lookup_elem")
                .jmpImm(JumpOp.JEQ, 0, 0, "out")
                .ldx(Size.DW, 1, 6, regOffset).atomicAdd(Size.DW, 0, 1, 0)
                .label("out").movImm(0, 0).exit().bytes();
        return KernelProgram.load(ProgramDefinition.of(ProgramType.KPROBE, "uprobe_count", code, "GPL"));
    }

    private static long read(KernelMap counts, int key) {
        byte[] k = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(key).array();
        return ByteBuffer.wrap(counts.lookup(k).orElseThrow()).order(ByteOrder.nativeOrder()).getLong();
    }

    @Test
    void uprobesOnAProgramBuiltWithAndWithoutPie() throws IOException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/gcc")), "gcc is not installed: cannot build the uprobe target");
        for (boolean pie : new boolean[] {false, true}) {
            Path bin = buildTarget(pie);
            int n = 1234;
            try (KernelMap entries = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 8, 2));
                    KernelMap returns = KernelMap.create(MapDefinition.of(MapType.ARRAY, 4, 8, 2));
                    KernelProgram in = countingProgram(entries, RDI);
                    KernelProgram out = countingProgram(returns, RAX);
                    UprobeLink a = UprobeLink.attach(in, bin.toString(), "bpf4j_target", false, -1);
                    UprobeLink b = UprobeLink.attach(out, bin.toString(), "bpf4j_target", true, -1)) {
                String printed = NetNamespace.command(bin.toString(), Integer.toString(n)).strip();
                long sum = 3L * n * (n - 1) / 2;
                assertEquals(Long.toString(sum), printed);
                assertEquals(n, read(entries, 0), "calls seen by the uprobe (pie=" + pie + ")");
                assertEquals((long) n * (n - 1) / 2, read(entries, 1), "sum of the arguments");
                assertEquals(n, read(returns, 0), "returns seen by the uretprobe");
                assertEquals(sum, read(returns, 1), "sum of the return values");
            }
        }
    }

    @Test
    void symbolOffsetsAgreeWithReadelf() throws IOException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/readelf")), "readelf is not installed");
        String libc = mapped("libc.so.6");
        Map<String, long[]> sections = new HashMap<>(); // name -> {addr, offset}
        for (String line : NetNamespace.command("readelf", "-SW", libc).split("\n")) {
            String[] f = line.replace("[ ", "[").trim().split("\\s+");
            if (f.length > 5 && f[0].startsWith("[") && f[1].startsWith(".")) {
                sections.put(f[1], new long[] {Long.parseLong(f[3], 16), Long.parseLong(f[4], 16)});
            }
        }
        long[] text = sections.get(".text");
        for (String line : NetNamespace.command("readelf", "-W", "--dyn-syms", libc).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 8 && f[3].equals("FUNC") && (f[7].equals("labs@@GLIBC_2.2.5") || f[7].equals("malloc@@GLIBC_2.2.5")
                    || f[7].equals("getpid@@GLIBC_2.2.5"))) {
                long value = Long.parseLong(f[1], 16);
                String name = f[7].substring(0, f[7].indexOf('@'));
                assertEquals(value - text[0] + text[1], UprobeLink.functionOffset(libc, name), name);
            }
        }
        var e = assertThrows(BpfException.class, () -> UprobeLink.functionOffset(libc, "no_such_function_anywhere"));
        assertTrue(e.getMessage().contains("no function no_such_function_anywhere"), e.getMessage());
        assertThrows(BpfException.class, () -> UprobeLink.functionOffset("libno-such-library.so.9", "f"));
    }

    @Test
    void usdtProbesMatchReadelfAndHotspotThreadStartArgumentsAreRead() throws Exception {
        String libjvm = mapped("libjvm.so");
        List<UsdtProbe> all = UsdtProbe.list(ElfSymbols.read(Path.of(libjvm)));
        assumeTrue(!all.isEmpty(), "this JVM's libjvm.so has no USDT probes");
        if (Files.isExecutable(Path.of("/usr/bin/readelf"))) {
            // readelf -n prints each note's provider, name, location and arguments: they must agree.
            String notes = NetNamespace.command("readelf", "-n", libjvm);
            int i = 0;
            for (String block : notes.split("NT_STAPSDT \\(SystemTap probe descriptors\\)")) {
                if (!block.contains("Provider:")) {
                    continue;
                }
                UsdtProbe p = all.get(i++);
                assertTrue(block.contains("Provider: " + p.provider() + "\n"), block);
                assertTrue(block.contains("Name: " + p.name() + "\n"), block);
                assertTrue(block.contains(String.format("Location: 0x%016x", p.address())), block);
                assertTrue(block.contains("Arguments: " + p.argumentText()), block);
            }
            assertEquals(all.size(), i);
        }
        UsdtProbe start = UsdtProbe.find(ElfSymbols.read(Path.of(libjvm)), "hotspot", "thread__start").getFirst();
        // hotspot:thread__start(char *name, int name_length, long java_tid, long native_tid, bool daemon)
        Map<Integer, String> seen = new ConcurrentHashMap<>();
        try (KernelMap ring = KernelMap.create(MapDefinition.of(MapType.RINGBUF, 0, 0, 1 << 16));
                KernelProgram program = threadStartProgram(start, ring);
                RingBufferReader reader = new RingBufferReader();
                UprobeLink link = UprobeLink.attachUsdt(program, libjvm, "hotspot", "thread__start", -1)) {
            reader.add(ring, r -> {
                int length = r.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
                long nativeTid = r.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
                String name = new String(r.asSlice(16, Math.min(length, 32)).toArray(ValueLayout.JAVA_BYTE),
                        StandardCharsets.UTF_8);
                seen.put((int) nativeTid, name);
            });
            Map<Integer, String> started = new ConcurrentHashMap<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                String name = "bpf4j-usdt-" + i;
                threads.add(Thread.ofPlatform().name(name).start(() -> started.put(Posix.gettid(), name)));
            }
            for (Thread t : threads) {
                t.join();
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!seen.keySet().containsAll(started.keySet()) && System.nanoTime() < deadline) {
                reader.poll(Duration.ofMillis(50));
            }
            Map<Integer, String> ours = new HashMap<>(seen);
            ours.keySet().retainAll(started.keySet());
            assertEquals(new TreeSet<>(started.entrySet().stream().map(Map.Entry::toString).toList()),
                    new TreeSet<>(ours.entrySet().stream().map(Map.Entry::toString).toList()));
        }
    }

    /** Sends {u32 name_length; u32 pad; u64 native_tid; char name[32]} of each thread__start of this process. */
    private static KernelProgram threadStartProgram(UsdtProbe probe, KernelMap ring) {
        Asm a = new Asm()
                .mov(6, 1)
                .call("get_current_pid_tgid").alu(AluOp.RSH, 0, 32)
                .jmpImm(JumpOp.JNE, 0, (int) ProcessHandle.current().pid(), "out")
                .addAll(probe.loadArgument(1, 7, 6, (short) -56))
                .stx(Size.W, 10, 7, -48).st(Size.W, 10, -44, 0)
                .addAll(probe.loadArgument(3, 7, 6, (short) -56))
                .stx(Size.DW, 10, 7, -40)
                .addAll(probe.loadArgument(0, 8, 6, (short) -56))
                .mov(1, 10).addImm(1, -32).movImm(2, 32).mov(3, 8).call("probe_read_user_str")
                .ldMap(1, ring.fd()).mov(2, 10).addImm(2, -48).movImm(3, 48).movImm(4, 0).call("ringbuf_output")
                .label("out").movImm(0, 0).exit();
        return KernelProgram.load(ProgramDefinition.of(ProgramType.KPROBE, "usdt_thread", a.bytes(), "GPL"));
    }
}
