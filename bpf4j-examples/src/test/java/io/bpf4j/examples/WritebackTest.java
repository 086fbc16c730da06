package io.bpf4j.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.kernel.testing.KernelTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@KernelTest
class WritebackTest {
    @Test
    void seesTheInodeTheTestWritesAndSyncs(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("dirty");
        Files.createFile(file);
        sync(); // the new inode clean before the tool starts
        long ino = (Long) Files.getAttribute(file, "unix:ino");
        try (ToolRun run = ToolRun.start(new Writeback(), "-i", Long.toString(ino))) {
            run.await(l -> l.startsWith("TIME "), Duration.ofSeconds(60));
            // Appended, never truncated: ext4 flushes a truncated file's delayed blocks on close by itself, outside
            // the writeback path the tracepoint is on. sync writes every dirty inode back, ours too.
            Files.write(file, new byte[128 * 1024], StandardOpenOption.APPEND);
            sync();
            String line = run.await(l -> l.matches("\\S+ +\\d+ +\\S+ +\\S+ +" + ino + " +\\d+"), Duration.ofSeconds(20));
            long pages = Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
            assertTrue(pages >= 0, line);
            String out = run.stop();
            assertTrue(out.lines().anyMatch(l -> l.matches("[1-9]\\d* inodes written back")), out);
        }
    }

    private static void sync() throws Exception {
        new ProcessBuilder("sync").inheritIO().start().waitFor();
    }
}
