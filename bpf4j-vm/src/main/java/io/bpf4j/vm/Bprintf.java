package io.bpf4j.vm;

import java.nio.charset.StandardCharsets;

/**
 * The format language of {@code bpf_trace_printk}, {@code bpf_trace_vprintk} and
 * {@code bpf_snprintf}, checked and rendered as the kernel does
 * ({@code bpf_bprintf_prepare} then {@code bstr_printf}): only printable ASCII; flags
 * {@code 0 + - space} and a width; {@code %d %i %u %x %X} with {@code l}/{@code ll};
 * {@code %c}; {@code %s %ks %us} (strings read from memory, empty when unreadable);
 * {@code %p %pK %px %ps %pS %pB} and {@code %pI4 %pi4 %pI6 %pi6} (addresses read from
 * memory). Anything else, or more conversions than arguments, is {@code -EINVAL}.
 *
 * <p>One difference: the kernel prints {@code %p} and {@code %pK} as a hash of the
 * pointer; the VM prints the value itself, as {@code %px} does.
 */
final class Bprintf {
    /** MAX_BPRINTF_BIN_ARGS: the room the kernel has for the arguments of one call. */
    private static final int BIN_ARGS = 512;

    private Bprintf() {}

    /** The formatted text, or null when the kernel would return -EINVAL or -ENOSPC (see {@link #error}). */
    static String format(Execution ex, byte[] fmt, long[] args, int argCount, int[] error) {
        StringBuilder out = new StringBuilder();
        int spec = 0;
        int binUsed = 0;
        int n = fmt.length;
        for (int i = 0; i < n; i++) {
            int c = fmt[i] & 0xff;
            if (c >= 0x80 || c < 0x20 && !isSpace(c) || c == 0x7f) {
                return fail(error, Errno.EINVAL);
            }
            if (c != '%') {
                out.append((char) c);
                continue;
            }
            if (at(fmt, i + 1) == '%') {
                out.append('%');
                i++;
                continue;
            }
            if (spec >= argCount) {
                return fail(error, Errno.EINVAL);
            }
            i++;
            boolean left = false;
            boolean zero = false;
            boolean plus = false;
            boolean space = false;
            while (true) {
                int f = at(fmt, i);
                if (f == '0') {
                    zero = true;
                } else if (f == '-') {
                    left = true;
                } else if (f == '+') {
                    plus = true;
                } else if (f == ' ') {
                    space = true;
                } else {
                    break;
                }
                i++;
            }
            int width = 0;
            if (at(fmt, i) >= '1' && at(fmt, i) <= '9') {
                while (at(fmt, i) >= '0' && at(fmt, i) <= '9') {
                    width = Math.min(width * 10 + at(fmt, i) - '0', 4096);
                    i++;
                }
            }
            long arg = args[spec];
            int conv = at(fmt, i);
            String text;
            if (conv == 'p') {
                int next = at(fmt, i + 1);
                if ((next == 'k' || next == 'u') && at(fmt, i + 2) == 's') {
                    i += 2;
                    if (!endsString(at(fmt, i + 1))) {
                        return fail(error, Errno.EINVAL);
                    }
                    if (binUsed >= BIN_ARGS) {
                        return fail(error, Errno.ENOSPC);
                    }
                    text = readString(ex, arg, BIN_ARGS - binUsed, next == 'u');
                    binUsed += text.length() + 1;
                } else if (next == 0 || isSpace(next) || isPunct(next) || next == 'K' || next == 'x' || next == 's'
                        || next == 'S') {
                    if (next == 'K' || next == 'x' || next == 's' || next == 'S') {
                        i++;
                    }
                    binUsed = align4(binUsed) + 8;
                    text = next == 's' || next == 'S' ? "0x" + Long.toHexString(arg)
                            : arg == 0 && next != 'x' && next != 'K' ? "(null)" : hex16(arg);
                } else if (next == 'B') {
                    i++;
                    text = "0x" + Long.toHexString(arg);
                    binUsed += text.length() + 1;
                } else if ((next == 'i' || next == 'I') && (at(fmt, i + 2) == '4' || at(fmt, i + 2) == '6')) {
                    boolean v4 = at(fmt, i + 2) == '4';
                    i += 2;
                    byte[] ip = new byte[v4 ? 4 : 16];
                    if (!ex.probeRead(arg, ip, 0, ip.length, false)) {
                        java.util.Arrays.fill(ip, (byte) 0);
                    }
                    text = v4 ? ipv4(ip, next == 'i') : ipv6(ip, next == 'I');
                    binUsed += text.length() + 1;
                } else {
                    return fail(error, Errno.EINVAL);
                }
            } else if (conv == 's') {
                if (!endsString(at(fmt, i + 1))) {
                    return fail(error, Errno.EINVAL);
                }
                if (binUsed >= BIN_ARGS) {
                    return fail(error, Errno.ENOSPC);
                }
                text = readString(ex, arg, BIN_ARGS - binUsed, false);
                binUsed += text.length() + 1;
            } else if (conv == 'c') {
                binUsed++;
                text = String.valueOf((char) (arg & 0xff));
            } else {
                int size = 4;
                if (conv == 'l') {
                    size = 8;
                    conv = at(fmt, ++i);
                    if (conv == 'l') {
                        conv = at(fmt, ++i);
                    }
                }
                if (conv != 'i' && conv != 'd' && conv != 'u' && conv != 'x' && conv != 'X') {
                    return fail(error, Errno.EINVAL);
                }
                binUsed = align4(binUsed) + size;
                long v = size == 4 ? (conv == 'd' || conv == 'i' ? (int) arg : arg & 0xffff_ffffL) : arg;
                text = number(v, conv, zero && !left, plus, space, width);
            }
            if (binUsed > BIN_ARGS) {
                return fail(error, Errno.ENOSPC);
            }
            spec++;
            pad(out, text, width, left);
        }
        return out.toString();
    }

    private static String fail(int[] error, int errno) {
        error[0] = -errno;
        return null;
    }

    private static int at(byte[] fmt, int i) {
        return i < fmt.length ? fmt[i] & 0xff : 0;
    }

    private static boolean isSpace(int c) {
        return c == ' ' || c >= '\t' && c <= '\r';
    }

    private static boolean isPunct(int c) {
        return c > 0x20 && c < 0x7f && !Character.isLetterOrDigit(c);
    }

    private static boolean endsString(int c) {
        return c == 0 || isSpace(c) || isPunct(c);
    }

    private static int align4(int n) {
        return (n + 3) & ~3;
    }

    private static String hex16(long v) {
        String h = Long.toHexString(v);
        return "0".repeat(16 - h.length()) + h;
    }

    private static String number(long v, int conv, boolean zeroPad, boolean plus, boolean space, int width) {
        String digits;
        String sign = "";
        switch (conv) {
            case 'd', 'i' -> {
                digits = v < 0 ? Long.toUnsignedString(-v) : Long.toString(v);
                sign = v < 0 ? "-" : plus ? "+" : space ? " " : "";
            }
            case 'u' -> digits = Long.toUnsignedString(v);
            case 'x' -> digits = Long.toHexString(v);
            default -> digits = Long.toHexString(v).toUpperCase(java.util.Locale.ROOT);
        }
        if (zeroPad && sign.length() + digits.length() < width) {
            digits = "0".repeat(width - sign.length() - digits.length()) + digits;
        }
        return sign + digits;
    }

    private static void pad(StringBuilder out, String text, int width, boolean left) {
        int fill = width - text.length();
        if (!left) {
            out.repeat(' ', Math.max(0, fill));
        }
        out.append(text);
        if (left) {
            out.repeat(' ', Math.max(0, fill));
        }
    }

    /** A NUL-terminated string at {@code address}, at most {@code room - 1} bytes; empty when unreadable. */
    static String readString(Execution ex, long address, int room, boolean user) {
        byte[] one = new byte[1];
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < room - 1; i++) {
            if (!ex.probeRead(address + i, one, 0, 1, user)) {
                return "";
            }
            if (one[0] == 0) {
                break;
            }
            s.append((char) (one[0] & 0xff));
        }
        return s.toString();
    }

    private static String ipv4(byte[] ip, boolean padded) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            if (i > 0) {
                s.append('.');
            }
            String part = Integer.toString(ip[i] & 0xff);
            s.append(padded ? "0".repeat(3 - part.length()) + part : part);
        }
        return s.toString();
    }

    private static String ipv6(byte[] ip, boolean colons) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 16; i += 2) {
            if (colons && i > 0) {
                s.append(':');
            }
            s.append(String.format("%02x%02x", ip[i] & 0xff, ip[i + 1] & 0xff));
        }
        return s.toString();
    }

    /** The NUL-terminated format at {@code address}, read within {@code maxSize} bytes; null when there is no NUL. */
    static byte[] readFormat(Execution ex, long address, long maxSize) {
        Region r = ex.mem.readable(address, 1);
        int start = (int) address;
        int limit = (int) Math.min(r.end, start + Math.min(maxSize, Integer.MAX_VALUE));
        for (int i = start; i < limit; i++) {
            if (r.bytes[i] == 0) {
                return java.util.Arrays.copyOfRange(r.bytes, start, i);
            }
        }
        return null;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
