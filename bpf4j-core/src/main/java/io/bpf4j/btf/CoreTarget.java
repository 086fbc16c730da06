package io.bpf4j.btf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The BTF that CO-RE relocations are resolved against: a main BTF (the kernel's
 * {@code vmlinux}, or any BTF file) and, for the running kernel only, the BTF of its loaded
 * modules, which are searched when {@code vmlinux} has no candidate (as libbpf does).
 *
 * <pre>{@code
 * CoreTarget kernel = CoreTarget.kernel();                       // /sys/kernel/btf/*
 * CoreTarget custom = CoreTarget.of(Btf.read(Path.of("old-vmlinux.btf"), null));
 * }</pre>
 */
public final class CoreTarget {
    /** Where the running kernel publishes its BTF. */
    public static final Path KERNEL_BTF_DIR = Path.of("/sys/kernel/btf");

    /** A named BTF that candidates are taken from; module BTF ids continue vmlinux's. */
    record Source(String name, Btf btf, int firstId) {}

    private final Btf main;
    private final Path moduleDir;
    private List<Source> modules;
    private final Map<Btf, Map<String, int[]>> flavoredNames = new IdentityHashMap<>();

    private CoreTarget(Btf main, Path moduleDir) {
        this.main = Objects.requireNonNull(main);
        this.moduleDir = moduleDir;
    }

    /** Only {@code btf}: no module BTF is searched (libbpf's {@code btf_custom_path}). */
    public static CoreTarget of(Btf btf) {
        return new CoreTarget(btf, null);
    }

    /** The running kernel: {@code /sys/kernel/btf/vmlinux}, and its modules' BTF when needed. */
    public static CoreTarget kernel() {
        return new CoreTarget(Btf.read(KERNEL_BTF_DIR.resolve("vmlinux"), null), KERNEL_BTF_DIR);
    }

    /** A BTF file, such as a saved {@code vmlinux} BTF, with no modules. */
    public static CoreTarget read(Path btfFile) {
        return of(Btf.read(btfFile, null));
    }

    /** The main (vmlinux) BTF. */
    public Btf main() {
        return main;
    }

    /** Module BTFs, read on first use, in name order (empty for a custom target). */
    synchronized List<Source> modules() {
        if (modules == null) {
            modules = moduleDir == null ? List.of() : readModules();
        }
        return modules;
    }

    private List<Source> readModules() {
        List<Source> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(moduleDir)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (!name.equals("vmlinux")) {
                    out.add(new Source(name, Btf.read(f, main), main.typeCount()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + moduleDir + ": " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * Ids of the types of {@code btf} from {@code firstId} on whose name without its flavor
     * suffix is {@code essential}, in id order: the exact names from the BTF's own name index,
     * and flavored names ({@code foo___v2}) from an index of those alone, built once per BTF.
     */
    synchronized int[] idsByEssentialName(Btf btf, int firstId, String essential) {
        Map<String, int[]> flavors = flavoredNames.computeIfAbsent(btf, b -> {
            Map<String, int[]> m = new HashMap<>();
            for (int id = firstId; id < b.typeCount(); id++) {
                String name = b.type(id).name();
                int length = name.indexOf("___") >= 0 ? CoreSpec.essentialLength(name) : name.length();
                if (length < name.length()) {
                    m.merge(name.substring(0, length), new int[] {id}, CoreTarget::concat);
                }
            }
            return m;
        });
        int[] exact = Arrays.stream(btf.idsByName(essential)).filter(id -> id >= firstId).toArray();
        int[] all = concat(exact, flavors.getOrDefault(essential, new int[0]));
        Arrays.sort(all);
        return all;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
