package io.bpf4j.kernel;

import io.bpf4j.kernel.sys.BpfCmd;
import io.bpf4j.kernel.sys.Errno;
import java.util.Arrays;
import java.util.List;

/**
 * The verifier rejected a program. {@link #log()} is the kernel's complete log; the
 * message carries its last lines, which usually say what went wrong.
 */
public final class VerifierException extends BpfSyscallException {
    private static final long serialVersionUID = 1L;
    static final int MESSAGE_LINES = 6;

    private final String program;
    private final String log;

    VerifierException(String program, int errno, String log) {
        super(BpfCmd.PROG_LOAD, errno, message(program, errno, log));
        this.program = program;
        this.log = log;
    }

    /** The name of the rejected program. */
    public String program() {
        return program;
    }

    /** The verifier's whole log. */
    public String log() {
        return log;
    }

    private static String message(String program, int errno, String log) {
        List<String> lines = Arrays.stream(log.split("\n")).filter(l -> !l.isBlank()).toList();
        StringBuilder sb = new StringBuilder("program '").append(program).append("' rejected by the verifier (")
                .append(Errno.name(errno)).append(')');
        if (lines.isEmpty()) {
            return sb.append(" with an empty log").toString();
        }
        int from = Math.max(0, lines.size() - MESSAGE_LINES);
        sb.append(":");
        if (from > 0) {
            sb.append(" (").append(from).append(from == 1 ? " line" : " lines").append(" before these in log())");
        }
        for (String line : lines.subList(from, lines.size())) {
            sb.append("\n  ").append(line);
        }
        return sb.toString();
    }
}
