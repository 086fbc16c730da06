package io.bpf4j.kernel;

import io.bpf4j.kernel.sys.Errno;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Layouts.SockaddrLl;
import io.bpf4j.kernel.sys.Posix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;

/**
 * A raw packet socket ({@code AF_PACKET}, every protocol) bound to one network device: it
 * sends whole Ethernet frames and receives every frame the device sends or receives. A
 * {@link SocketFilter} program on it chooses which frames it receives, as BCC's
 * {@code attach_raw_socket} does.
 *
 * <pre>{@code
 * try (PacketSocket s = PacketSocket.open(NetDevice.of("eth0"));
 *      SocketFilter f = SocketFilter.attach(program, s.fd())) {
 *     byte[] frame = new byte[2048];
 *     int n = s.receive(frame, Duration.ofSeconds(1));
 * }
 * }</pre>
 */
public final class PacketSocket implements AutoCloseable {
    private static final int ETH_P_ALL = 0x0003;

    private final Fd fd;
    private final NetDevice device;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(65536, 8);

    private PacketSocket(Fd fd, NetDevice device) {
        this.fd = fd;
        this.device = device;
    }

    /** Opens a socket on {@code device} (of the calling thread's network namespace). */
    public static PacketSocket open(NetDevice device) {
        int protocol = Short.toUnsignedInt(Short.reverseBytes((short) ETH_P_ALL));
        int s = Posix.socket(Posix.AF_PACKET, Posix.SOCK_RAW | Posix.SOCK_CLOEXEC, protocol);
        if (s < 0) {
            throw new SystemCallException("open a packet socket on " + device, "socket(AF_PACKET)", -s,
                    -s == Errno.EPERM ? "needs root or CAP_NET_RAW" : null);
        }
        Fd fd = new Fd(s);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment addr = a.allocate(SockaddrLl.SIZE, 4);
            SockaddrLl.SLL_FAMILY.set(addr, Posix.AF_PACKET);
            SockaddrLl.SLL_PROTOCOL.set(addr, protocol);
            SockaddrLl.SLL_IFINDEX.set(addr, device.index());
            int r = Posix.bind(s, addr);
            if (r < 0) {
                throw new SystemCallException("bind a packet socket to " + device, "bind", -r);
            }
            return new PacketSocket(fd, device);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    public int fd() {
        int f = fd.get();
        if (f < 0) {
            throw new IllegalStateException("packet socket on " + device + " is closed");
        }
        return f;
    }

    public NetDevice device() {
        return device;
    }

    /** Sends one Ethernet frame out of the device. */
    public synchronized void send(byte[] frame) {
        MemorySegment.copy(frame, 0, buffer, ValueLayout.JAVA_BYTE, 0, frame.length);
        long n = Posix.send(fd(), buffer.asSlice(0, frame.length), 0);
        if (n < 0) {
            throw new SystemCallException("send a frame on " + device, "send", (int) -n);
        }
    }

    /**
     * Receives the next frame into {@code into} (truncated to its length), waiting at most
     * {@code timeout}; returns the frame's length, or -1 when none came in time.
     */
    public synchronized int receive(byte[] into, Duration timeout) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment tv = a.allocate(16, 8);
            tv.set(ValueLayout.JAVA_LONG, 0, timeout.toSeconds());
            tv.set(ValueLayout.JAVA_LONG, 8, Math.max(timeout.toNanosPart() / 1000, timeout.isZero() ? 1 : 0));
            Posix.setsockopt(fd(), Posix.SOL_SOCKET, Posix.SO_RCVTIMEO, tv);
        }
        while (true) {
            long n = Posix.recv(fd(), buffer, 0);
            if (n == -Errno.EAGAIN) {
                return -1;
            }
            if (n == -Errno.EINTR) {
                continue;
            }
            if (n < 0) {
                throw new SystemCallException("receive a frame on " + device, "recv", (int) -n);
            }
            MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, into, 0, (int) Math.min(n, into.length));
            return (int) n;
        }
    }

    @Override
    public void close() {
        fd.close();
        // The buffer stays until the last send or receive has returned.
        synchronized (this) {
            if (arena.scope().isAlive()) {
                arena.close();
            }
        }
    }
}
