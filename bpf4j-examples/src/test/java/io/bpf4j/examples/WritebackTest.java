package io.bpf4j.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.kernel.testing.KernelTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@KernelTest
class WritebackTest {
    @Test
    void seesTheInodeTheTestWritesAndSyncs(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("dirty");
        Files.write(file, new byte[64 * 1024]);
        long ino = (Long) Files.getAttribute(file, "unix:ino");
        try (ToolRun run = ToolRun.start(new Writeback(), "-i", Long.toString(ino))) {
            run.await(l -> l.startsWith("TIME "), Duration.ofSeconds(60));
            Files.write(file, new byte[128 * 1024]);
            Process sync = new ProcessBuilder("sync").start(); // writes every dirty inode back, ours too
            sync.waitFor();
            String line = run.await(l -> l.matches("\\S+ +\\d+ +\\S+ +\\S+ +" + ino + " +\\d+"), Duration.ofSeconds(20));
            long pages = Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
            assertTrue(pages >= 0, line);
            String out = run.stop();
            assertTrue(out.lines().anyMatch(l -> l.matches("[1-9]\\d* inodes written back")), out);
        }
    }
}
