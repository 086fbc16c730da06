package io.bpf4j;

/**
 * Malformed input: a bad ELF file, BTF blob, instruction stream or assembler source.
 * The message names the place (file, section, type id, instruction index, line) and
 * the byte offset where that applies.
 */
public class BpfFormatException extends BpfException {
    private static final long serialVersionUID = 1L;

    public BpfFormatException(String message) {
        super(message);
    }

    public BpfFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
