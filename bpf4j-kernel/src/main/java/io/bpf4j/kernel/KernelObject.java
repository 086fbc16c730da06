package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.kernel.sys.Fd;
import java.nio.file.Path;

/**
 * A kernel object held through a file descriptor: a map, program, BTF object or link.
 * Closing releases the descriptor (the kernel frees the object when nothing else holds
 * it: a pin, a program using it, another process); closing twice is harmless.
 */
public abstract sealed class KernelObject implements AutoCloseable permits KernelMap, KernelProgram, KernelBtf, KernelLink {
    private final Fd fd;
    private final int id;

    KernelObject(Fd fd, int id) {
        this.fd = fd;
        this.id = id;
    }

    /** The file descriptor; throws once the object is closed. */
    public final int fd() {
        int f = fd.get();
        if (f < 0) {
            throw new IllegalStateException(this + " is closed");
        }
        return f;
    }

    /** The kernel's id of the object. */
    public final int id() {
        return id;
    }

    /** What {@code /proc/self/fdinfo} says of the object ({@code memlock}, {@code frozen}, {@code prog_jited}...). */
    public final java.util.Map<String, String> fdInfo() {
        return FdInfo.fields(fd());
    }

    /** Bytes of memory charged to the object, as the kernel reports it in fdinfo (0 where it does not). */
    public final long memlock() {
        return FdInfo.number(fd(), "memlock", 0);
    }

    /** Pins the object at {@code path} (maps, programs and links can be pinned). */
    void pinAt(Path path) {
        Sys.pin(fd(), path.toString(), "pin " + this);
    }

    @Override
    public final void close() {
        fd.close();
    }

    /**
     * Opens the object pinned at {@code path}, which must be of {@code kind} (as /proc names
     * it: {@code bpf-map}, {@code bpf-prog}, {@code bpf-link}); {@code noun} names it in errors.
     */
    static Fd openPinned(Path path, String kind, String noun) {
        Fd fd = Sys.getPinned(path.toString(), 0, "open pinned " + noun);
        String actual = FdInfo.kind(fd.get());
        if (!actual.equals(kind)) {
            fd.close();
            throw new BpfException(path + " is not a " + noun + " but a " + actual);
        }
        return fd;
    }

    /** Runs {@code init} on a new object's fd, closing the fd if that fails. */
    static <T> T closingOnFailure(Fd fd, java.util.function.Function<Fd, T> init) {
        try {
            return init.apply(fd);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }
}
