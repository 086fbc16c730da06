package io.bpf4j.junit;

/** What an XDP program returns ({@code enum xdp_action}). */
public enum XdpAction {
    ABORTED,
    DROP,
    PASS,
    TX,
    REDIRECT;

    /**
     * The action a program's return value stands for.
     *
     * @throws IllegalArgumentException for a value that is no XDP action
     */
    public static XdpAction of(long returnValue) {
        XdpAction[] all = values();
        if (returnValue < 0 || returnValue >= all.length) {
            throw new IllegalArgumentException("XDP program returned " + returnValue + ", which is no XDP action (0 to "
                    + (all.length - 1) + ")");
        }
        return all[(int) returnValue];
    }
}
