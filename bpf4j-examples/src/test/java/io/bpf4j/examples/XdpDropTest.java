package io.bpf4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.kernel.testing.KernelTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

@KernelTest
class XdpDropTest {
    @Test
    void dropsThePingsAndCountsEveryProtocol() {
        try (DemoNetwork net = DemoNetwork.create("dt")) {
            assertEquals(1, net.sendPing(1), "without the program the device answers pings");
            try (ToolRun run = ToolRun.start(new XdpDrop(), "-d", net.device())) {
                run.await(l -> l.startsWith("Dropping icmp (1) on " + net.device()), Duration.ofSeconds(60));
                assertEquals(0, net.sendPing(4), "no ping is answered while ICMP is dropped");
                net.sendUdp(6, 100);
                run.await(l -> l.matches("\\d\\d:\\d\\d:\\d\\d icmp \\(1\\): \\d+ pkt/s \\(dropped\\)"), Duration.ofSeconds(10));
                String out = run.stop();
                assertTrue(out.contains(String.format("%n%-16s %-10s %s%n", "PROTOCOL", "PACKETS", "ACTION")), out);
                assertTrue(out.contains(String.format("%-16s %-10d %s%n", "icmp (1)", 4, "dropped")), out);
                assertTrue(out.contains(String.format("%-16s %-10d %s%n", "udp (17)", 6, "passed")), out);
            }
            assertEquals(1, net.sendPing(1), "detached on close: pings are answered again");
        }
    }
}
