package io.bpf4j.kernel.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.kernel.Kernel;
import org.junit.jupiter.api.Test;

class KernelConditionTest {
    private static final Kernel.Availability MISSING = new Kernel.Availability(false, "EPERM");
    private static final Kernel.Availability PRESENT = new Kernel.Availability(true, "ok");

    @Test
    void runsWhenBpfWorks() {
        assertFalse(KernelCondition.decide(PRESENT, null).isDisabled());
        assertFalse(KernelCondition.decide(PRESENT, "1").isDisabled());
    }

    @Test
    void skipsWithReasonWhenBpfIsMissing() {
        var result = KernelCondition.decide(MISSING, null);
        assertTrue(result.isDisabled());
        assertTrue(result.getReason().orElseThrow().contains("EPERM"));
    }

    @Test
    void failsWhenBpfIsMissingButRequired() {
        var e = assertThrows(IllegalStateException.class, () -> KernelCondition.decide(MISSING, "1"));
        assertTrue(e.getMessage().contains("BPF4J_REQUIRE_KERNEL=1"), e.getMessage());
    }
}
