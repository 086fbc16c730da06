package io.bpf4j.bcc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.BpfException;
import io.bpf4j.ProgramType;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfCDump;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiling with clang against the generated vmlinux.h: objects, clang's errors, the caches. */
class BpfCompilerTest {
    private static final String EXEC_COUNTER = """
            struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, u64); } counts SEC(".maps");

            SEC("tracepoint/sched/sched_process_exec")
            int on_exec(struct trace_event_raw_sched_process_exec *ctx)
            {
                u32 zero = 0;
                u64 *n = bpf_map_lookup_elem(&counts, &zero);
                if (n)
                    __sync_fetch_and_add(n, 1);
                return BPF_CORE_READ(ctx, pid) > 0;
            }

            char LICENSE[] SEC("license") = "GPL";
            """;

    // One cache for the class, so that the kernel's vmlinux.h is generated once.
    @TempDir
    static Path cache;
    private static BpfCompiler.Result first;

    @BeforeAll
    static void compileOnce() {
        assumeTrue(Files.isReadable(VmlinuxHeader.KERNEL_BTF), "this kernel has no " + VmlinuxHeader.KERNEL_BTF);
        try {
            BpfCompiler.find();
        } catch (BpfException e) {
            assumeTrue(false, e.getMessage());
        }
        first = BpfCompiler.find().withCacheRoot(cache).compile("count.bpf.c", EXEC_COUNTER);
    }

    @Test
    void compilesWithThePreludeAndCachesHeaderAndObject() {
        BpfCompiler cc = BpfCompiler.find().withCacheRoot(cache);
        assertTrue(first.header().generated(), "the first compile generates vmlinux.h");
        assertFalse(first.cached());
        ObjectSpec spec = ObjectSpec.parse("count.bpf.o", first.object());
        ProgramSpec p = spec.program("on_exec").orElseThrow();
        assertEquals(ProgramType.TRACEPOINT, p.type());
        assertEquals("sched/sched_process_exec", p.attachTarget());
        assertFalse(p.coreRelos().isEmpty(), "BPF_CORE_READ through the generated vmlinux.h makes CO-RE relocations");
        assertEquals("./count.bpf.c", p.lineInfos().getFirst().fileName(), "line info names the source, not a temporary path");

        BpfCompiler.Result second = cc.compile("count.bpf.c", EXEC_COUNTER);
        assertFalse(second.header().generated(), "vmlinux.h comes from the cache");
        assertTrue(second.cached(), "the object comes from the cache");
        assertArrayEquals(first.object(), second.object());
        assertFalse(cc.compile("count.bpf.c", EXEC_COUNTER + "\n// changed\n").cached(), "other text, other object");
        assertFalse(cc.withFlags(List.of("-DX=1")).compile("count.bpf.c", EXEC_COUNTER).cached(), "other flags, other object");
        assertFalse(cc.withoutObjectCache().compile("count.bpf.c", EXEC_COUNTER).cached());
    }

    @Test
    void anIncludedHeaderThatChangesInvalidatesTheCachedObject(@TempDir Path src) throws Exception {
        Files.writeString(src.resolve("limits.h"), "#define LIMIT 1\n");
        Path file = src.resolve("prog.bpf.c");
        Files.writeString(file, """
                #include "limits.h"
                SEC("xdp") int limit(struct xdp_md *ctx) { return LIMIT; }
                char LICENSE[] SEC("license") = "GPL";
                """);
        BpfCompiler cc = BpfCompiler.find().withCacheRoot(cache);
        assertFalse(cc.compile(file).cached());
        assertTrue(cc.compile(file).cached());
        Files.writeString(src.resolve("limits.h"), "#define LIMIT 2\n");
        assertFalse(cc.compile(file).cached(), "limits.h changed");
        assertTrue(cc.compile(file).cached());
    }

    @Test
    void clangErrorsComeBackWithTheirLines() {
        BpfCompiler cc = BpfCompiler.find().withCacheRoot(cache);
        CompileException e = assertThrows(CompileException.class, () -> cc.compile("broken.bpf.c", """
                SEC("xdp")
                int broken(struct xdp_md *ctx)
                {
                    return ctx->no_such_field;
                }
                """));
        CompileException.Diagnostic d = e.errors().getFirst();
        assertEquals("broken.bpf.c", d.file());
        assertEquals(4, d.line());
        assertEquals("error", d.severity());
        assertTrue(d.message().contains("no_such_field"), d.message());
        assertTrue(e.getMessage().startsWith("clang could not compile broken.bpf.c (1 error):\nbroken.bpf.c:4:"), e.getMessage());
        assertTrue(e.getMessage().contains("return ctx->no_such_field;"), "clang's source excerpt: " + e.getMessage());
    }

    @Test
    void missingClangSaysHowToInstallIt(@TempDir Path empty) {
        BpfException e = assertThrows(BpfException.class, () -> BpfCompiler.findClang(null, empty.toString()));
        assertTrue(e.getMessage().contains("clang, which compiles BPF C, was not found on the PATH"), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install clang"), e.getMessage());
        BpfException bad = assertThrows(BpfException.class, () -> BpfCompiler.findClang(empty.resolve("nope").toString(), null));
        assertTrue(bad.getMessage().contains("not an executable file"), bad.getMessage());
    }

    @Test
    void vmlinuxHeaderIsTheDumpOfItsBtfAndKeyedByIt(@TempDir Path dir) throws Exception {
        Path repo = Path.of(System.getProperty("bpf4j.repo.root", "."));
        Btf btf = ObjectSpec.read(repo.resolve("testdata/btf_types.bpf.o")).btf().orElseThrow();
        Path raw = dir.resolve("types.btf");
        Files.write(raw, btf.toBytes());
        VmlinuxHeader h = VmlinuxHeader.of(raw, dir);
        assertTrue(h.generated());
        StringBuilder expected = new StringBuilder();
        BtfCDump.dumpHeader(Btf.parse(btf.toBytes()), expected, true);
        assertEquals(expected.toString(), Files.readString(h.file(), StandardCharsets.UTF_8));
        assertFalse(VmlinuxHeader.of(raw, dir).generated());
        assertEquals(h.file(), VmlinuxHeader.of(raw, dir).file());
        Btf other = ObjectSpec.read(repo.resolve("testdata/core.bpf.o")).btf().orElseThrow();
        Files.write(raw, other.toBytes());
        VmlinuxHeader h2 = VmlinuxHeader.of(raw, dir);
        assertTrue(h2.generated(), "other BTF, another header");
        assertFalse(h2.file().equals(h.file()));
    }

    @Test
    void kernelBuildIdFromElfNotes() throws Exception {
        // two notes: "Xen" (type 18) then "GNU" build id (type 3), as /sys/kernel/notes holds them
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64).order(java.nio.ByteOrder.nativeOrder());
        b.putInt(4).putInt(4).putInt(18).put("Xen\0".getBytes(StandardCharsets.US_ASCII)).putInt(7);
        b.putInt(4).putInt(6).putInt(3).put("GNU\0".getBytes(StandardCharsets.US_ASCII)).put(new byte[] {1, 2, 3, 4, 5, (byte) 0xab, 0, 0});
        assertEquals("0102030405ab", KernelBuild.buildId(java.util.Arrays.copyOf(b.array(), b.position())));
        assertEquals("", KernelBuild.buildId(new byte[] {1, 2, 3}));
        if (Files.isReadable(Path.of("/sys/kernel/notes"))) {
            String ours = KernelBuild.buildId(Files.readAllBytes(Path.of("/sys/kernel/notes")));
            assertTrue(ours.isEmpty() || ours.matches("[0-9a-f]{2,}"), ours);
        }
    }

    @Test
    void makeDependencies() {
        assertEquals(List.of("a.c", "/x/b\\c.h", "my dir/c.h", "$d.h"),
                BpfCompiler.makeDependencies("out.o: a.c /x/b\\c.h \\\n  my\\ dir/c.h $$d.h\n"));
    }
}
