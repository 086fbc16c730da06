package io.bpf4j.kernel;

import io.bpf4j.kernel.sys.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The log of a load (program or BTF): run once without a log for speed; after a failure,
 * run again with a log, growing the buffer while the kernel answers ENOSPC, so that the
 * error comes with the kernel's whole explanation and is never silently truncated.
 */
final class KernelLog {
    static final int INITIAL_SIZE = 64 * 1024;
    /** The kernel refuses log buffers of {@code UINT32_MAX >> 2} bytes or more. */
    static final int MAX_SIZE = (int) (0xFFFF_FFFFL >> 2) - 1;

    private KernelLog() {}

    /** One attempt of a load with a log buffer (NULL and size 0 when the level is 0). */
    interface Attempt {
        /** Returns the result of bpf(); reports the kernel's true log size through {@code trueSize[0]} when it knows it. */
        long run(int level, MemorySegment buffer, int[] trueSize);
    }

    /** The outcome: the result (fd or minus errno) and the log text. */
    record Outcome(long result, String log) {}

    static Outcome load(Attempt attempt, int requestedLevel) {
        int[] trueSize = new int[1];
        if (requestedLevel == 0) {
            long r = attempt.run(0, MemorySegment.NULL, trueSize);
            if (r >= 0) {
                return new Outcome(r, "");
            }
        }
        int level = requestedLevel == 0 ? 1 : requestedLevel;
        int size = INITIAL_SIZE;
        while (true) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = arena.allocate(size);
                trueSize[0] = 0;
                long r = attempt.run(level, buffer, trueSize);
                if (r != -Errno.ENOSPC || size >= MAX_SIZE) {
                    return new Outcome(r, buffer.getString(0));
                }
                long want = trueSize[0] > size ? trueSize[0] + 1L : 2L * size;
                size = (int) Math.min(want, MAX_SIZE);
            }
        }
    }
}
