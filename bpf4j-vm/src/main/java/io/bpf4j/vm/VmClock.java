package io.bpf4j.vm;

/**
 * The clocks of the time helpers: {@code bpf_ktime_get_ns} and {@code bpf_ktime_get_coarse_ns}
 * ({@link #monotonicNs}), {@code bpf_ktime_get_boot_ns}, {@code bpf_ktime_get_tai_ns} and
 * {@code bpf_jiffies64}. Tests can fix them:
 *
 * <pre>{@code
 * Vm vm = Vm.builder().clock(VmClock.fixed(1_000_000)).build();
 * }</pre>
 */
public interface VmClock {
    /** CLOCK_MONOTONIC in nanoseconds. */
    long monotonicNs();

    /** CLOCK_BOOTTIME in nanoseconds; the monotonic clock unless overridden. */
    default long bootNs() {
        return monotonicNs();
    }

    /** CLOCK_TAI in nanoseconds; wall-clock time unless overridden. */
    default long taiNs() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** Jiffies at HZ 250 (Debian's kernels), counted from the boot clock. */
    default long jiffies() {
        return bootNs() / 4_000_000L;
    }

    /** The JVM's monotonic clock ({@link System#nanoTime()}). */
    static VmClock system() {
        return System::nanoTime;
    }

    /** Every clock stands at {@code ns}. */
    static VmClock fixed(long ns) {
        return new VmClock() {
            @Override
            public long monotonicNs() {
                return ns;
            }

            @Override
            public long taiNs() {
                return ns;
            }
        };
    }
}
