package io.bpf4j.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test of BPF programs, run once per {@link Backend} it names (the VM by default). Its
 * parameters are made for each run and closed after it: a generated skeleton class (opened
 * and loaded; with {@link NotLoaded} only opened), a {@link io.bpf4j.BpfCollection} of a
 * {@link BpfObject}, or the {@link io.bpf4j.BpfBackend} itself ({@link io.bpf4j.vm.VmBackend}
 * on the VM, to fire hooks; {@link io.bpf4j.kernel.KernelBackend} on the kernel). Kernel runs
 * where BPF is unavailable are skipped with the reason, or fail when
 * {@code BPF4J_REQUIRE_KERNEL=1} (as CI sets it).
 *
 * <pre>{@code
 * @BpfTest({Backend.VM, Backend.KERNEL})
 * void dropsIcmp(XdpFilter skel) {
 *     byte[] ping = PacketBuilder.icmpEcho().srcIp("10.0.0.1").dstIp("10.0.0.2").build();
 *     assertEquals(XdpAction.DROP, TestRuns.xdp(skel.progs().filter(), ping).action());
 * }
 * }</pre>
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@TestTemplate
@ExtendWith(BpfTestExtension.class)
public @interface BpfTest {
    /** The backends to run on, one run each. */
    Backend[] value() default {Backend.VM};
}
