package io.bpf4j.kernel;

import io.bpf4j.kernel.sys.Errno;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Posix;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.Optional;

/**
 * A socket filter program on a socket ({@code SO_ATTACH_BPF}): the program sees every packet
 * the socket would receive and returns how many bytes of it to keep (0 drops it). The filter
 * holds its own descriptor of the socket, so closing it detaches the program
 * ({@code SO_DETACH_BPF}) from that socket even if the caller closed theirs first.
 *
 * <pre>{@code
 * try (PacketSocket s = PacketSocket.open(NetDevice.of("lo"));
 *      SocketFilter f = SocketFilter.attach(program, s.fd())) { ... }
 * }</pre>
 */
public final class SocketFilter implements Link {
    private final Fd socket;
    private final String program;

    private SocketFilter(Fd socket, String program) {
        this.socket = socket;
        this.program = program;
    }

    /** Attaches {@code program} to the socket {@code socketFd} (which the caller keeps owning). */
    public static SocketFilter attach(KernelProgram program, int socketFd) {
        setOption(socketFd, Posix.SO_ATTACH_BPF, program.fd(), "attach " + program + " to socket " + socketFd);
        int dup = Posix.dup(socketFd);
        if (dup < 0) {
            throw new SystemCallException("hold socket " + socketFd, "fcntl(F_DUPFD_CLOEXEC)", -dup);
        }
        return new SocketFilter(new Fd(dup), program.toString());
    }

    private static void setOption(int socketFd, int option, int value, String what) {
        try (Arena arena = Arena.ofConfined()) {
            int r = Posix.setsockopt(socketFd, Posix.SOL_SOCKET, option, arena.allocateFrom(ValueLayout.JAVA_INT, value));
            if (r < 0) {
                throw new SystemCallException(what, option == Posix.SO_ATTACH_BPF ? "SO_ATTACH_BPF" : "SO_DETACH_BPF", -r);
            }
        }
    }


    @Override
    public Optional<KernelLink> kernelLink() {
        return Optional.empty();
    }

    @Override
    public synchronized void close() {
        int fd = socket.get();
        if (fd < 0) {
            return;
        }
        try {
            setOption(fd, Posix.SO_DETACH_BPF, 0, "detach " + program + " from its socket");
        } catch (SystemCallException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e; // ENOENT: someone else detached it already
            }
        } finally {
            socket.close();
        }
    }

    @Override
    public String toString() {
        return "socket filter " + program;
    }
}
