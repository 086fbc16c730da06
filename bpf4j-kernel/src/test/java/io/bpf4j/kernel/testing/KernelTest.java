package io.bpf4j.kernel.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class or method that needs the kernel's BPF: tags it {@code kernel} and
 * runs it only where {@link io.bpf4j.kernel.Kernel#availability()} says BPF works. Where it
 * does not, the test is skipped with the reason printed, or FAILS when the environment
 * sets {@code BPF4J_REQUIRE_KERNEL=1} (as CI does). Other modules get it from the
 * {@code bpf4j-kernel} test-jar.
 *
 * <pre>{@code
 * @KernelTest
 * class XdpAttachTest { @Test void attaches() { ... } }
 * }</pre>
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("kernel")
@ExtendWith(KernelCondition.class)
public @interface KernelTest {}
