package io.bpf4j.examples;

import io.bpf4j.BpfException;
import io.bpf4j.bcc.StopSignal;
import io.bpf4j.bcc.Table;
import io.bpf4j.kernel.Kernel;
import io.bpf4j.kernel.KernelMap;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Finds a map another program left behind, pinned on the BPF file system (as by {@code
 * bpftool map create /sys/fs/bpf/findme type hash key 4 value 8 entries 16 name findme}) or
 * by its name among every map of the kernel, then shows its entries and updates or deletes
 * the ones asked for. Keys and values of 1, 2, 4 or 8 bytes are numbers (decimal, or hex
 * with {@code 0x}); others are hex bytes.
 */
@Command(name = "findme", mixinStandardHelpOptions = true,
        description = "Read and update a map pinned on bpffs (default /sys/fs/bpf/findme) or found by name.")
final class Findme extends Tool {
    @Parameters(index = "0", arity = "0..1", paramLabel = "PIN", defaultValue = "/sys/fs/bpf/findme",
            description = "The map's pin (default ${DEFAULT-VALUE}).")
    Path pin;

    @Option(names = {"-n", "--name"}, paramLabel = "NAME", description = "Find the map by name among all maps instead.")
    String name;

    @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE", description = "Store VALUE under KEY (repeatable).")
    List<String> set = List.of();

    @Option(names = {"-d", "--delete"}, paramLabel = "KEY", description = "Delete KEY (repeatable).")
    List<String> delete = List.of();

    @Override
    int run(PrintWriter out, StopSignal stop) {
        try (KernelMap map = name != null ? byName(name) : KernelMap.openPinned(pin)) {
            out.println("Found map '" + map.name() + "' (id " + map.id() + ", " + map.type().bpftoolName() + ", key "
                    + map.keySize() + " bytes, value " + map.valueSize() + " bytes, max " + map.maxEntries() + " entries)"
                    + (name != null ? "" : " at " + pin));
            Table<byte[], byte[]> table = Table.of(map, byte[].class, byte[].class);
            for (String kv : set) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--set takes KEY=VALUE, not '" + kv + "'");
                }
                table.put(parse(kv.substring(0, eq), map.keySize(), "key"), parse(kv.substring(eq + 1), map.valueSize(), "value"));
            }
            for (String k : delete) {
                table.remove(parse(k, map.keySize(), "key"));
            }
            out.println(String.format("%-20s %s", "KEY", "VALUE"));
            table.forEach((k, v) -> out.println(String.format("%-20s %s", format(k), format(v))));
        }
        return 0;
    }

    private static KernelMap byName(String wanted) {
        for (int id : Kernel.mapIds()) {
            KernelMap m;
            try {
                m = KernelMap.openById(id);
            } catch (BpfException gone) {
                continue;
            }
            if (m.name().equals(wanted)) {
                return m;
            }
            m.close();
        }
        throw new BpfException("no map is named '" + wanted + "' (bpftool map show lists them)");
    }

    private static boolean numeric(int size) {
        return size == 1 || size == 2 || size == 4 || size == 8;
    }

    /** A number in this machine's byte order for sizes of 1, 2, 4 and 8 bytes; hex bytes otherwise. */
    static String format(byte[] b) {
        if (!numeric(b.length)) {
            return HexFormat.ofDelimiter(" ").formatHex(b);
        }
        byte[] bigEndian = b.clone();
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            for (int i = 0; i < b.length; i++) {
                bigEndian[i] = b[b.length - 1 - i];
            }
        }
        return new BigInteger(1, bigEndian).toString();
    }

    static byte[] parse(String text, int size, String what) {
        String t = text.strip();
        if (!numeric(size)) {
            byte[] b = HexFormat.of().parseHex(t.replace(" ", "").replaceFirst("^0x", ""));
            if (b.length != size) {
                throw new IllegalArgumentException("the " + what + " has " + size + " bytes; '" + text + "' has " + b.length);
            }
            return b;
        }
        BigInteger n;
        try {
            n = t.startsWith("0x") ? new BigInteger(t.substring(2), 16) : new BigInteger(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the " + what + " '" + text + "' is not a number");
        }
        if (n.signum() < 0) {
            n = n.add(BigInteger.ONE.shiftLeft(8 * size));
        }
        if (n.signum() < 0 || n.bitLength() > 8 * size) {
            throw new IllegalArgumentException("the " + what + " " + text + " does not fit in " + size + " bytes");
        }
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            int shift = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? 8 * i : 8 * (size - 1 - i);
            b[i] = n.shiftRight(shift).byteValue();
        }
        return b;
    }
}
