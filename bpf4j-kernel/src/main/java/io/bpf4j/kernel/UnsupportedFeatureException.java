package io.bpf4j.kernel;

import io.bpf4j.BpfException;

/**
 * The running kernel lacks something bpf4j was asked to use: a map or program type, a
 * helper, a flag. The message says what, and which kernel version or configuration
 * option provides it where that is known.
 */
public class UnsupportedFeatureException extends BpfException {
    private static final long serialVersionUID = 1L;

    public UnsupportedFeatureException(String message) {
        super(message);
    }

    public UnsupportedFeatureException(String message, Throwable cause) {
        super(message, cause);
    }
}
