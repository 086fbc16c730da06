package io.bpf4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.kernel.testing.NetNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** findme against maps bpftool creates, checked back with bpftool. */
@KernelTest
class FindmeTest {
    private static final Path BPFTOOL = Path.of("/usr/sbin/bpftool");

    @Test
    void readsAndUpdatesAMapPinnedByBpftool() throws Exception {
        assumeTrue(Files.isExecutable(BPFTOOL), "bpftool is not installed");
        Path pin = Path.of("/sys/fs/bpf/bpf4j-findme-" + ProcessHandle.current().pid());
        String name = "findme" + ProcessHandle.current().pid() % 100_000;
        NetNamespace.command(BPFTOOL.toString(), "map", "create", pin.toString(), "type", "hash", "key", "4", "value", "8",
                "entries", "16", "name", name);
        try {
            NetNamespace.command(BPFTOOL.toString(), "map", "update", "pinned", pin.toString(), "key", "1", "0", "0", "0", "value",
                    "42", "0", "0", "0", "0", "0", "0", "0");
            NetNamespace.command(BPFTOOL.toString(), "map", "update", "pinned", pin.toString(), "key", "3", "0", "0", "0", "value",
                    "9", "0", "0", "0", "0", "0", "0", "0");
            try (ToolRun run = ToolRun.start(new Findme(), pin.toString(), "--set", "2=0x1000000007", "--delete", "3")) {
                String out = run.join();
                assertTrue(out.startsWith("Found map '" + name + "' (id "), out);
                assertTrue(out.contains(", hash, key 4 bytes, value 8 bytes, max 16 entries) at " + pin + "\n"), out);
                assertTrue(out.contains(String.format("%-20s %s%n", "1", "42")), out);
                assertTrue(out.contains(String.format("%-20s %s%n", "2", "68719476743")), out);
                assertTrue(!out.contains(String.format("%n%-20s ", "3")), out);
            }
            String two = NetNamespace.command(BPFTOOL.toString(), "map", "lookup", "pinned", pin.toString(), "key", "2", "0", "0", "0");
            assertTrue(two.contains("07 00 00 00 10 00 00 00"), "bpftool sees the update: " + two);
            try (ToolRun byName = ToolRun.start(new Findme(), "-n", name)) {
                String out = byName.join();
                assertTrue(out.startsWith("Found map '" + name + "'"), out);
                assertEquals(2, out.lines().filter(l -> l.matches("[12] +\\d+")).count(), out);
            }
        } finally {
            Files.deleteIfExists(pin);
        }
    }

    @Test
    void parsesAndFormatsNumbersInTheMachinesOrder() {
        assertEquals("4294967295", Findme.format(Findme.parse("-1", 4, "key")));
        assertEquals("258", Findme.format(Findme.parse("0x102", 2, "key")));
        assertEquals("01 02 03", Findme.format(Findme.parse("010203", 3, "key")));
    }
}
