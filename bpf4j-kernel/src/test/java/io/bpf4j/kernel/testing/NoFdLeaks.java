package io.bpf4j.kernel.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves a file descriptor open: a {@link FdSnapshot} is taken before the
 * test's {@code @BeforeEach} methods and checked after its {@code @AfterEach} methods.
 *
 * <pre>{@code
 * @KernelTest
 * @NoFdLeaks
 * class RingBufferReaderTest { ... }
 * }</pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(NoFdLeaks.Check.class)
public @interface NoFdLeaks {
    /** The extension behind the annotation. */
    final class Check implements BeforeEachCallback, AfterEachCallback {
        private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(Check.class);

        @Override
        public void beforeEach(ExtensionContext context) {
            context.getStore(NAMESPACE).put("fds", FdSnapshot.take());
        }

        @Override
        public void afterEach(ExtensionContext context) {
            FdSnapshot before = context.getStore(NAMESPACE).remove("fds", FdSnapshot.class);
            if (before != null && context.getExecutionException().isEmpty()) {
                before.assertNoneLeaked();
            }
        }
    }
}
