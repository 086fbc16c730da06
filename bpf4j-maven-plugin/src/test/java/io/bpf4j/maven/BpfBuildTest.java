package io.bpf4j.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.TestRun;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.vm.Vm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin's build with the real clang: objects, skeletons, resources, incremental rebuilds and clang's errors. */
class BpfBuildTest {
    private static final String CLANG = "clang";
    private static final String COUNTER = """
            #include <linux/bpf.h>
            #include <bpf/bpf_helpers.h>
            #include "shared.h"

            __u64 packets = 0;

            SEC("xdp")
            int count(struct xdp_md *ctx)
            {
            	packets += STEP;
            	return XDP_PASS;
            }

            char LICENSE[] SEC("license") = "GPL";
            """;

    @TempDir
    Path dir;
    private final List<String> log = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    @BeforeAll
    static void needsClang() throws InterruptedException {
        boolean present;
        try {
            present = new ProcessBuilder(CLANG, "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException e) {
            present = false;
        }
        if (!present) {
            System.err.println("[bpf4j] skipping BpfBuildTest: no '" + CLANG + "' on the PATH");
        }
        assumeTrue(present, "clang is not installed");
    }

    private BpfBuild build(List<String> args, boolean embed) {
        return new BpfBuild(new BpfBuild.Settings(dir.resolve("src/main/bpf"), dir.resolve("gen"), dir.resolve("res"), dir.resolve("work"),
                "com.example.bpf", CLANG, args, List.of(), dir.resolve("no-vmlinux"), List.of(), embed), log::add, warnings::add);
    }

    private void sources(String counter, String header) throws IOException {
        Files.createDirectories(dir.resolve("src/main/bpf"));
        Files.writeString(dir.resolve("src/main/bpf/counter.bpf.c"), counter);
        Files.writeString(dir.resolve("src/main/bpf/shared.h"), header);
    }

    @Test
    void compilesGeneratesAndRedoesOnlyWhatChanged() throws Exception {
        sources(COUNTER, "#define STEP 1\n");
        BpfBuild.Result first = build(List.of(), false).run();
        assertEquals(1, first.compiled().size());
        Path object = dir.resolve("work/objects/counter.bpf.o");
        Path java = dir.resolve("gen/com/example/bpf/Counter.java");
        Path resource = dir.resolve("res/com/example/bpf/counter.bpf.o");
        assertEquals(List.of(java), first.generated());
        assertTrue(Files.readString(java).contains("Skeleton.open(Counter.class, \"counter.bpf.o\")"));
        assertTrue(java.toString().endsWith("Counter.java"));
        assertEquals(-1, Files.mismatch(object, resource), "the object ships next to its skeleton");
        assertEquals(1, runCount(object), "the object is what clang made of the source");

        BpfBuild.Result again = build(List.of(), false).run();
        assertEquals(List.of(), again.compiled(), "nothing changed");
        assertEquals(List.of(), again.generated());

        Files.writeString(dir.resolve("src/main/bpf/shared.h"), "#define STEP 5\n");
        Files.setLastModifiedTime(dir.resolve("src/main/bpf/shared.h"), FileTime.from(Instant.now().plusSeconds(5)));
        assertEquals(1, build(List.of(), false).run().compiled().size(), "an included header changed");
        assertEquals(5, runCount(object));

        assertEquals(1, build(List.of("-DEXTRA=1"), false).run().compiled().size(), "the command changed");
        assertEquals(List.of(java), build(List.of("-DEXTRA=1"), true).run().generated(), "embedding changes the skeleton only");
        assertTrue(Files.readString(java).contains("ObjectFile.bytes()"));
        assertFalse(Files.exists(resource), "an embedded object is no resource");

        Files.delete(dir.resolve("src/main/bpf/counter.bpf.c"));
        build(List.of("-DEXTRA=1"), true).run();
        assertFalse(Files.exists(java), "the skeleton of a deleted source goes with it");
    }

    /** Runs the object's program in the VM and returns what it added to {@code packets}. */
    private static long runCount(Path object) throws IOException {
        try (Vm vm = Vm.create(); var loaded = vm.load(ObjectSpec.read(object))) {
            loaded.program("count").orElseThrow().testRun(TestRun.ofData(new byte[64]));
            byte[] bss = loaded.map("counter.bss").orElseThrow().lookup(new byte[4]).orElseThrow();
            return java.nio.ByteBuffer.wrap(bss).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        }
    }

    @Test
    void clangErrorsAreShownWithTheirSource() throws IOException {
        sources(COUNTER.replace("packets += STEP;", "packets += MISSING;"), "#define STEP 1\n");
        BpfBuild.BuildException e = assertThrows(BpfBuild.BuildException.class, () -> build(List.of(), false).run());
        assertTrue(e.getMessage().startsWith("clang could not compile " + dir.resolve("src/main/bpf/counter.bpf.c") + " (exit 1):\n"),
                e.getMessage());
        assertTrue(e.getMessage().contains("counter.bpf.c:10:") && e.getMessage().contains("use of undeclared identifier 'MISSING'"),
                e.getMessage());
        assertFalse(Files.exists(dir.resolve("work/objects/counter.bpf.o")));
    }

    @Test
    void missingCompilerIsNamed() throws IOException {
        sources(COUNTER, "#define STEP 1\n");
        BpfBuild b = new BpfBuild(new BpfBuild.Settings(dir.resolve("src/main/bpf"), dir.resolve("gen"), dir.resolve("res"),
                dir.resolve("work"), "p", "no-such-clang", List.of(), List.of(), dir.resolve("none"), List.of(), false), log::add, log::add);
        BpfBuild.BuildException e = assertThrows(BpfBuild.BuildException.class, b::run);
        assertTrue(e.getMessage().startsWith("cannot run 'no-such-clang' to compile "), e.getMessage());
    }

    @Test
    void parsesClangDependencyRules() {
        assertEquals(List.of("a.bpf.c", "/usr/include/linux/bpf.h", "dir with space/x.h"),
                BpfBuild.dependencies("obj/a.o: a.bpf.c \\\n  /usr/include/linux/bpf.h dir\\ with\\ space/x.h\n"));
    }

    @Test
    void vmlinuxHeaderComesFromKernelBtf() throws Exception {
        Path btf = Path.of("/sys/kernel/btf/vmlinux");
        assumeTrue(Files.isReadable(btf), "no kernel BTF at " + btf);
        Files.createDirectories(dir.resolve("src/main/bpf"));
        Files.writeString(dir.resolve("src/main/bpf/task.bpf.c"), """
                #include "vmlinux.h"
                #include <bpf/bpf_helpers.h>
                #include <bpf/bpf_core_read.h>

                __u32 last_pid = 0;

                SEC("tp_btf/sched_process_exec")
                int on_exec(__u64 *ctx)
                {
                	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
                	last_pid = BPF_CORE_READ(t, tgid);
                	return 0;
                }

                char LICENSE[] SEC("license") = "GPL";
                """);
        BpfBuild b = new BpfBuild(new BpfBuild.Settings(dir.resolve("src/main/bpf"), dir.resolve("gen"), dir.resolve("res"), dir.resolve("work"),
                "p", CLANG, List.of(), List.of(), btf, List.of(), false), log::add, warnings::add);
        assertEquals(1, b.run().compiled().size(), String.join("\n", log));
        assertTrue(Files.readString(b.vmlinuxHeader()).contains("struct task_struct {"));
        ObjectSpec spec = ObjectSpec.read(dir.resolve("work/objects/task.bpf.o"));
        assertFalse(spec.btfExt().orElseThrow().coreRelos().isEmpty(), "CO-RE relocations against vmlinux.h's types");
    }
}
