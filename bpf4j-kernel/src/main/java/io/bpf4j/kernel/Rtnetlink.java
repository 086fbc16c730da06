package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.kernel.sys.Errno;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Layouts.SockaddrNl;
import io.bpf4j.kernel.sys.NetlinkMessage;
import io.bpf4j.kernel.sys.NetlinkMessage.Message;
import io.bpf4j.kernel.sys.Posix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A route netlink socket of the calling thread's network namespace: requests acknowledged
 * or failed with the kernel's extended-ack message, and dumps. Not thread-safe; cheap to
 * open per operation.
 */
final class Rtnetlink implements AutoCloseable {
    private static final int MSG_PEEK = 0x02;
    private static final int MSG_TRUNC = 0x20;

    private final Arena arena = Arena.ofConfined();
    private final Fd fd;
    private final int portId;
    private MemorySegment buffer = arena.allocate(64 * 1024, 8);
    private int seq = (int) (System.nanoTime() & 0x7fffffff);

    private Rtnetlink(Fd fd, int portId) {
        this.fd = fd;
        this.portId = portId;
    }

    static Rtnetlink open() {
        int s = Posix.socket(Posix.AF_NETLINK, Posix.SOCK_RAW | Posix.SOCK_CLOEXEC, NetlinkMessage.NETLINK_ROUTE);
        if (s < 0) {
            throw new SystemCallException("open a route netlink socket", "socket", -s);
        }
        Fd fd = new Fd(s);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocateFrom(ValueLayout.JAVA_INT, 1);
            // Best effort: without these the kernel still answers, with less detail in errors.
            Posix.setsockopt(s, NetlinkMessage.SOL_NETLINK, NetlinkMessage.NETLINK_EXT_ACK, one);
            Posix.setsockopt(s, NetlinkMessage.SOL_NETLINK, NetlinkMessage.NETLINK_CAP_ACK, one);
            MemorySegment addr = a.allocate(SockaddrNl.SIZE, 4);
            SockaddrNl.NL_FAMILY.set(addr, Posix.AF_NETLINK);
            int r = Posix.bind(s, addr);
            if (r < 0) {
                throw new SystemCallException("bind a route netlink socket", "bind", -r);
            }
            r = Posix.getsockname(s, addr);
            if (r < 0) {
                throw new SystemCallException("read the port id of a route netlink socket", "getsockname", -r);
            }
            return new Rtnetlink(fd, SockaddrNl.NL_PID.get(addr));
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /**
     * Sends {@code request} asking for an acknowledgement, and waits for it. A failure throws
     * with {@code what}, the request's name {@code call} and the kernel's message. Returns the
     * messages before the acknowledgement (what {@code NLM_F_ECHO} asked for).
     */
    List<Message> execute(NetlinkMessage.Builder request, String what, String call) {
        return exchange(request.build(++seq, NetlinkMessage.NLM_F_ACK), false, what, call);
    }

    /** Sends a dump request and returns every message of the reply. */
    List<Message> dump(NetlinkMessage.Builder request, String what, String call) {
        return exchange(request.build(++seq, NetlinkMessage.NLM_F_ACK), true, what, call);
    }

    private List<Message> exchange(byte[] request, boolean dump, String what, String call) {
        int expectSeq = seq;
        MemorySegment out = arena.allocate(request.length, 8);
        MemorySegment.copy(request, 0, out, ValueLayout.JAVA_BYTE, 0, request.length);
        long sent = Posix.send(fd.get(), out, 0);
        if (sent < 0) {
            throw new SystemCallException(what, call, (int) -sent);
        }
        List<Message> replies = new ArrayList<>();
        while (true) {
            for (Message m : receive(what, call)) {
                if (m.seq() != expectSeq || m.pid() != portId) {
                    continue; // an answer to an earlier request, or a notification
                }
                switch (m.type()) {
                    case NetlinkMessage.NLMSG_DONE -> {
                        return replies;
                    }
                    case NetlinkMessage.NLMSG_ERROR -> {
                        int error = m.payload().getInt(0);
                        if (error == 0) {
                            if (!dump) {
                                return replies;
                            }
                            continue;
                        }
                        throw new SystemCallException(what, call, -error, extAck(m));
                    }
                    default -> replies.add(m);
                }
            }
        }
    }

    private List<Message> receive(String what, String call) {
        long n;
        while (true) {
            n = Posix.recv(fd.get(), buffer, MSG_PEEK | MSG_TRUNC);
            if (n == -Errno.EINTR) {
                continue;
            }
            if (n < 0) {
                throw new SystemCallException(what + " (reading the reply)", call, (int) -n);
            }
            if (n > buffer.byteSize()) {
                buffer = arena.allocate(n, 8);
            }
            n = Posix.recv(fd.get(), buffer, 0);
            if (n >= 0) {
                break;
            }
            if (n != -Errno.EINTR) {
                throw new SystemCallException(what + " (reading the reply)", call, (int) -n);
            }
        }
        return NetlinkMessage.parse(ByteBuffer.wrap(buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE)));
    }

    /** The kernel's error text, from the extended ack after the error code and the (capped) request header. */
    private static String extAck(Message m) {
        if ((m.flags() & NetlinkMessage.NLM_F_ACK_TLVS) == 0) {
            return null;
        }
        int echoed = (m.flags() & NetlinkMessage.NLM_F_CAPPED) != 0 ? 16 : m.payload().getInt(4);
        try {
            return m.attributes(4 + echoed).get(NetlinkMessage.NLMSGERR_ATTR_MSG)
                    .map(NetlinkMessage.Attribute::string).orElse(null);
        } catch (BpfException e) {
            return null; // the error itself still says what failed
        }
    }

    @Override
    public void close() {
        fd.close();
        arena.close();
    }
}
