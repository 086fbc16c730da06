package io.bpf4j.cli;

import io.bpf4j.BpfException;
import io.bpf4j.kernel.BpfSyscallException;
import io.bpf4j.kernel.KernelLink;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.sys.Libc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** What bpftool's commands share: keyword prefixes, number and byte parsing, hex printing, pinned-path tables. */
final class Bpftool {
    private Bpftool() {}

    /** bpftool's keyword match: the argument may be any prefix of the keyword. */
    static boolean isPrefix(String arg, String keyword) {
        return !arg.isEmpty() && keyword.startsWith(arg);
    }

    /** {@code strtoul(s, &end, 0)} requiring the whole string: 0x.. hex, 0.. octal, else decimal; null when malformed. */
    static Long parseUnsigned(String s) {
        try {
            if (s.startsWith("0x") || s.startsWith("0X")) {
                return s.length() > 2 ? Long.parseUnsignedLong(s.substring(2), 16) : null;
            }
            if (s.length() > 1 && s.startsWith("0")) {
                return Long.parseUnsignedLong(s.substring(1), 8);
            }
            return Long.parseUnsignedLong(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** fprint_hex: bytes as {@code %02x} joined by {@code sep}, two spaces every 8 and a newline every 16. */
    static String hex(byte[] data, String sep) {
        StringBuilder sb = new StringBuilder(data.length * 3);
        for (int i = 0; i < data.length; i++) {
            if (i > 0) {
                sb.append(i % 16 == 0 ? "\n" : i % 8 == 0 ? "  " : sep);
            }
            sb.append(Character.forDigit((data[i] >> 4) & 0xf, 16)).append(Character.forDigit(data[i] & 0xf, 16));
        }
        return sb.toString();
    }

    /** print_hex_data_json: an array of {@code "0x%02x"} strings. */
    static void hexJson(JsonWriter w, byte[] data) {
        w.startArray();
        for (byte b : data) {
            w.value(String.format("0x%02x", b & 0xff));
        }
        w.endArray();
    }

    /**
     * The load time of a program as bpftool prints it: local time {@code %FT%T%z}, or epoch
     * seconds for JSON, from nanoseconds since boot.
     */
    static String bootTime(long nsSinceBoot, boolean json) {
        long real = Libc.clockNanos(Libc.CLOCK_REALTIME);
        long boot = Libc.clockNanos(Libc.CLOCK_BOOTTIME);
        long seconds = (real / 1_000_000_000L - boot / 1_000_000_000L)
                + (real % 1_000_000_000L - boot % 1_000_000_000L + nsSinceBoot) / 1_000_000_000L;
        if (json) {
            return Long.toString(seconds);
        }
        return DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssZ")
                .format(Instant.ofEpochSecond(seconds).atZone(ZoneId.systemDefault()));
    }

    /**
     * Paths of the objects of {@code kind} ({@code bpf-map}, {@code bpf-prog}, {@code bpf-link})
     * pinned on any mounted bpffs, by id.
     */
    static IdTable<String> pinnedPaths(String kind) {
        IdTable<String> table = new IdTable<>();
        for (Path mount : bpffsMounts()) {
            try (Stream<Path> files = Files.walk(mount)) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    Integer id = pinnedId(f, kind);
                    if (id != null) {
                        table.append(id, f.toString());
                    }
                }
            } catch (IOException | UncheckedIOException e) {
                // unreadable parts of a bpffs are left out, as bpftool's nftw walk leaves them
            }
        }
        return table;
    }

    private static Integer pinnedId(Path f, String kind) {
        try {
            return switch (kind) {
                case "bpf-map" -> {
                    try (KernelMap m = KernelMap.openPinned(f)) {
                        yield m.id();
                    }
                }
                case "bpf-prog" -> {
                    try (KernelProgram p = KernelProgram.openPinned(f)) {
                        yield p.id();
                    }
                }
                case "bpf-link" -> {
                    try (KernelLink l = KernelLink.openPinned(f)) {
                        yield l.id();
                    }
                }
                default -> null;
            };
        } catch (BpfException e) {
            return null; // not pinned there, or another kind of object
        }
    }

    private static List<Path> bpffsMounts() {
        List<Path> mounts = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].startsWith("bpf")) {
                    mounts.add(Path.of(f[1]));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/mounts", e);
        }
        return mounts;
    }

    /** The {@code pinned PATH} lines of object {@code id} in bpftool's plain show (with -f). */
    static void plainPins(StringBuilder out, IdTable<String> pins, int id) {
        for (String path : pins.get(id)) {
            out.append("\n\tpinned ").append(path);
        }
    }

    /** The {@code "pinned"} array of object {@code id} in bpftool's JSON show (with -f, when anything is pinned). */
    static void jsonPins(JsonWriter w, IdTable<String> pins, int id) {
        if (!pins.isEmpty()) {
            w.name("pinned").startArray();
            for (String path : pins.get(id)) {
                w.value(path);
            }
            w.endArray();
        }
    }

    /** The error message bpftool gives for a failed call: the C library's text of the errno. */
    static String strerror(BpfSyscallException e) {
        return io.bpf4j.kernel.sys.Errno.message(e.errno());
    }
}
