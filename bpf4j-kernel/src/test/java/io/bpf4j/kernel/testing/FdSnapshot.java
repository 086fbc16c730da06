package io.bpf4j.kernel.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The open file descriptors of this process and what they refer to, so that a test can show
 * that it leaked none and, if it did, which ones.
 *
 * <pre>{@code
 * FdSnapshot before = FdSnapshot.take();
 * ...
 * before.assertNoneLeaked();
 * }</pre>
 */
public record FdSnapshot(Map<Integer, String> fds) {
    public static FdSnapshot take() {
        Map<Integer, String> fds = new TreeMap<>();
        try (Stream<Path> list = Files.list(Path.of("/proc/self/fd"))) {
            list.forEach(p -> {
                try {
                    fds.put(Integer.parseInt(p.getFileName().toString()), Files.readSymbolicLink(p).toString());
                } catch (IOException e) {
                    // closed while listing: the listing's own descriptor
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new FdSnapshot(fds);
    }

    /**
     * Fails naming every descriptor open now that was not open (to the same file) at this
     * snapshot. Waits up to two seconds for them to close first: the JDK closes the pipes of
     * finished processes from a thread of its own. A real leak stays open.
     */
    public void assertNoneLeaked() {
        Map<Integer, String> leaked = leaked();
        for (int i = 0; i < 40 && !leaked.isEmpty(); i++) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            leaked = leaked();
        }
        if (!leaked.isEmpty()) {
            fail("file descriptors leaked: " + leaked);
        }
    }

    private Map<Integer, String> leaked() {
        Map<Integer, String> leaked = new TreeMap<>();
        take().fds().forEach((fd, target) -> {
            if (!target.equals(fds.get(fd)) && !target.startsWith("/proc/")) {
                leaked.put(fd, target);
            }
        });
        return leaked;
    }
}
