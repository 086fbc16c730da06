package io.bpf4j.cli;

import io.bpf4j.BpfException;
import io.bpf4j.kernel.KernelBackend;
import io.bpf4j.kernel.KernelCollection;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import io.bpf4j.object.SectionDefinition;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bpf4j prog load} and {@code prog loadall}: an object file loaded into the kernel as
 * {@code bpftool prog load|loadall} (libbpf's {@code bpf_object__load}) loads it, its first
 * program or all of them pinned, its maps pinned with {@code pinmaps}.
 */
final class ProgLoadCommand {
    private ProgLoadCommand() {}

    /** What both commands share: the arguments after OBJ PATH, -j/-p, -d. */
    abstract static class Base implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        JsonOptions json;

        @Option(names = {"-d", "--debug"}, description = "Print a libbpf-style debug log of what the loader does (sections, maps, "
                + "externs, CO-RE decisions, patched instructions) to standard error.")
        boolean debug;

        @Option(names = "--pin-root", paramLabel = "DIR", description = "Where maps declared LIBBPF_PIN_BY_NAME are pinned and "
                + "reused (libbpf's pin_root_path; default /sys/fs/bpf).")
        Path pinRoot = KernelBackend.DEFAULT_PIN_ROOT;

        @Parameters(paramLabel = "ARGS", description = {"OBJ PATH [type TYPE] [pinmaps MAP_DIR]"})
        List<String> args = new ArrayList<>();

        abstract boolean firstOnly();

        @Override
        public Integer call() throws IOException {
            if (args.size() < 2) {
                throw new BpfException("'" + spec.name() + "' needs at least 2 arguments, " + args.size() + " found");
            }
            Path file = Path.of(args.get(0));
            Path pin = Path.of(args.get(1));
            String type = null;
            Path pinMaps = null;
            for (int i = 2; i < args.size(); i += 2) {
                String kw = args.get(i);
                boolean isType = Bpftool.isPrefix(kw, "type");
                if (!isType && !Bpftool.isPrefix(kw, "pinmaps")) {
                    throw new BpfException("expected no more arguments, 'type', 'map' or 'dev', got: '" + kw + "'?");
                }
                if (i + 1 >= args.size()) {
                    throw new BpfException("'" + kw + "' needs at least 1 arguments, 0 found");
                }
                if (isType) {
                    if (type != null) {
                        throw new BpfException("program type already specified");
                    }
                    type = args.get(i + 1);
                } else {
                    pinMaps = Path.of(args.get(i + 1));
                }
            }
            PrintWriter err = spec.commandLine().getErr();
            KernelBackend kernel = KernelBackend.create().withPinRoot(pinRoot).withLog(debug ? line -> {
                err.println("bpf4j: " + line);
                err.flush();
            } : line -> {});
            load(kernel, read(file), type, pin, pinMaps, firstOnly());
            return json.printNull(spec);
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "load", description = {
        "Load OBJ into the kernel as libbpf does and pin its first program at PATH; with 'pinmaps DIR' pin",
        "every map at DIR/NAME too. 'type TYPE' sets the type of all programs (as bpftool's)."})
    static final class Load extends Base {
        @Override
        boolean firstOnly() {
            return true;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "loadall", description = {
        "Load OBJ into the kernel as libbpf does and pin each program at PATH/NAME; with 'pinmaps DIR' pin",
        "every map at DIR/NAME too. 'type TYPE' sets the type of all programs (as bpftool's)."})
    static final class LoadAll extends Base {
        @Override
        boolean firstOnly() {
            return false;
        }
    }

    /** Reads an object file, naming it as bpftool does when it cannot. */
    static ObjectSpec read(Path file) throws IOException {
        try {
            return ObjectSpec.read(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new BpfException("failed to open object file: " + file + ": No such file or directory");
        } catch (BpfException e) {
            throw new BpfException("failed to open object file: " + e.getMessage(), e);
        }
    }

    /**
     * bpftool's {@code load_with_options}: load, pin the first or every program, pin maps;
     * what was pinned is removed again when a later step fails.
     */
    static void load(KernelBackend kernel, ObjectSpec object, String type, Path pin, Path pinMaps, boolean firstOnly)
            throws IOException {
        ObjectSpec spec = object;
        if (type != null) {
            SectionDefinition def = SectionDefinition.find(type).or(() -> SectionDefinition.find(type + "/"))
                    .orElseThrow(() -> new BpfException("failed to guess program type from ELF section '" + type + "'"));
            for (ProgramSpec p : object.programs()) {
                spec = spec.withProgram(new ProgramSpec(p.name(), p.sectionName(), def.type(), def.attachType(), p.attachTarget(),
                        def.flags(), p.autoload(), p.license(), p.kernelVersion(), p.instructions(), p.references(), p.funcInfos(),
                        p.lineInfos(), p.coreRelos()));
            }
        }
        List<Path> pinned = new ArrayList<>();
        try (KernelCollection c = loadObject(kernel, spec)) {
            Map<String, KernelProgram> programs = c.programs();
            if (firstOnly) {
                Optional<KernelProgram> first = programs.values().stream().findFirst();
                if (first.isEmpty()) {
                    throw new BpfException("object file doesn't contain any bpf program");
                }
                first.get().pin(pin);
                pinned.add(pin);
            } else {
                for (Map.Entry<String, KernelProgram> e : programs.entrySet()) {
                    Path p = pin.resolve(e.getKey());
                    makeParent(p);
                    e.getValue().pin(p);
                    pinned.add(p);
                }
            }
            if (pinMaps != null) {
                for (Map.Entry<String, KernelMap> e : c.maps().entrySet()) {
                    // bpffs refuses dots in names: libbpf writes '_' for them
                    Path p = Path.of(pinMaps.resolve(e.getKey()).toString().replace('.', '_'));
                    Path byName = kernel.pinRoot().resolve(e.getKey());
                    if (spec.map(e.getKey()).orElseThrow().pinning() == MapSpec.PIN_BY_NAME && !byName.equals(p)) {
                        throw new BpfException("failed to pin all maps: map '" + e.getKey() + "' already has pin path '" + byName
                                + "' different from '" + p + "'");
                    }
                    makeParent(p);
                    e.getValue().pin(p);
                    pinned.add(p);
                }
            }
        } catch (RuntimeException | IOException e) {
            for (Path p : pinned) {
                Files.deleteIfExists(p);
            }
            throw e;
        }
    }

    private static KernelCollection loadObject(KernelBackend kernel, ObjectSpec spec) {
        try {
            return kernel.load(spec);
        } catch (BpfException e) {
            throw new BpfException("failed to load object file: " + e.getMessage(), e);
        }
    }

    private static void makeParent(Path p) throws IOException {
        Path dir = p.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir);
        }
    }
}
