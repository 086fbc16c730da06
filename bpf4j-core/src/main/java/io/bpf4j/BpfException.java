package io.bpf4j;

/**
 * Base of every exception bpf4j throws on purpose. Each subclass names what failed and
 * where (file, section, offset, program, map, instruction) so that its message alone is
 * enough for a person to act on.
 */
public class BpfException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BpfException(String message) {
        super(message);
    }

    public BpfException(String message, Throwable cause) {
        super(message, cause);
    }
}
