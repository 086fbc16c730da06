package io.bpf4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.kernel.UnsupportedFeatureException;
import io.bpf4j.kernel.testing.KernelTest;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@KernelTest
class SendcountTest {
    @Test
    void countsTheBytesTheTestSendsOverAUnixSocketAndNoFileWrites(@TempDir Path dir) throws Exception {
        long self = ProcessHandle.current().pid();
        try (ToolRun run = ToolRun.start(new Sendcount(), "-p", Long.toString(self))) {
            run.await(l -> l.startsWith("Counting bytes sent over Unix stream sockets by " + self), Duration.ofSeconds(60));
            UnixDomainSocketAddress address = UnixDomainSocketAddress.of(dir.resolve("sock"));
            try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(address);
                    SocketChannel client = SocketChannel.open(address);
                    SocketChannel peer = server.accept()) {
                for (int size : new int[] {4000, 4000, 4345}) {
                    ByteBuffer b = ByteBuffer.allocate(size);
                    while (b.hasRemaining()) {
                        client.write(b);
                    }
                }
                ByteBuffer in = ByteBuffer.allocate(12345);
                while (in.hasRemaining()) {
                    peer.read(in);
                }
            }
            Files.write(dir.resolve("not-a-socket"), new byte[99999]);
            String out = run.stop();
            int totals = out.indexOf("\nTotals:\n");
            assertTrue(totals > 0, out);
            Matcher m = Pattern.compile("(?m)^" + self + " +\\S+ +(\\d+) +(\\d+)$").matcher(out.substring(totals));
            assertTrue(m.find(), "the test's process in the totals:\n" + out);
            assertEquals(12345, Long.parseLong(m.group(2)), "exactly the bytes sent over the socket:\n" + out);
        }
    }

    @Test
    void kretprobeVersionNeedsKprobes() {
        boolean kprobes = Files.exists(Path.of("/sys/bus/event_source/devices/kprobe"))
                || Files.exists(Path.of("/sys/kernel/tracing/kprobe_events"));
        if (kprobes) {
            try (ToolRun run = ToolRun.start(new Sendcount(), "--kprobe")) {
                run.await(l -> l.contains("kretprobe unix_stream_sendmsg"), Duration.ofSeconds(60));
                run.stop();
            }
            return;
        }
        Sendcount tool = new Sendcount();
        new picocli.CommandLine(tool).parseArgs("--kprobe");
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                () -> tool.run(new java.io.PrintWriter(java.io.Writer.nullWriter()), io.bpf4j.bcc.StopSignal.manual()));
        assertTrue(e.getMessage().startsWith("kretprobe on unix_stream_sendmsg needs a kernel with kprobes"), e.getMessage());
    }
}
