package io.bpf4j.cli;

import io.bpf4j.MapType;
import io.bpf4j.kernel.BpfSyscallException;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.sys.Errno;
import java.util.Arrays;
import java.util.Optional;

/** Map entries printed as bpftool prints them in {@code map dump} and {@code map lookup}. */
final class Entries {
    private Entries() {}

    /**
     * Looks {@code key} up and prints its entry, or the lookup's error, to {@code out}; an
     * entry of a map with key/value BTF goes BTF-formatted to {@code btfWriter} (which
     * writes to {@code out} too). Returns whether an entry was printed.
     */
    static boolean plain(StringBuilder out, MapView view, JsonWriter btfWriter, byte[] key) {
        KernelMap m = view.map();
        Optional<byte[]> value;
        try {
            value = m.lookup(key);
        } catch (BpfSyscallException e) {
            plainError(out, m, key, e.errno());
            return false;
        }
        if (value.isEmpty()) {
            plainError(out, m, key, Errno.ENOENT);
            return false;
        }
        if (btfWriter != null && view.btf() != null) {
            view.dumpBtf(btfWriter, true, key, value.get());
        } else {
            plainEntry(out, m, key, value.get());
        }
        return true;
    }

    /** As {@link #plain}, as a JSON entry. */
    static void json(JsonWriter w, MapView view, byte[] key) {
        KernelMap m = view.map();
        Optional<byte[]> value;
        int errno = Errno.ENOENT;
        try {
            value = m.lookup(key);
        } catch (BpfSyscallException e) {
            value = Optional.empty();
            errno = e.errno();
        }
        if (value.isPresent()) {
            jsonEntry(w, view, key, value.get());
        } else if (!silentlyAbsent(m, errno)) {
            w.startObject();
            w.name("key");
            Bpftool.hexJson(w, key);
            w.name("value").startObject().field("error", Errno.message(errno)).endObject();
            w.endObject();
        }
    }

    /** print_entry_plain. */
    static void plainEntry(StringBuilder out, KernelMap m, byte[] key, byte[] value) {
        int keySize = m.keySize();
        int valueSize = m.valueSize();
        if (!m.isPerCpu()) {
            boolean breakNames = keySize > 16 || valueSize > 16;
            boolean singleLine = keySize + valueSize <= 24 && !breakNames;
            if (keySize != 0) {
                out.append("key:").append(breakNames ? '\n' : ' ').append(Bpftool.hex(key, " "))
                        .append(singleLine ? "  " : "\n");
            }
            if (valueSize != 0) {
                out.append("value:").append(breakNames ? '\n' : ' ').append(Bpftool.hex(value, " "));
            }
            out.append('\n');
            return;
        }
        if (keySize != 0) {
            out.append("key:\n").append(Bpftool.hex(key, " ")).append('\n');
        }
        if (valueSize != 0) {
            int step = (valueSize + 7) & ~7;
            for (int cpu = 0; cpu * step < value.length; cpu++) {
                out.append(String.format("value (CPU %02d):%c", cpu, valueSize > 16 ? '\n' : ' '))
                        .append(Bpftool.hex(Arrays.copyOfRange(value, cpu * step, cpu * step + valueSize), " ")).append('\n');
            }
        }
    }

    /** print_entry_json: hex key and value(s), and the BTF-formatted entry when the map has BTF. */
    static void jsonEntry(JsonWriter w, MapView view, byte[] key, byte[] value) {
        KernelMap m = view.map();
        w.startObject();
        w.name("key");
        Bpftool.hexJson(w, key);
        if (!m.isPerCpu()) {
            w.name("value");
            Bpftool.hexJson(w, value);
        } else {
            int step = (m.valueSize() + 7) & ~7;
            w.name("values").startArray();
            for (int cpu = 0; cpu * step < value.length; cpu++) {
                w.startObject().field("cpu", cpu).name("value");
                Bpftool.hexJson(w, Arrays.copyOfRange(value, cpu * step, cpu * step + m.valueSize()));
                w.endObject();
            }
            w.endArray();
        }
        if (view.btf() != null) {
            w.name("formatted");
            view.dumpBtf(w, false, key, value);
        }
        w.endObject();
    }

    /** print_entry_error for plain output. */
    private static void plainError(StringBuilder out, KernelMap m, byte[] key, int errno) {
        if (silentlyAbsent(m, errno)) {
            return;
        }
        String msg = errno == Errno.ENOENT ? "<no entry>"
                : errno == Errno.ENOSPC && m.type() == MapType.REUSEPORT_SOCKARRAY ? "<cannot read>"
                : Errno.message(errno);
        boolean breakNames = m.keySize() > 16 || msg.length() > 16;
        boolean singleLine = m.keySize() + msg.length() <= 24 && !breakNames;
        out.append("key:").append(breakNames ? '\n' : ' ').append(Bpftool.hex(key, " "))
                .append(singleLine ? "  " : "\n").append("value:").append(breakNames ? '\n' : ' ').append(msg).append('\n');
    }

    /** An empty slot of a program array or map of maps is no error worth printing. */
    private static boolean silentlyAbsent(KernelMap m, int errno) {
        MapType t = m.type();
        return errno == Errno.ENOENT && (t == MapType.PROG_ARRAY || t == MapType.ARRAY_OF_MAPS || t == MapType.HASH_OF_MAPS);
    }
}
