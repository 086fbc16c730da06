package io.bpf4j.bcc;

import io.bpf4j.BpfException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where generated headers and compiled objects are kept between runs: {@code
 * -Dbpf4j.cache.dir}, else {@code $BPF4J_CACHE_DIR}, else {@code $XDG_CACHE_HOME/bpf4j}, else
 * {@code ~/.cache/bpf4j}. Files are written whole under a temporary name and then renamed,
 * so a concurrent run sees either no file or a complete one.
 */
final class Cache {
    private Cache() {}

    /** The cache root of this process's settings. */
    static Path root() {
        String dir = System.getProperty("bpf4j.cache.dir");
        if (dir == null || dir.isEmpty()) {
            dir = System.getenv("BPF4J_CACHE_DIR");
        }
        if (dir != null && !dir.isEmpty()) {
            return Path.of(dir);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isEmpty()) {
            return Path.of(xdg, "bpf4j");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "bpf4j");
    }

    /** Writes {@code data} to {@code file} atomically, creating its directory. */
    static void write(Path file, byte[] data) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), file.getFileName() + ".", ".tmp");
            try {
                Files.write(tmp, data);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new BpfException("cannot write " + file + " (set -Dbpf4j.cache.dir or BPF4J_CACHE_DIR to a writable "
                    + "directory): " + e.getMessage(), e);
        }
    }

    /** SHA-256 of the given parts, each length-prefixed so that no two different lists hash alike. */
    static String sha256(byte[]... parts) {
        MessageDigest md = digest();
        for (byte[] p : parts) {
            md.update(lengthPrefix(p.length));
            md.update(p);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** SHA-256 of a file's contents. */
    static String sha256(Path file) {
        try {
            return sha256(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] lengthPrefix(int n) {
        return new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n};
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
