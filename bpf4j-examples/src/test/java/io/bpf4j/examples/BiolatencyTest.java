package io.bpf4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.nio.file.ExtendedOpenOption;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.kernel.testing.NetNamespace;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@KernelTest
class BiolatencyTest {
    private static final Pattern ROW = Pattern.compile("^ +(\\d+) -> (\\d+) +: (\\d+) +\\|\\**\\s*\\|$");
    private static final int IOS = 48;

    @Test
    void histogramsTheDirectIoOfALoopDevice(@TempDir Path dir) throws Exception {
        Path backing = dir.resolve("disk.img");
        try (FileChannel f = FileChannel.open(backing, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            f.write(ByteBuffer.allocate(1), (4 << 20) - 1);
        }
        String device = NetNamespace.command("losetup", "--find", "--show", backing.toString()).strip();
        String name = Path.of(device).getFileName().toString();
        try (ToolRun run = ToolRun.start(new Biolatency(), "-D", "-e", "-d", name)) {
            run.await(l -> l.equals("Tracing block device I/O... Hit Ctrl-C to end."), Duration.ofSeconds(60));
            directIo(Path.of(device));
            String out = run.stop();
            int start = out.indexOf("\ndisk = " + name + "\n");
            assertTrue(start >= 0, "a section for " + name + ":\n" + out);
            assertTrue(out.contains("     usecs               : count     distribution\n"), out);
            long total = 0;
            for (String line : out.substring(start).lines().toList()) {
                Matcher m = ROW.matcher(line);
                if (m.matches()) {
                    total += Long.parseLong(m.group(3));
                }
            }
            assertEquals(IOS, total, "every direct read and write of " + device + " counted once:\n" + out);
            assertTrue(out.matches("(?s).*\navg = \\d+ usecs, total: \\d+ usecs, count: " + IOS + "\n\n.*"), out);
        } finally {
            NetNamespace.command("losetup", "-d", device);
        }
    }

    /** Half writes, half reads, each 4 KiB and aligned, bypassing the page cache. */
    private static void directIo(Path device) throws Exception {
        ByteBuffer buf = ByteBuffer.allocateDirect(8192).alignedSlice(4096).limit(4096);
        try (FileChannel ch = FileChannel.open(device, StandardOpenOption.READ, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT)) {
            for (int i = 0; i < IOS; i++) {
                buf.clear().limit(4096);
                if (i % 2 == 0) {
                    ch.write(buf, (long) i * 4096);
                } else {
                    ch.read(buf, (long) (i - 1) * 4096);
                }
            }
        }
    }

    @Test
    void intervalsAndCountEndByThemselves() {
        try (ToolRun run = ToolRun.start(new Biolatency(), "-T", "-m", "1", "2")) {
            String out = run.join();
            assertEquals(0, run.exitCode());
            assertTrue(out.startsWith("Tracing block device I/O... Hit Ctrl-C to end.\n\n"), out);
            assertEquals(2, Pattern.compile("(?m)^\\d\\d:\\d\\d:\\d\\d$").matcher(out).results().count(), "two timestamped outputs:\n" + out);
        }
    }
}
