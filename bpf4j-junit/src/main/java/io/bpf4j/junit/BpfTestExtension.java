package io.bpf4j.junit;

import io.bpf4j.BpfBackend;
import io.bpf4j.BpfCollection;
import io.bpf4j.BpfException;
import io.bpf4j.kernel.Kernel;
import io.bpf4j.kernel.KernelBackend;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.vm.VmBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;

/** Runs a {@link BpfTest} once per backend, with its parameters made for the run and closed after it. */
final class BpfTestExtension implements TestTemplateInvocationContextProvider {
    /** The environment variable that makes a kernel run that cannot happen fail instead of skip. */
    static final String REQUIRE_KERNEL = "BPF4J_REQUIRE_KERNEL";

    @Override
    public boolean supportsTestTemplate(ExtensionContext context) {
        return context.getTestMethod().map(m -> m.isAnnotationPresent(BpfTest.class)).orElse(false);
    }

    @Override
    public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
        BpfTest test = context.getRequiredTestMethod().getAnnotation(BpfTest.class);
        return Arrays.stream(test.value()).distinct().map(Run::new);
    }

    /** One run of the test on one backend. */
    private record Run(Backend backend) implements TestTemplateInvocationContext {
        @Override
        public String getDisplayName(int invocationIndex) {
            return backend.name().toLowerCase(Locale.ROOT);
        }

        @Override
        public List<Extension> getAdditionalExtensions() {
            return List.of(new Scope(backend));
        }
    }

    /** What one run owns: the backend and everything loaded on it, closed last-made first. */
    private static final class Resources implements AutoCloseable {
        private final List<AutoCloseable> owned = new ArrayList<>();
        private BpfBackend backend;

        <T extends AutoCloseable> T own(T resource) {
            owned.add(resource);
            return resource;
        }

        @Override
        public void close() throws Exception {
            Exception failure = null;
            for (int i = owned.size() - 1; i >= 0; i--) {
                try {
                    owned.get(i).close();
                } catch (Exception e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** The backend's gate and the parameters of one run. */
    private static final class Scope implements ExecutionCondition, ParameterResolver {
        private final Backend backend;

        Scope(Backend backend) {
            this.backend = backend;
        }

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (backend == Backend.VM) {
                return ConditionEvaluationResult.enabled("the VM runs anywhere");
            }
            Kernel.Availability a = Kernel.availability();
            if (a.available()) {
                return ConditionEvaluationResult.enabled(a.reason());
            }
            String reason = "kernel BPF unavailable: " + a.reason();
            if ("1".equals(System.getenv(REQUIRE_KERNEL))) {
                throw new IllegalStateException(REQUIRE_KERNEL + "=1 but " + reason);
            }
            return ConditionEvaluationResult.disabled(reason);
        }

        @Override
        public boolean supportsParameter(ParameterContext p, ExtensionContext context) {
            Class<?> type = p.getParameter().getType();
            return type == BpfBackend.class || type == VmBackend.class && backend == Backend.VM
                    || type == KernelBackend.class && backend == Backend.KERNEL
                    || type == BpfCollection.class && p.isAnnotated(BpfObject.class) || skeletonMethods(type) != null;
        }

        @Override
        public Object resolveParameter(ParameterContext p, ExtensionContext context) {
            Resources resources = context.getStore(ExtensionContext.Namespace.create(BpfTestExtension.class, context.getUniqueId()))
                    .getOrComputeIfAbsent(Resources.class, k -> new Resources(), Resources.class);
            Class<?> type = p.getParameter().getType();
            if (type == BpfBackend.class || type == VmBackend.class || type == KernelBackend.class) {
                return backend(resources);
            }
            if (type == BpfCollection.class) {
                String object = p.findAnnotation(BpfObject.class).orElseThrow().value();
                return resources.own(backend(resources).load(read(object, context.getRequiredTestClass())));
            }
            Method[] methods = skeletonMethods(type);
            try {
                AutoCloseable skeleton = resources.own((AutoCloseable) methods[0].invoke(null));
                if (!p.isAnnotated(NotLoaded.class)) {
                    methods[1].invoke(skeleton, backend(resources));
                }
                return skeleton;
            } catch (InvocationTargetException e) {
                throw new ParameterResolutionException("cannot open and load " + type.getSimpleName() + " on the " + backend
                        + " backend: " + e.getCause().getMessage(), e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new ParameterResolutionException("cannot open " + type.getName() + ": " + e.getMessage(), e);
            }
        }

        private BpfBackend backend(Resources resources) {
            if (resources.backend == null) {
                resources.backend = switch (backend) {
                    case VM -> resources.own(VmBackend.create());
                    case KERNEL -> KernelBackend.create();
                };
            }
            return resources.backend;
        }
    }

    /**
     * A generated skeleton's static {@code open()} and its {@code load(BpfBackend)}, or null if
     * {@code type} is not a skeleton.
     */
    static Method[] skeletonMethods(Class<?> type) {
        if (!AutoCloseable.class.isAssignableFrom(type)) {
            return null;
        }
        try {
            Method open = type.getMethod("open");
            Method load = type.getMethod("load", BpfBackend.class);
            return Modifier.isStatic(open.getModifiers()) && open.getReturnType() == type ? new Method[] {open, load} : null;
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    /** The object of a {@link BpfObject}: a class-path resource (absolute, or next to the test class), else a file. */
    static ObjectSpec read(String name, Class<?> testClass) {
        String fileName = name.substring(name.lastIndexOf('/') + 1);
        try (InputStream in = testClass.getResourceAsStream(name)) {
            if (in != null) {
                return ObjectSpec.read(in, fileName);
            }
            Path file = Path.of(name);
            if (Files.isRegularFile(file)) {
                return ObjectSpec.read(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read BPF object " + name, e);
        }
        throw new BpfException("BPF object '" + name + "' is neither on the class path (next to " + testClass.getName()
                + ") nor a file");
    }
}
