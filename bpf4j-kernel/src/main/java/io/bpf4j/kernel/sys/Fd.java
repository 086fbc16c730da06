package io.bpf4j.kernel.sys;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An owned file descriptor, closed exactly once: closing again, or from two threads at
 * once, is harmless. Using it after close is reported with {@link #get()}.
 */
public final class Fd implements AutoCloseable {
    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(Fd.class, "value", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through VALUE
    private volatile int value;

    /** Takes ownership of {@code fd}, which must be open. */
    public Fd(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("not a file descriptor: " + fd);
        }
        this.value = fd;
    }

    /** The descriptor, or -1 once closed. */
    public int get() {
        return value;
    }

    public boolean isClosed() {
        return value < 0;
    }

    @Override
    public void close() {
        int fd = (int) VALUE.getAndSet(this, -1);
        if (fd >= 0) {
            Libc.close(fd);
        }
    }
}
