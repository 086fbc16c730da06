package io.bpf4j.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A dynamic perf event source ({@code kprobe}, {@code uprobe}) as sysfs describes it: the
 * type number perf_event_open wants, and where in {@code config} the return-probe bit and
 * the reference counter offset go.
 *
 * @param retprobeBit    the bit of {@code config} that makes a return probe
 * @param refCtrShift    the first bit of {@code config} holding a USDT semaphore offset, or -1 if the PMU has none
 */
record PerfPmu(String name, int type, int retprobeBit, int refCtrShift) {
    static final Path DEVICES = Path.of("/sys/bus/event_source/devices");

    /** The PMU named {@code name}, if this kernel has it. */
    static Optional<PerfPmu> of(String name) {
        Path dir = DEVICES.resolve(name);
        try {
            int type = Integer.parseInt(Files.readString(dir.resolve("type")).trim());
            return Optional.of(new PerfPmu(name, type, firstBit(dir.resolve("format/retprobe")),
                    firstBit(dir.resolve("format/ref_ctr_offset"))));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The first bit of a format file such as {@code config:32-63}, or -1 if there is no such file. */
    private static int firstBit(Path format) throws IOException {
        if (!Files.exists(format)) {
            return -1;
        }
        return parseFirstBit(Files.readString(format));
    }

    static int parseFirstBit(String format) {
        String s = format.trim();
        if (!s.startsWith("config:")) {
            throw new NumberFormatException("unexpected perf format '" + s + "'");
        }
        String bits = s.substring("config:".length());
        int dash = bits.indexOf('-');
        return Integer.parseInt(dash < 0 ? bits : bits.substring(0, dash));
    }
}
