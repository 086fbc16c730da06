package io.bpf4j.maven;

import io.bpf4j.BpfException;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfCDump;
import io.bpf4j.gen.SkeletonGenerator;
import io.bpf4j.object.ObjectSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Compiles the BPF C sources of a directory with clang into objects and generates a Java
 * skeleton of each, redoing only what changed: a source is compiled again when it, a header it
 * includes (as clang's dependency file lists them) or the compiler command changed; a
 * skeleton is generated again when its object or the generator's settings changed.
 * {@code vmlinux.h} is generated from the kernel's BTF by bpf4j itself.
 */
final class BpfBuild {
    /**
     * Where things are and how to build them.
     *
     * @param sources the directory of {@code *.bpf.c} files (and headers they include)
     * @param javaOutput the source root the skeletons go under
     * @param resourceOutput the resource root the objects go under, unless embedded
     * @param work where objects, dependency files and {@code vmlinux.h} are kept between builds
     * @param packageName the skeletons' package
     * @param clang the compiler to run
     * @param compilerArgs more clang arguments, after bpf4j's own
     * @param includes more include directories
     * @param vmlinuxBtf the kernel BTF {@code vmlinux.h} is made from (it is not made if this does not exist)
     * @param types further struct names to generate records for (events), where an object has them
     * @param embed embed each object in its skeleton instead of loading it from the class path
     */
    record Settings(Path sources, Path javaOutput, Path resourceOutput, Path work, String packageName, String clang,
            List<String> compilerArgs, List<String> includes, Path vmlinuxBtf, List<String> types, boolean embed) {
        Settings {
            compilerArgs = List.copyOf(compilerArgs);
            includes = List.copyOf(includes);
            types = List.copyOf(types);
            Objects.requireNonNull(packageName, "packageName");
        }
    }

    /** What one build did. */
    record Result(List<Path> compiled, List<Path> upToDate, List<Path> generated) {}

    /** A source that clang refused, or a tool that could not run: the message says which and why. */
    static final class BuildException extends Exception {
        private static final long serialVersionUID = 1L;

        BuildException(String message) {
            super(message);
        }
    }

    private final Settings settings;
    private final Consumer<String> info;
    private final Consumer<String> warn;

    BpfBuild(Settings settings, Consumer<String> info, Consumer<String> warn) {
        this.settings = settings;
        this.info = info;
        this.warn = warn;
    }

    /** The directory of the object files. */
    Path objects() {
        return settings.work().resolve("objects");
    }

    Path vmlinuxHeader() {
        return settings.work().resolve("include").resolve("vmlinux.h");
    }

    Result run() throws BuildException, IOException {
        List<Path> sources = sources();
        List<Path> compiled = new ArrayList<>();
        List<Path> upToDate = new ArrayList<>();
        List<Path> generated = new ArrayList<>();
        Set<Path> produced = new HashSet<>();
        if (sources.isEmpty()) {
            info.accept("no BPF sources (*.bpf.c) in " + settings.sources());
        } else {
            vmlinux();
            Files.createDirectories(objects());
        }
        for (Path source : sources) {
            String base = source.getFileName().toString().replaceFirst("\\.c$", "");
            Path object = objects().resolve(base + ".o");
            boolean changed = compile(source, object);
            (changed ? compiled : upToDate).add(source);
            String fileName = object.getFileName().toString();
            Path java = packageDir(settings.javaOutput()).resolve(SkeletonGenerator.defaultClassName(fileName) + ".java");
            produced.add(java);
            if (generate(object, java)) {
                generated.add(java);
            }
            if (!settings.embed()) {
                Path resource = packageDir(settings.resourceOutput()).resolve(fileName);
                produced.add(resource);
                copyIfChanged(object, resource);
            }
        }
        removeStale(packageDir(settings.javaOutput()), produced, ".java");
        removeStale(packageDir(settings.resourceOutput()), produced, ".o");
        return new Result(compiled, upToDate, generated);
    }

    private List<Path> sources() throws IOException {
        if (!Files.isDirectory(settings.sources())) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(settings.sources())) {
            return s.filter(p -> p.getFileName().toString().endsWith(".bpf.c")).sorted().toList();
        }
    }

    private Path packageDir(Path root) {
        return settings.packageName().isEmpty() ? root : root.resolve(settings.packageName().replace('.', '/'));
    }

    /** Writes {@code vmlinux.h} from the kernel's BTF when it is missing or older than the BTF. */
    private void vmlinux() throws IOException {
        Path btf = settings.vmlinuxBtf();
        if (btf == null || !Files.isReadable(btf)) {
            info.accept("no kernel BTF at " + btf + ": vmlinux.h is not generated");
            return;
        }
        Path header = vmlinuxHeader();
        if (Files.exists(header) && Files.getLastModifiedTime(header).compareTo(Files.getLastModifiedTime(btf)) >= 0) {
            return;
        }
        StringBuilder out = new StringBuilder();
        BtfCDump.dumpHeader(Btf.read(btf, null), out, true);
        Files.createDirectories(header.getParent());
        Path tmp = header.resolveSibling("vmlinux.h.tmp");
        Files.writeString(tmp, out, StandardCharsets.UTF_8);
        Files.move(tmp, header, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        info.accept("generated " + header + " from " + btf);
    }

    /** The clang command that compiles {@code source}. */
    List<String> command(Path source, Path object, Path depFile) {
        List<String> cmd = new ArrayList<>(List.of(settings.clang(), "-target", "bpf", "-g", "-O2", "-D__TARGET_ARCH_" + targetArch(),
                "-I" + vmlinuxHeader().getParent(), "-I" + settings.sources()));
        for (String dir : settings.includes()) {
            cmd.add("-I" + dir);
        }
        multiarchInclude().ifPresent(dir -> cmd.add("-I" + dir));
        cmd.addAll(settings.compilerArgs());
        cmd.addAll(List.of("-MD", "-MF", depFile.toString(), "-c", source.toString(), "-o", object.toString()));
        return cmd;
    }

    /** Debian's multiarch include directory, where {@code <asm/types.h>} is, if this machine has it. */
    private static Optional<Path> multiarchInclude() {
        String gnu = switch (System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> System.getProperty("os.arch", "");
        };
        Path dir = Path.of("/usr/include", gnu + "-linux-gnu");
        return Files.isDirectory(dir) ? Optional.of(dir) : Optional.empty();
    }

    /** The {@code __TARGET_ARCH_*} of libbpf's bpf_tracing.h for the machine the programs will run on. */
    private static String targetArch() {
        return switch (System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)) {
            case "aarch64", "arm64" -> "arm64";
            case "s390x" -> "s390";
            case "ppc64le", "ppc64" -> "powerpc";
            case "riscv64" -> "riscv";
            default -> "x86";
        };
    }

    /** Compiles {@code source} unless its object is current; returns whether it did. */
    private boolean compile(Path source, Path object) throws BuildException, IOException {
        String base = object.getFileName().toString().replaceFirst("\\.o$", "");
        Path depFile = objects().resolve(base + ".d");
        Path commandFile = objects().resolve(base + ".cmd");
        List<String> cmd = command(source, object, depFile);
        String commandLine = String.join("\n", cmd);
        if (current(object, depFile, commandFile, commandLine)) {
            return false;
        }
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.DISCARD.file()).start();
        } catch (IOException e) {
            throw new BuildException("cannot run '" + settings.clang() + "' to compile " + source + ": " + e.getMessage()
                    + " (install clang, or set the plugin's <clang> to the compiler's path)");
        }
        String output;
        try (InputStream in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
        int exit;
        try {
            exit = p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new BuildException("interrupted while compiling " + source);
        }
        if (exit != 0) {
            Files.deleteIfExists(object);
            String hint = output.contains("'vmlinux.h' file not found")
                    ? "\n(vmlinux.h is generated from the kernel's BTF at " + settings.vmlinuxBtf() + ", which this machine lacks)" : "";
            throw new BuildException("clang could not compile " + source + " (exit " + exit + "):\n" + output + hint);
        }
        if (!output.isEmpty()) {
            warn.accept(output);
        }
        Files.writeString(commandFile, commandLine);
        info.accept("compiled " + source.getFileName() + " to " + object);
        return true;
    }

    /** Whether the object is newer than every file clang read for it, with the same command. */
    private static boolean current(Path object, Path depFile, Path commandFile, String commandLine) throws IOException {
        if (!Files.exists(object) || !Files.exists(depFile) || !Files.exists(commandFile)
                || !Files.readString(commandFile).equals(commandLine)) {
            return false;
        }
        FileTime built = Files.getLastModifiedTime(object);
        for (String dep : dependencies(Files.readString(depFile))) {
            Path d = Path.of(dep);
            if (!Files.exists(d) || Files.getLastModifiedTime(d).compareTo(built) > 0) {
                return false;
            }
        }
        return true;
    }

    /** The prerequisites of a make rule as clang's {@code -MD} writes it: {@code obj: a.c b.h \ c.h}, spaces escaped with {@code \}. */
    static List<String> dependencies(String rule) {
        int colon = rule.indexOf(": ");
        String text = colon < 0 ? "" : rule.substring(colon + 2);
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length() && text.charAt(i + 1) == ' ') {
                current.append(' ');
                i++;
            } else if (c == '\\' && i + 1 < text.length() && (text.charAt(i + 1) == '\n' || text.charAt(i + 1) == '\r')) {
                i++;
            } else if (Character.isWhitespace(c)) {
                if (!current.isEmpty()) {
                    out.add(current.toString());
                    current.setLength(0);
                }
            } else {
                current.append(c);
            }
        }
        if (!current.isEmpty()) {
            out.add(current.toString());
        }
        return out;
    }

    /**
     * Generates the skeleton of {@code object} and writes it if it differs from the file there
     * (generating takes milliseconds; leaving an unchanged file alone keeps javac's work
     * incremental). Returns whether it wrote.
     */
    private boolean generate(Path object, Path java) throws BuildException, IOException {
        String fileName = object.getFileName().toString();
        byte[] bytes = Files.readAllBytes(object);
        String source;
        try {
            SkeletonGenerator.Options options = SkeletonGenerator.Options.of(settings.packageName()).withTypes(typesIn(fileName, bytes));
            source = SkeletonGenerator.generate(fileName, bytes, settings.embed() ? options : options.withResource(fileName));
        } catch (BpfException | IllegalArgumentException e) {
            throw new BuildException("cannot generate the skeleton of " + object + ": " + e.getMessage());
        }
        if (Files.exists(java) && Files.readString(java).equals(source)) {
            return false;
        }
        Files.createDirectories(java.getParent());
        Files.writeString(java, source);
        info.accept("generated " + java);
        return true;
    }

    /** The configured types this object's BTF has: each source has its own events. */
    private List<String> typesIn(String fileName, byte[] bytes) {
        if (settings.types().isEmpty()) {
            return List.of();
        }
        Btf btf = ObjectSpec.parse(fileName, bytes).btf().orElse(null);
        return settings.types().stream().filter(t -> btf != null && btf.idsByName(t).length > 0).toList();
    }

    private static void copyIfChanged(Path from, Path to) throws IOException {
        if (Files.exists(to) && Arrays.equals(Files.readAllBytes(from), Files.readAllBytes(to))) {
            return;
        }
        Files.createDirectories(to.getParent());
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Deletes what an earlier build made for sources that are gone. */
    private void removeStale(Path dir, Set<Path> produced, String suffix) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(f -> f.getFileName().toString().endsWith(suffix) && !produced.contains(f)).toList()) {
                Files.delete(p);
                info.accept("removed " + p + " (its source is gone)");
            }
        }
    }
}
