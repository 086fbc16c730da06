package io.bpf4j.bcc;

import io.bpf4j.BpfException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Compiles BPF C with clang ({@code -target bpf -g -O2}, CO-RE) against the running kernel's
 * {@link VmlinuxHeader} and libbpf's BPF-side headers. By default every source gets a prelude,
 * as if it began with {@code #include "vmlinux.h"}, {@code <bpf/bpf_helpers.h>},
 * {@code <bpf/bpf_tracing.h>}, {@code <bpf/bpf_core_read.h>} and bpf4j's own {@code "bpf4j.h"}
 * ({@code bpf4j_log2l(v)}, the slot of {@code v} in a {@link Log2Histogram}, and {@code
 * bpf4j_add(map, key, n)}, a counter increment). Compiled objects are cached
 * by source, flags, compiler and kernel, and reused while every header the source included
 * is unchanged.
 *
 * <pre>{@code
 * BpfCompiler.Result r = BpfCompiler.find().compile("count.bpf.c", """
 *         SEC("tracepoint/syscalls/sys_enter_execve") int on_exec(void *ctx) { return 0; }
 *         char LICENSE[] SEC("license") = "GPL";
 *         """);
 * ObjectSpec spec = ObjectSpec.parse("count.bpf.o", r.object());
 * }</pre>
 */
public final class BpfCompiler {
    private static final Pattern DIAGNOSTIC = Pattern.compile("^(.+?):(\\d+):(\\d+): (fatal error|error|warning|note): (.*)$");
    private static final String[] PRELUDE = {"vmlinux.h", "bpf/bpf_helpers.h", "bpf/bpf_tracing.h", "bpf/bpf_core_read.h",
        "bpf4j.h"};
    private static final String CACHE_FORMAT = "bpf4j-objects-1";

    private final Path clang;
    private final Path libbpfInclude;
    private final List<String> flags;
    private final boolean prelude;
    private final Path cacheRoot;
    private final boolean cacheObjects;

    private BpfCompiler(Path clang, Path libbpfInclude, List<String> flags, boolean prelude, Path cacheRoot,
            boolean cacheObjects) {
        this.clang = clang;
        this.libbpfInclude = libbpfInclude;
        this.flags = List.copyOf(flags);
        this.prelude = prelude;
        this.cacheRoot = cacheRoot;
        this.cacheObjects = cacheObjects;
    }

    /**
     * What a compile gave.
     *
     * @param object   the ELF object file
     * @param warnings clang's warnings, "" when none
     * @param cached   true when the object came from the cache and clang did not run
     * @param header   the vmlinux.h compiled against, and whether this compile generated it
     */
    public record Result(byte[] object, String warnings, boolean cached, VmlinuxHeader header) {
        public Result {
            object = object.clone();
        }

        @Override
        public byte[] object() {
            return object.clone();
        }
    }

    /**
     * The compiler found from {@code -Dbpf4j.clang}, {@code $BPF4J_CLANG}, or {@code clang}
     * (then {@code clang-N}, newest first) on the {@code PATH}, with libbpf's headers from
     * {@code -Dbpf4j.libbpf.include}, {@code $BPF4J_LIBBPF_INCLUDE}, {@code /usr/include} or
     * {@code /usr/local/include}.
     *
     * @throws BpfException saying how to install what is missing
     */
    public static BpfCompiler find() {
        return new BpfCompiler(findClang(setting("bpf4j.clang", "BPF4J_CLANG"), System.getenv("PATH")), findLibbpfInclude(),
                List.of(), true, Cache.root(), true);
    }

    /** This compiler with extra clang arguments ({@code -DNAME=VALUE}, {@code -I DIR}, {@code -Wall}...). */
    public BpfCompiler withFlags(List<String> extra) {
        List<String> all = new ArrayList<>(flags);
        all.addAll(extra);
        return new BpfCompiler(clang, libbpfInclude, all, prelude, cacheRoot, cacheObjects);
    }

    /** This compiler without the prelude: the source includes what it needs itself. */
    public BpfCompiler withoutPrelude() {
        return new BpfCompiler(clang, libbpfInclude, flags, false, cacheRoot, cacheObjects);
    }

    /** This compiler with its headers and objects cached under {@code root}. */
    public BpfCompiler withCacheRoot(Path root) {
        return new BpfCompiler(clang, libbpfInclude, flags, prelude, Objects.requireNonNull(root), cacheObjects);
    }

    /** This compiler always running clang (the vmlinux.h cache is still used). */
    public BpfCompiler withoutObjectCache() {
        return new BpfCompiler(clang, libbpfInclude, flags, prelude, cacheRoot, false);
    }

    /** The clang this compiler runs. */
    public Path clang() {
        return clang;
    }

    /** Compiles source text; {@code name} (a file name such as {@code "count.bpf.c"}) names it in clang's messages. */
    public Result compile(String name, String source) {
        if (name.isEmpty() || name.contains("/") || name.contains("\0")) {
            throw new IllegalArgumentException("source name '" + name + "' must be a plain file name");
        }
        return compile(name, null, source.getBytes(StandardCharsets.UTF_8));
    }

    /** Compiles a source file; includes relative to it work as they would for clang. */
    public Result compile(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BpfException("cannot read BPF source " + file + ": " + e.getMessage(), e);
        }
        return compile(file.toString(), file.toAbsolutePath(), bytes);
    }

    private Result compile(String name, Path file, byte[] source) {
        VmlinuxHeader header = VmlinuxHeader.ofRunningKernel(cacheRoot);
        List<String> args = arguments(header);
        String key = Cache.sha256(CACHE_FORMAT.getBytes(StandardCharsets.UTF_8), clangIdentity(),
                String.join("\0", args).getBytes(StandardCharsets.UTF_8), name.getBytes(StandardCharsets.UTF_8), source);
        Path object = cacheRoot.resolve("objects").resolve(key + ".o");
        Path deps = cacheRoot.resolve("objects").resolve(key + ".deps");
        if (cacheObjects) {
            byte[] hit = cached(object, deps);
            if (hit != null) {
                return new Result(hit, "", true, header);
            }
        }
        Path dir = tempDir();
        try {
            // Text is compiled in the temporary directory under its own name, so that clang's
            // messages and the object's line info name it as the caller did.
            Path src = file != null ? file : dir.resolve(name);
            if (file == null) {
                Files.write(src, source);
            }
            Path out = dir.resolve("out.o");
            Path depFile = dir.resolve("out.d");
            List<String> command = new ArrayList<>();
            command.add(clang.toString());
            command.addAll(args);
            command.addAll(List.of("-MD", "-MF", depFile.toString(), "-c", name, "-o", out.toString()));
            String output = run(command, file != null ? null : dir);
            List<CompileException.Diagnostic> diagnostics = parse(output);
            if (!Files.isRegularFile(out) || diagnostics.stream().anyMatch(d -> d.severity().endsWith("error"))) {
                throw new CompileException(name, output.strip(), diagnostics);
            }
            byte[] elf = Files.readAllBytes(out);
            if (cacheObjects) {
                Cache.write(deps, dependencies(depFile, src, header, file != null ? Path.of("") : dir).getBytes(StandardCharsets.UTF_8));
                Cache.write(object, elf);
            }
            return new Result(elf, output.strip(), false, header);
        } catch (IOException e) {
            throw new BpfException("compile " + name + ": " + e.getMessage(), e);
        } finally {
            deleteTree(dir);
        }
    }

    /** clang's arguments before the input and output files. */
    private List<String> arguments(VmlinuxHeader header) {
        List<String> args = new ArrayList<>(List.of("-target", "bpf", "-g", "-O2", "-fno-color-diagnostics",
                "-fdebug-compilation-dir=.", "-D__TARGET_ARCH_" + targetArch(), "-I" + header.directory(),
                "-I" + ownHeaders()));
        if (!libbpfInclude.equals(Path.of("/usr/include"))) {
            args.add("-I" + libbpfInclude);
        }
        if (prelude) {
            for (String h : PRELUDE) {
                args.add("-include");
                args.add(h);
            }
        }
        args.addAll(flags);
        return args;
    }

    /** The directory of bpf4j.h, written to the cache under the hash of its contents. */
    private Path ownHeaders() {
        byte[] text;
        try (InputStream in = BpfCompiler.class.getResourceAsStream("bpf4j.h")) {
            text = Objects.requireNonNull(in, "bpf4j.h is missing from the jar").readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path file = cacheRoot.resolve("include").resolve(Cache.sha256(text).substring(0, 24)).resolve("bpf4j.h");
        if (!Files.isRegularFile(file)) {
            Cache.write(file, text);
        }
        return file.getParent();
    }

    /** The cached object when its recorded headers all still have the contents they had, else null. */
    private static byte[] cached(Path object, Path deps) {
        if (!Files.isRegularFile(object) || !Files.isRegularFile(deps)) {
            return null;
        }
        try {
            for (String line : Files.readAllLines(deps, StandardCharsets.UTF_8)) {
                int space = line.indexOf(' ');
                if (space < 0) {
                    return null;
                }
                Path dep = Path.of(line.substring(space + 1));
                if (!Files.isRegularFile(dep) || !Cache.sha256(dep).equals(line.substring(0, space))) {
                    return null;
                }
            }
            return Files.readAllBytes(object);
        } catch (IOException | UncheckedIOException e) {
            return null;
        }
    }

    /**
     * The headers the compile read, each with the SHA-256 of its contents, one per line. The
     * source itself and the vmlinux.h are left out: the cache key already covers them.
     */
    private static String dependencies(Path depFile, Path source, VmlinuxHeader header, Path workDir) throws IOException {
        StringBuilder out = new StringBuilder();
        for (String dep : makeDependencies(Files.readString(depFile))) {
            Path p = workDir.resolve(dep).toAbsolutePath().normalize();
            if (p.equals(source.toAbsolutePath().normalize()) || p.equals(header.file().toAbsolutePath().normalize())) {
                continue;
            }
            out.append(Cache.sha256(p)).append(' ').append(p).append('\n');
        }
        return out.toString();
    }

    /** The prerequisites of a Makefile rule as clang's {@code -MD} writes it ({@code out.o: a.c b.h \}). */
    static List<String> makeDependencies(String rule) {
        String text = rule.replace("\\\n", " ").replace("\\\r\n", " ");
        int colon = text.indexOf(": ");
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = colon < 0 ? 0 : colon + 2; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length() && text.charAt(i + 1) == ' ') {
                cur.append(' ');
                i++;
            } else if (c == '$' && i + 1 < text.length() && text.charAt(i + 1) == '$') {
                cur.append('$');
                i++;
            } else if (Character.isWhitespace(c)) {
                if (!cur.isEmpty()) {
                    out.add(cur.toString());
                    cur.setLength(0);
                }
            } else {
                cur.append(c);
            }
        }
        if (!cur.isEmpty()) {
            out.add(cur.toString());
        }
        return out;
    }

    /** clang's messages with their places. */
    static List<CompileException.Diagnostic> parse(String output) {
        List<CompileException.Diagnostic> out = new ArrayList<>();
        for (String line : output.split("\n")) {
            Matcher m = DIAGNOSTIC.matcher(line);
            if (m.matches()) {
                out.add(new CompileException.Diagnostic(m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                        m.group(4), m.group(5)));
            }
        }
        return out;
    }

    private String run(List<String> command, Path workDir) {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(workDir == null ? null : workDir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new BpfException("cannot run " + clang + ": " + e.getMessage() + " (" + INSTALL_CLANG + ")", e);
        }
        try (InputStream in = p.getInputStream()) {
            String output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return output;
        } catch (IOException e) {
            throw new BpfException("reading clang's output: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new BpfException("interrupted while clang compiled", e);
        }
    }

    private static final String INSTALL_CLANG = "install clang 10 or newer (Debian/Ubuntu: apt-get install clang; "
            + "Fedora: dnf install clang) or set BPF4J_CLANG to its path; a prebuilt object can be loaded "
            + "without clang with Bpf.load(Path)";

    /** clang at {@code configured} (null for none), else the first {@code clang}, {@code clang-N} on {@code path}. */
    static Path findClang(String configured, String path) {
        if (configured != null) {
            Path p = Path.of(configured);
            if (!Files.isExecutable(p)) {
                throw new BpfException("BPF4J_CLANG / -Dbpf4j.clang names " + configured + ", which is not an executable file");
            }
            return p;
        }
        List<String> names = new ArrayList<>(List.of("clang"));
        for (int v = 30; v >= 10; v--) {
            names.add("clang-" + v);
        }
        String dirs = Objects.requireNonNullElse(path, "/usr/local/bin:/usr/bin:/bin");
        for (String name : names) {
            for (String dir : dirs.split(File.pathSeparator)) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, name);
                if (Files.isExecutable(p) && !Files.isDirectory(p)) {
                    return p;
                }
            }
        }
        throw new BpfException("clang, which compiles BPF C, was not found on the PATH (" + dirs + "): " + INSTALL_CLANG);
    }

    private static Path findLibbpfInclude() {
        String configured = setting("bpf4j.libbpf.include", "BPF4J_LIBBPF_INCLUDE");
        List<Path> candidates = configured != null ? List.of(Path.of(configured))
                : List.of(Path.of("/usr/include"), Path.of("/usr/local/include"));
        for (Path dir : candidates) {
            if (Files.isRegularFile(dir.resolve("bpf/bpf_helpers.h"))) {
                return dir;
            }
        }
        throw new BpfException("libbpf's BPF headers (bpf/bpf_helpers.h) were not found in " + candidates
                + ": install them (Debian/Ubuntu: apt-get install libbpf-dev; Fedora: dnf install libbpf-devel) or set "
                + "BPF4J_LIBBPF_INCLUDE to the directory that holds bpf/bpf_helpers.h");
    }

    private static String setting(String property, String env) {
        String v = System.getProperty(property);
        if (v == null || v.isEmpty()) {
            v = System.getenv(env);
        }
        return v == null || v.isEmpty() ? null : v;
    }

    /** The {@code __TARGET_ARCH_*} that bpf_tracing.h's {@code PT_REGS_*} macros need for this machine. */
    static String targetArch() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "amd64", "x86_64" -> "x86";
            case "aarch64", "arm64" -> "arm64";
            case "arm" -> "arm";
            case "s390x" -> "s390";
            case "ppc64le", "ppc64" -> "powerpc";
            case "riscv64" -> "riscv";
            case "loongarch64" -> "loongarch";
            case "mips64", "mips64el" -> "mips";
            default -> throw new BpfException("no __TARGET_ARCH_ for os.arch " + arch + ": pass -D__TARGET_ARCH_xxx with withFlags");
        };
    }

    /** What makes this clang itself: its real path, size and modification time. */
    private byte[] clangIdentity() {
        try {
            Path real = clang.toRealPath();
            return (real + "\0" + Files.size(real) + "\0" + Files.getLastModifiedTime(real).toMillis())
                    .getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BpfException("cannot stat " + clang + ": " + e.getMessage(), e);
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("bpf4j-cc");
        } catch (IOException e) {
            throw new BpfException("cannot create a temporary directory for clang: " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a leftover temporary file is not worth failing a compile that succeeded
        }
    }
}
