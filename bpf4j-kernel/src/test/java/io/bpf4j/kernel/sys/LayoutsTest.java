package io.bpf4j.kernel.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.kernel.testing.KernelTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The generated layouts are what their generator makes, and agree with the running kernel's BTF. */
class LayoutsTest {
    private static final Path ROOT = Path.of(System.getProperty("bpf4j.repo.root", "."));

    @Test
    void generatedFilesAreCurrent() throws Exception {
        assertEquals("", run("--check"));
    }

    @Test
    @KernelTest
    void committedLayoutsMatchThisKernel() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/sys/kernel/btf/vmlinux")), "no /sys/kernel/btf/vmlinux");
        assertEquals("", run("--verify-live"));
    }

    @Test
    void fieldsSitWhereTheKernelPutsThem() {
        // Spot checks against offsets in include/uapi/linux/bpf.h, which never move.
        assertEquals(28, Layouts.MapCreate.MAP_NAME.offset());
        assertEquals(16, Layouts.MapElem.VALUE.offset());
        assertEquals(Layouts.MapElem.VALUE.offset(), Layouts.MapElem.NEXT_KEY.offset());
        assertEquals(48, Layouts.ProgLoad.PROG_NAME.offset());
        assertEquals(8, Layouts.ProgInfo.TAG.offset());
        assertEquals(8, Layouts.ProgInfo.TAG.size());
        assertEquals(1, Layouts.ProgInfo.GPL_COMPATIBLE.width());
        assertEquals(BpfCmd.PROG_TEST_RUN.id(), 10);
    }

    private static String run(String option) throws IOException, InterruptedException {
        Path script = ROOT.resolve("scripts/gen-kernel-layouts");
        assumeTrue(Files.isExecutable(script), "no " + script);
        Process p = new ProcessBuilder("python3", script.toString(), option).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        return code == 0 ? "" : "exit " + code + ": " + out;
    }
}
