package io.bpf4j.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a {@link io.bpf4j.BpfCollection} parameter of a {@link BpfTest}: the object to load, a
 * class-path resource ({@code /bpf/counter.bpf.o}, or relative to the test class) or else a file.
 *
 * <pre>{@code
 * @BpfTest
 * void counts(@BpfObject("counter.bpf.o") BpfCollection counter) { ... }
 * }</pre>
 */
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface BpfObject {
    /** A class-path resource or a file path. */
    String value();
}
