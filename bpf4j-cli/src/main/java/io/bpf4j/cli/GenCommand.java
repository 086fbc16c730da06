package io.bpf4j.cli;

import io.bpf4j.gen.SkeletonGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bpf4j gen ...}: code generated from BPF objects. */
@Command(
        name = "gen",
        description = "Generate code from BPF object files.",
        subcommands = {GenCommand.Skeleton.class, CommandLine.HelpCommand.class})
final class GenCommand extends CommandGroup {
    @Override
    String example() {
        return "bpf4j gen skeleton FILE --package P";
    }

    @Command(name = "skeleton", description = {
        "Generate the Java skeleton of FILE: one class that opens, loads (kernel or VM), attaches and closes the object,",
        "with a typed accessor per map, program and global variable, and a record per struct its maps, globals and",
        "events use (decode/encode in the C layout). Printed, or written under DIR as PACKAGE/CLASS.java with -o."})
    static final class Skeleton implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "A BPF object file (clang -target bpf -g).")
        Path file;

        @Option(names = "--package", required = true, paramLabel = "PACKAGE", description = "Package of the generated class.")
        String packageName;

        @Option(names = "--class", paramLabel = "CLASS", description = "Class name (default: FILE's name in Pascal case, "
                + "xdp_counter.bpf.o gives XdpCounter).")
        String className;

        @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Source root to write PACKAGE/CLASS.java under.")
        Path output;

        @Option(names = "--type", paramLabel = "NAME", description = "Also generate a record for struct, union or typedef NAME "
                + "(such as the events a ring buffer carries); repeatable.")
        List<String> types = new ArrayList<>();

        @Option(names = "--resource", description = "Load the object from the class path (FILE's name, next to the class) "
                + "instead of embedding it in the source.")
        boolean resource;

        @Override
        public Integer call() throws IOException {
            String fileName = file.getFileName().toString();
            byte[] object = Files.readAllBytes(file);
            String source;
            try {
                SkeletonGenerator.Options options = SkeletonGenerator.Options.of(packageName).withClassName(className).withTypes(types);
                source = SkeletonGenerator.generate(fileName, object, resource ? options.withResource(fileName) : options);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            if (output == null) {
                spec.commandLine().getOut().append(source).flush();
                return 0;
            }
            String name = className != null ? className : SkeletonGenerator.defaultClassName(fileName);
            Path dir = packageName.isEmpty() ? output : output.resolve(packageName.replace('.', '/'));
            Files.createDirectories(dir);
            Path target = dir.resolve(name + ".java");
            Files.writeString(target, source);
            spec.commandLine().getOut().println(target);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
