package io.bpf4j.btf;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A BTF string section: NUL-terminated strings addressed by byte offset. In split BTF
 * the offsets continue after the base's strings, so {@link #start} is the base's length.
 */
final class StringTable {
    private final StringTable base;
    private final byte[] bytes;
    private final int start;
    private String[] cache;

    StringTable(StringTable base, byte[] bytes) {
        this.base = base;
        this.bytes = bytes;
        this.start = base == null ? 0 : base.end();
    }

    /** One past the last offset this table (with its base) addresses. */
    int end() {
        return start + bytes.length;
    }

    /** This table's own bytes, without the base's. */
    byte[] bytes() {
        return bytes;
    }

    StringTable base() {
        return base;
    }

    boolean contains(int offset) {
        return offset >= 0 && offset < end();
    }

    /** The string at {@code offset}; the caller has checked {@link #contains}. */
    String get(int offset) {
        if (offset < start) {
            return base.get(offset);
        }
        int local = offset - start;
        String[] c = cache;
        if (c == null) {
            c = cache = new String[bytes.length];
        }
        String s = c[local];
        if (s == null) {
            int end = local;
            while (bytes[end] != 0) {
                end++;
            }
            s = c[local] = decode(bytes, local, end - local);
        }
        return s;
    }

    /** Drops the decoding cache; the table is immutable and can be decoded again. */
    void releaseCache() {
        cache = null;
    }

    private static String decode(byte[] b, int off, int len) {
        for (int i = off, end = off + len; i < end; i++) {
            if (b[i] < 0) {
                return new String(b, off, len, StandardCharsets.UTF_8);
            }
        }
        return new String(b, off, len, StandardCharsets.ISO_8859_1);
    }

    /** Offsets of the strings that start after a NUL, first occurrence wins (for re-encoding). */
    Map<String, Integer> index() {
        Map<String, Integer> map = new HashMap<>();
        int s = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                map.putIfAbsent(decode(bytes, s, i - s), start + s);
                s = i + 1;
            }
        }
        return map;
    }
}
