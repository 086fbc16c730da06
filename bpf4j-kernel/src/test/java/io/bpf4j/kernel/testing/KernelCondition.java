package io.bpf4j.kernel.testing;

import io.bpf4j.kernel.Kernel;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** The gate behind {@link KernelTest}: run, skip with a printed reason, or fail when the kernel is required. */
public final class KernelCondition implements ExecutionCondition {
    /** The environment variable that turns a skip into a failure. */
    public static final String REQUIRE_ENV = "BPF4J_REQUIRE_KERNEL";

    private static final AtomicBoolean PRINTED = new AtomicBoolean();

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        ConditionEvaluationResult result = decide(Kernel.availability(), System.getenv(REQUIRE_ENV));
        if (result.isDisabled() && PRINTED.compareAndSet(false, true)) {
            System.err.println("[bpf4j] skipping @KernelTest tests: " + result.getReason().orElse(""));
        }
        return result;
    }

    /** The decision for a given availability and value of {@link #REQUIRE_ENV}. */
    static ConditionEvaluationResult decide(Kernel.Availability availability, String require) {
        if (availability.available()) {
            return ConditionEvaluationResult.enabled(availability.reason());
        }
        String reason = "kernel BPF unavailable: " + availability.reason();
        if ("1".equals(require)) {
            throw new IllegalStateException(REQUIRE_ENV + "=1 but " + reason);
        }
        return ConditionEvaluationResult.disabled(reason);
    }
}
