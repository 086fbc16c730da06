package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.ProgramType;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfType;
import io.bpf4j.object.ExternSpec;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

/**
 * The values of an object's {@code __kconfig} externs, filled into its {@code .kconfig} map
 * as libbpf fills them: {@code CONFIG_*} from {@code /boot/config-$(uname -r)} or
 * {@code /proc/config.gz}, and libbpf's virtual {@code LINUX_KERNEL_VERSION},
 * {@code LINUX_HAS_BPF_COOKIE} and {@code LINUX_HAS_SYSCALL_WRAPPER}. Unset weak externs stay 0.
 */
final class KconfigValues {
    private static final int BPF_FUNC_GET_ATTACH_COOKIE = 174;

    private enum Kind { BOOL, TRISTATE, CHAR, INT, CHAR_ARRAY }

    private record Slot(ExternSpec extern, Kind kind, boolean signed) {}

    private final byte[] data;
    private final Map<String, Slot> slots = new LinkedHashMap<>();
    private final Map<String, Boolean> set = new LinkedHashMap<>();
    private final Consumer<String> log;

    private KconfigValues(byte[] data, Consumer<String> log) {
        this.data = data;
        this.log = log;
    }

    /** The {@code .kconfig} map's value for {@code externs}, read from the running kernel. */
    static byte[] resolve(Btf btf, List<ExternSpec> externs, int size, Consumer<String> log) {
        KconfigValues v = new KconfigValues(new byte[size], log);
        boolean needConfig = false;
        for (ExternSpec e : externs) {
            if (e.kind() != ExternSpec.Kind.KCONFIG) {
                continue;
            }
            Slot s = slot(btf, e);
            v.slots.put(e.name(), s);
            if (e.name().startsWith("CONFIG_")) {
                needConfig = true;
                continue;
            }
            long value = switch (e.name()) {
                case "LINUX_KERNEL_VERSION" -> FeatureProbe.kernelVersionCode(Kernel.release());
                case "LINUX_HAS_BPF_COOKIE" -> FeatureProbe.helper(ProgramType.TRACEPOINT, BPF_FUNC_GET_ATTACH_COOKIE) ? 1 : 0;
                case "LINUX_HAS_SYSCALL_WRAPPER" -> KernelSymbols.address("__x64_sys_bpf") != 0 ? 1 : 0;
                default -> {
                    if (!e.name().startsWith("LINUX_") || !e.weak()) {
                        throw new BpfException("extern (kcfg) '" + e.name() + "': unrecognized virtual extern");
                    }
                    yield -1;
                }
            };
            if (value >= 0) {
                v.setNumber(s, value);
                log.accept(String.format("extern (kcfg) '%s': set to 0x%x", e.name(), value));
            }
        }
        if (needConfig) {
            v.readKernelConfig();
        }
        for (Slot s : v.slots.values()) {
            if (!v.set.containsKey(s.extern().name())) {
                if (!s.extern().weak()) {
                    throw new BpfException("extern '" + s.extern().name() + "' (strong): not resolved");
                }
                log.accept("extern '" + s.extern().name() + "' (weak): not resolved, defaulting to zero");
            }
        }
        return v.data;
    }

    private static Slot slot(Btf btf, ExternSpec e) {
        int type = btf.resolve(((BtfType.Var) btf.type(e.typeId())).type());
        BtfType t = btf.type(type);
        Kind kind = kind(btf, t);
        if (kind == null) {
            throw new BpfException("extern (kcfg) '" + e.name() + "': type is unsupported");
        }
        return new Slot(e, kind, t instanceof BtfType.Int i && i.isSigned());
    }

    /** libbpf's {@code find_kcfg_type}. */
    private static Kind kind(Btf btf, BtfType t) {
        return switch (t) {
            case BtfType.Int i when (i.encoding() & BtfType.Int.BOOL) != 0 -> i.size() == 1 ? Kind.BOOL : null;
            case BtfType.Int i when i.size() == 1 -> Kind.CHAR;
            case BtfType.Int i -> Integer.bitCount(i.size()) == 1 && i.size() <= 8 ? Kind.INT : null;
            case BtfType.Enum e when e.size() == 4 && e.name().equals("libbpf_tristate") -> Kind.TRISTATE;
            case BtfType.Enum64 e when e.name().equals("libbpf_tristate") -> Kind.TRISTATE;
            case BtfType.Array a when a.length() > 0 && kind(btf, btf.type(btf.resolve(a.type()))) == Kind.CHAR -> Kind.CHAR_ARRAY;
            default -> null;
        };
    }

    private void readKernelConfig() {
        Path boot = Path.of("/boot/config-" + Kernel.release());
        Path file = Files.isReadable(boot) ? boot : Path.of("/proc/config.gz");
        if (!Files.isReadable(file)) {
            throw new BpfException("failed to open system Kconfig: neither " + boot + " nor /proc/config.gz is readable");
        }
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            raw.mark(2);
            boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(gzip ? new GZIPInputStream(raw) : raw,
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    configLine(line, file);
                }
            }
        } catch (IOException e) {
            throw new BpfException("failed to read system Kconfig " + file + ": " + e.getMessage());
        }
    }

    /** libbpf's {@code bpf_object__process_kconfig_line}. */
    private void configLine(String line, Path file) {
        if (!line.startsWith("CONFIG_")) {
            return;
        }
        int eq = line.indexOf('=');
        if (eq < 0 || eq == line.length() - 1) {
            throw new BpfException("error parsing system Kconfig " + file + " line '" + line + "': no " + (eq < 0 ? "separator" : "value"));
        }
        Slot s = slots.get(line.substring(0, eq));
        if (s == null || set.containsKey(s.extern().name())) {
            return;
        }
        String value = line.substring(eq + 1);
        String name = s.extern().name();
        switch (value.charAt(0)) {
            case 'y', 'n', 'm' -> {
                char c = value.charAt(0);
                switch (s.kind()) {
                    case BOOL -> {
                        if (c == 'm') {
                            throw new BpfException("extern (kcfg) '" + name + "': value 'm' implies tristate or char type");
                        }
                        put(s, c == 'y' ? 1 : 0);
                    }
                    case TRISTATE -> put(s, c == 'y' ? 1 : c == 'm' ? 2 : 0);
                    case CHAR -> put(s, c);
                    default -> throw new BpfException("extern (kcfg) '" + name + "': value '" + c + "' implies bool, tristate, or char type");
                }
            }
            case '"' -> {
                if (s.kind() != Kind.CHAR_ARRAY || value.length() < 2 || !value.endsWith("\"")) {
                    throw new BpfException("extern (kcfg) '" + name + "': value '" + value + "' implies char array type");
                }
                byte[] str = value.substring(1, value.length() - 1).getBytes(StandardCharsets.UTF_8);
                int len = Math.min(str.length, s.extern().size() - 1);
                System.arraycopy(str, 0, data, s.extern().offset(), len);
                data[s.extern().offset() + len] = 0;
                set.put(name, true);
            }
            default -> {
                long n;
                try {
                    n = value.startsWith("0x") || value.startsWith("0X") ? Long.parseUnsignedLong(value.substring(2), 16)
                            : value.startsWith("0") && value.length() > 1 ? Long.parseUnsignedLong(value.substring(1), 8)
                            : Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new BpfException("extern (kcfg) '" + name + "': value '" + value + "' isn't a valid integer");
                }
                if (s.kind() != Kind.INT && s.kind() != Kind.CHAR) {
                    throw new BpfException("extern (kcfg) '" + name + "': value '" + value + "' implies integer type");
                }
                setNumber(s, n);
            }
        }
        log.accept("extern (kcfg) '" + name + "': set to " + value);
    }

    /** libbpf's {@code set_kcfg_value_num}: range-checked for the extern's size and signedness. */
    private void setNumber(Slot s, long v) {
        String name = s.extern().name();
        if (s.kind() != Kind.INT && s.kind() != Kind.CHAR && s.kind() != Kind.BOOL) {
            throw new BpfException("extern (kcfg) '" + name + "': value '" + Long.toUnsignedString(v)
                    + "' implies integer, char, or boolean type");
        }
        if (s.kind() == Kind.BOOL && Long.compareUnsigned(v, 1) > 0) {
            throw new BpfException("extern (kcfg) '" + name + "': value '" + Long.toUnsignedString(v) + "' isn't boolean compatible");
        }
        int bits = s.extern().size() * 8;
        boolean fits = bits == 64 || (s.signed() ? Long.compareUnsigned(v + (1L << (bits - 1)), 1L << bits) < 0 : v >>> bits == 0);
        if (!fits) {
            throw new BpfException("extern (kcfg) '" + name + "': value '" + Long.toUnsignedString(v) + "' doesn't fit in "
                    + s.extern().size() + " bytes");
        }
        put(s, v);
    }

    private void put(Slot s, long v) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
        int off = s.extern().offset();
        switch (s.extern().size()) {
            case 1 -> b.put(off, (byte) v);
            case 2 -> b.putShort(off, (short) v);
            case 4 -> b.putInt(off, (int) v);
            case 8 -> b.putLong(off, v);
            default -> throw new BpfException("extern (kcfg) '" + s.extern().name() + "' has size " + s.extern().size());
        }
        set.put(s.extern().name(), true);
    }
}
