package io.bpf4j.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a skeleton parameter of a {@link BpfTest}: open it but do not load it, so that the test
 * can set {@code .rodata} values first and then load it on the run's backend.
 *
 * <pre>{@code
 * @BpfTest
 * void filtersOnePort(@NotLoaded PortFilter skel, BpfBackend backend) {
 *     skel.rodata().port((short) 53);
 *     skel.load(backend);
 * }
 * }</pre>
 */
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface NotLoaded {}
