package io.bpf4j.kernel;

import io.bpf4j.kernel.sys.Errno;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Layouts.EpollEvent;
import io.bpf4j.kernel.sys.Posix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;
import java.util.function.IntUnaryOperator;

/**
 * The waiting and shutdown shared by the event readers: an epoll set of the readers' file
 * descriptors plus an eventfd, so that {@link #close()} from any thread wakes a thread
 * blocked in {@link #poll}. Resources are released exactly once, by whichever of the closing
 * thread and the polling thread is last: never while a poll is still reading mapped memory.
 */
final class Poller {
    /** The token of the wake-up eventfd. */
    private static final long WAKE = -1;

    private final String owner;
    private final Fd epoll;
    private final Fd wake;
    private final Runnable release;
    private final MemorySegment events;
    private final Arena arena = Arena.ofShared();
    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicBoolean released = new AtomicBoolean();
    private final long[] ready;
    private volatile boolean closed;

    /** {@code release} frees the owner's resources (mappings, fds) when the poller is closed and idle. */
    Poller(String owner, int capacity, Runnable release) {
        this.owner = owner;
        this.release = release;
        int ep = Posix.epollCreate();
        if (ep < 0) {
            throw new SystemCallException("create the epoll set of " + owner, "epoll_create1", -ep);
        }
        this.epoll = new Fd(ep);
        int ev = Posix.eventfd(Posix.EFD_CLOEXEC | Posix.EFD_NONBLOCK);
        if (ev < 0) {
            epoll.close();
            throw new SystemCallException("create the wake-up eventfd of " + owner, "eventfd", -ev);
        }
        this.wake = new Fd(ev);
        this.events = arena.allocate((long) EpollEvent.SIZE * Math.max(capacity, 1), 8);
        this.ready = new long[Math.max(capacity, 1)];
        add(ev, WAKE);
    }

    /** Adds {@code fd}, drained by {@link #poll} with {@code token} when it is readable. */
    void add(int fd, long token) {
        int r = Posix.epollCtl(epoll.get(), Posix.EPOLL_CTL_ADD, fd, Posix.EPOLLIN, token);
        if (r < 0) {
            throw new SystemCallException("watch fd " + fd + " for " + owner, "epoll_ctl", -r);
        }
    }

    /** Starts a poll or consume; false when the poller is closed. Only one thread at a time may poll. */
    private boolean enter() {
        if (!busy.compareAndSet(false, true)) {
            throw new IllegalStateException(owner + " is being polled by another thread");
        }
        if (closed) {
            exit();
            return false;
        }
        return true;
    }

    /** Ends what {@link #enter} started; releases the resources if the poller was closed meanwhile. */
    private void exit() {
        busy.set(false);
        if (closed) {
            releaseOnce();
        }
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * Waits up to {@code timeout} for readable descriptors and drains each one's token with
     * {@code drain}. Returns the sum of what {@code drain} returned, 0 on timeout (or a
     * signal), -1 when closed (also when woken by {@link #close()}). One thread at a time.
     */
    int poll(Duration timeout, IntUnaryOperator drain) {
        if (!enter()) {
            return -1;
        }
        try {
            int n = Posix.epollWait(epoll.get(), events, (int) Math.min(timeout.toMillis(), Integer.MAX_VALUE));
            if (n == -Errno.EINTR) {
                return 0;
            }
            if (n < 0) {
                throw new SystemCallException("wait for events of " + owner, "epoll_wait", -n);
            }
            int count = 0;
            for (int i = 0; i < n; i++) {
                long token = EpollEvent.DATA.get(events.asSlice((long) i * EpollEvent.SIZE, EpollEvent.SIZE));
                if (token == WAKE) {
                    return -1;
                }
                ready[count++] = token;
            }
            if (closed) {
                return -1;
            }
            int total = 0;
            for (int i = 0; i < count; i++) {
                total += drain.applyAsInt((int) ready[i]);
            }
            return total;
        } finally {
            exit();
        }
    }

    /** Runs {@code drainAll} without waiting; its result, or -1 when closed. One thread at a time. */
    int consume(IntSupplier drainAll) {
        if (!enter()) {
            return -1;
        }
        try {
            return drainAll.getAsInt();
        } finally {
            exit();
        }
    }

    /** Closes: wakes a waiting poll, and releases now unless a poll is running (it releases when it ends). */
    void close() {
        closed = true;
        synchronized (wake) { // the releasing thread closes it under the same lock
            int fd = wake.get();
            if (fd >= 0) {
                try (Arena a = Arena.ofConfined()) {
                    Posix.write(fd, a.allocateFrom(ValueLayout.JAVA_LONG, 1), 8);
                }
            }
        }
        if (!busy.get()) {
            releaseOnce();
        }
    }

    private void releaseOnce() {
        if (released.compareAndSet(false, true)) {
            try {
                release.run();
            } finally {
                epoll.close();
                synchronized (wake) {
                    wake.close();
                }
                arena.close();
            }
        }
    }
}
