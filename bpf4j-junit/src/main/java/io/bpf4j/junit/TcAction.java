package io.bpf4j.junit;

/** What a tc (sched_cls) program returns ({@code TC_ACT_*}). */
public enum TcAction {
    UNSPEC(-1),
    OK(0),
    RECLASSIFY(1),
    SHOT(2),
    PIPE(3),
    STOLEN(4),
    QUEUED(5),
    REPEAT(6),
    REDIRECT(7),
    TRAP(8);

    private final int value;

    TcAction(int value) {
        this.value = value;
    }

    /** The kernel's number. */
    public int value() {
        return value;
    }

    /**
     * The action a program's return value (as test_run reports it, 32 bits) stands for.
     *
     * @throws IllegalArgumentException for a value that is no tc action
     */
    public static TcAction of(long returnValue) {
        int v = (int) returnValue;
        for (TcAction a : values()) {
            if (a.value == v) {
                return a;
            }
        }
        throw new IllegalArgumentException("tc program returned " + returnValue + ", which is no TC_ACT_ value");
    }
}
