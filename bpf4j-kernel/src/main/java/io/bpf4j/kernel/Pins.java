package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.kernel.sys.Errno;
import io.bpf4j.kernel.sys.Libc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Where pins can live: paths on a BPF filesystem (bpffs), mounted at /sys/fs/bpf when absent and permitted. */
final class Pins {
    static final Path DEFAULT_BPFFS = Path.of("/sys/fs/bpf");

    private Pins() {}

    /** Throws a clear error unless {@code path}'s directory is on a bpffs; mounts /sys/fs/bpf when that is what is missing. */
    static void ensureBpffs(String path) {
        Path dir = Path.of(path).toAbsolutePath().normalize().getParent();
        if (dir == null) {
            throw new BpfException("cannot pin at " + path + ": not a file path");
        }
        if ("bpf".equals(filesystemOf(dir))) {
            return;
        }
        if (dir.startsWith(DEFAULT_BPFFS) && !"bpf".equals(filesystemOf(DEFAULT_BPFFS))) {
            int r = Libc.mount("bpf", DEFAULT_BPFFS.toString(), "bpf", 0);
            if (r < 0) {
                throw new BpfException("cannot pin at " + path + ": " + DEFAULT_BPFFS + " is not a BPF filesystem and "
                        + "mounting one failed (" + Errno.name(-r) + "); run: mount -t bpf bpf " + DEFAULT_BPFFS);
            }
            if ("bpf".equals(filesystemOf(dir))) {
                return;
            }
        }
        throw new BpfException("cannot pin at " + path + ": " + dir + " is not on a BPF filesystem (bpffs); pin under "
                + DEFAULT_BPFFS + " or mount one with: mount -t bpf bpf DIR");
    }

    /** The type of the filesystem {@code dir} is on (the longest matching mount point), or null if it does not exist. */
    static String filesystemOf(Path dir) {
        if (!Files.isDirectory(dir)) {
            return null;
        }
        List<String> mounts;
        try {
            mounts = Files.readAllLines(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/mountinfo", e);
        }
        String best = null;
        int bestLength = -1;
        for (String line : mounts) {
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (f.length < 5 || dash < 0 || dash + 1 >= f.length) {
                continue;
            }
            Path mountPoint = Path.of(unescape(f[4]));
            if (dir.startsWith(mountPoint) && mountPoint.getNameCount() >= bestLength) {
                bestLength = mountPoint.getNameCount();
                best = f[dash + 1];
            }
        }
        return best;
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    private static String unescape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
