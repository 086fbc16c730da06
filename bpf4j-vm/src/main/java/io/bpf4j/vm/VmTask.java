package io.bpf4j.vm;

import java.util.Objects;

/**
 * The "current task" that {@code bpf_get_current_pid_tgid}, {@code bpf_get_current_uid_gid}
 * and {@code bpf_get_current_comm} report: in the kernel the thread the program runs in,
 * in the VM whatever the caller says.
 *
 * @param pid  thread id (the kernel's pid), the low half of get_current_pid_tgid
 * @param tgid process id (the kernel's tgid), the high half
 * @param uid  user id, the low half of get_current_uid_gid
 * @param gid  group id, the high half
 * @param comm command name; the kernel keeps 15 characters and a NUL
 */
public record VmTask(int pid, int tgid, int uid, int gid, String comm) {
    public VmTask {
        Objects.requireNonNull(comm, "comm");
    }

    /** This Java process, as root, named "java". */
    public static VmTask current() {
        int pid = (int) ProcessHandle.current().pid();
        return new VmTask(pid, pid, 0, 0, "java");
    }
}
