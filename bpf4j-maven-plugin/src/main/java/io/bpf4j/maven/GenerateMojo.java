package io.bpf4j.maven;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.maven.model.Resource;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

/**
 * {@code bpf4j:generate}: compiles {@code src/main/bpf/*.bpf.c} with clang (against a
 * {@code vmlinux.h} bpf4j generates from the kernel's BTF, and libbpf's headers) and generates
 * a Java skeleton of each object into {@code target/generated-sources/bpf4j}, which joins the
 * compile roots; the objects join the resources, next to their skeletons.
 *
 * <pre>{@code
 * <plugin>
 *   <groupId>io.bpf4j</groupId>
 *   <artifactId>bpf4j-maven-plugin</artifactId>
 *   <executions><execution><goals><goal>generate</goal></goals></execution></executions>
 *   <configuration><packageName>com.example.bpf</packageName></configuration>
 * </plugin>
 * }</pre>
 */
@Mojo(name = "generate", defaultPhase = LifecyclePhase.GENERATE_SOURCES, threadSafe = true)
public final class GenerateMojo extends AbstractMojo {
    /** The BPF C sources: every {@code *.bpf.c} here is compiled; headers here may be included. */
    @Parameter(defaultValue = "${project.basedir}/src/main/bpf", property = "bpf4j.sourceDirectory")
    private File sourceDirectory;

    /** Where the skeletons are generated. */
    @Parameter(defaultValue = "${project.build.directory}/generated-sources/bpf4j")
    private File outputDirectory;

    /** Where the objects are put as class-path resources (unless embedded). */
    @Parameter(defaultValue = "${project.build.directory}/generated-resources/bpf4j")
    private File resourceDirectory;

    /** Where objects, clang's dependency files and vmlinux.h are kept between builds. */
    @Parameter(defaultValue = "${project.build.directory}/bpf4j")
    private File workDirectory;

    /** The package of the generated skeletons. */
    @Parameter(required = true, property = "bpf4j.packageName")
    private String packageName;

    /** The clang to run. */
    @Parameter(defaultValue = "clang", property = "bpf4j.clang")
    private String clang;

    /** More clang arguments (after {@code -target bpf -g -O2 -D__TARGET_ARCH_...} and the include directories). */
    @Parameter
    private List<String> compilerArgs = new ArrayList<>();

    /** More include directories (Debian's multiarch include directory, for {@code <asm/types.h>}, is added where it exists). */
    @Parameter
    private List<String> includes = new ArrayList<>();

    /** The kernel BTF that vmlinux.h is generated from. */
    @Parameter(defaultValue = "/sys/kernel/btf/vmlinux", property = "bpf4j.vmlinuxBtf")
    private File vmlinuxBtf;

    /** Structs to generate records for in every skeleton whose object has them, such as ring buffer events. */
    @Parameter
    private List<String> types = new ArrayList<>();

    /** Embed each object in its skeleton's source instead of shipping it as a resource. */
    @Parameter(defaultValue = "false")
    private boolean embed;

    /** Skips the goal. */
    @Parameter(defaultValue = "false", property = "bpf4j.skip")
    private boolean skip;

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    private MavenProject project;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("bpf4j: skipped");
            return;
        }
        BpfBuild.Settings settings = new BpfBuild.Settings(sourceDirectory.toPath(), outputDirectory.toPath(),
                resourceDirectory.toPath(), workDirectory.toPath(), packageName, clang, compilerArgs, includes, vmlinuxBtf.toPath(),
                types, embed);
        BpfBuild.Result result;
        try {
            result = new BpfBuild(settings, m -> getLog().info("bpf4j: " + m), m -> getLog().warn("bpf4j: " + m)).run();
        } catch (BpfBuild.BuildException e) {
            throw new MojoFailureException(e.getMessage());
        } catch (IOException | RuntimeException e) {
            throw new MojoExecutionException("bpf4j: " + e.getMessage(), e);
        }
        if (!result.upToDate().isEmpty()) {
            getLog().info("bpf4j: " + result.upToDate().size() + " object(s) up to date");
        }
        project.addCompileSourceRoot(outputDirectory.getPath());
        if (!embed) {
            Resource r = new Resource();
            r.setDirectory(resourceDirectory.getPath());
            project.addResource(r);
        }
    }
}
