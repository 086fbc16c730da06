package io.bpf4j.codec;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The length of a C array behind a record component: {@code @CArray(16) String comm} is
 * {@code char comm[16]}, {@code @CArray(4) int[] slots} is {@code int slots[4]}.
 */
@Target(ElementType.RECORD_COMPONENT)
@Retention(RetentionPolicy.RUNTIME)
public @interface CArray {
    int value();
}
