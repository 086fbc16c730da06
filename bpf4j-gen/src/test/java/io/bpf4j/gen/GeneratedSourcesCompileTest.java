package io.bpf4j.gen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.btf.BtfType;
import io.bpf4j.object.ObjectSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every skeleton generated for every testdata object and every libxdp1 object compiles with
 * {@code -Xlint:all -Werror}, with a record for every named struct and union of the object's
 * BTF (so every kind of member the objects have goes through the generator).
 */
class GeneratedSourcesCompileTest {
    @Test
    void everySkeletonCompilesWithoutWarnings(@TempDir Path dir) throws IOException {
        List<Path> objects = new ArrayList<>(Fixtures.testdataObjects());
        List<Path> libxdp = Fixtures.libxdpObjects();
        if (libxdp.isEmpty()) {
            System.err.println("[bpf4j] no libxdp1 objects under " + Fixtures.LIBXDP + " (apt-get install libxdp1): testdata only");
        }
        objects.addAll(libxdp);
        assertFalse(objects.isEmpty());
        List<Path> sources = new ArrayList<>();
        for (int i = 0; i < objects.size(); i++) {
            Path object = objects.get(i);
            byte[] bytes = Files.readAllBytes(object);
            String fileName = object.getFileName().toString();
            String pkg = "compiled.object" + i;
            String source = SkeletonGenerator.generate(fileName, bytes,
                    SkeletonGenerator.Options.of(pkg).withTypes(namedComposites(ObjectSpec.parse(fileName, bytes))));
            Path file = dir.resolve("src").resolve(pkg.replace('.', '/')).resolve(SkeletonGenerator.defaultClassName(fileName) + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, source);
            sources.add(file);
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, null)) {
            Path classes = Files.createDirectories(dir.resolve("classes"));
            boolean ok = javac.getTask(null, files, diagnostics, List.of("-Xlint:all", "-Werror", "-proc:none", "-d", classes.toString(),
                    "-classpath", System.getProperty("java.class.path")), null, files.getJavaFileObjectsFromPaths(sources)).call();
            List<String> problems = diagnostics.getDiagnostics().stream().filter(d -> d.getKind() != Diagnostic.Kind.NOTE)
                    .map(d -> d.getSource().getName() + ":" + d.getLineNumber() + ": " + d.getMessage(null)).toList();
            assertEquals(List.of(), problems);
            assertTrue(ok);
            System.err.println("[bpf4j] compiled " + sources.size() + " skeletons without warnings");
        }
    }

    private static List<String> namedComposites(ObjectSpec spec) {
        TreeSet<String> names = new TreeSet<>();
        spec.btf().ifPresent(btf -> btf.types().forEach(t -> {
            if (t instanceof BtfType.Composite c && !c.name().isEmpty()) {
                names.add(c.name());
            }
        }));
        return List.copyOf(names);
    }
}
