package io.bpf4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.kernel.testing.KernelTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

@KernelTest
class HelloXdpTest {
    @Test
    void countsAndGreetsThePacketsSentToTheDevice() {
        try (DemoNetwork net = DemoNetwork.create("ht");
                ToolRun run = ToolRun.start(new HelloXdp(), "-d", net.device(), "-i", "1")) {
            run.await(l -> l.startsWith("Counting packets on " + net.device() + " (xdpgeneric)"), Duration.ofSeconds(60));
            net.sendUdp(5, 32);
            run.await(l -> l.endsWith(" packets=5"), Duration.ofSeconds(10));
            String out = run.stop();
            assertTrue(out.endsWith("\n5 packets in total\n"), out);
            // 32 bytes of UDP payload: a 74-byte frame (Ethernet 14, IPv4 20, UDP 8)
            for (int i = 1; i <= 5; i++) {
                String hello = "    " + HelloXdp.PREFIX + " packet " + i + ", 74 bytes (cpu ";
                assertTrue(out.contains(hello), "trace line '" + hello + "' in:\n" + out);
            }
        }
    }

    @Test
    void demoModeMakesItsOwnNetworkAndTraffic() {
        try (ToolRun run = ToolRun.start(new HelloXdp(), "-c", "2", "-i", "1")) {
            String out = run.join();
            assertEquals(0, run.exitCode());
            assertTrue(out.lines().anyMatch(l -> l.matches("\\d\\d:\\d\\d:\\d\\d packets=[12]")), out);
            assertTrue(out.endsWith("\n2 packets in total\n"), "one datagram per interval:\n" + out);
        }
    }
}
