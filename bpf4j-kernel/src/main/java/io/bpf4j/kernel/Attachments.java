package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.kernel.sys.Bpf;
import io.bpf4j.kernel.sys.BpfCmd;
import io.bpf4j.kernel.sys.Errno;
import io.bpf4j.kernel.sys.Layouts.ProgAttach;
import io.bpf4j.kernel.sys.Layouts.Query;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The programs attached to one hook of a target ({@code BPF_PROG_QUERY}): a cgroup, a
 * network device for tcx, a network namespace, a sockmap. Also the legacy
 * {@code BPF_PROG_ATTACH}/{@code BPF_PROG_DETACH} that the link classes use where a hook
 * has no links or an attachment must outlive the process.
 *
 * <pre>{@code
 * Attachments a = Attachments.query(NetDevice.of("eth0").index(), AttachType.TCX_INGRESS);
 * for (Attachments.Entry e : a.entries()) System.out.println(e.progId() + " link " + e.linkId());
 * }</pre>
 *
 * @param attachFlags the hook's flags ({@link #F_ALLOW_MULTI}, ...) for cgroups
 * @param revision    the hook's revision, for {@code expected_revision} (tcx, netkit, cgroup)
 */
public record Attachments(int attachFlags, long revision, List<Entry> entries) {
    /** Cgroup: descendants may override this program. */
    public static final int F_ALLOW_OVERRIDE = 1;
    /** Cgroup: several programs run, this one after the descendants'. */
    public static final int F_ALLOW_MULTI = 1 << 1;
    /** Replace the program given as the one to replace. */
    public static final int F_REPLACE = 1 << 2;
    /** tcx, netkit, cgroup: insert before the relative program or link (first without one). */
    public static final int F_BEFORE = 1 << 3;
    /** tcx, netkit, cgroup: insert after the relative program or link (last without one). */
    public static final int F_AFTER = 1 << 4;

    /** One attached program, with the link that holds it if any (link id 0 for a legacy attachment). */
    public record Entry(int progId, int progFlags, int linkId, int linkFlags) {}

    public Attachments {
        entries = List.copyOf(entries);
    }

    /** Queries the programs attached to {@code target} (an fd or an ifindex, by type) at {@code type}. */
    public static Attachments query(int target, AttachType type) {
        String what = "query " + type.bpftoolName() + " programs of " + target;
        int capacity = 16;
        while (true) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment progIds = arena.allocate(ValueLayout.JAVA_INT, capacity);
                MemorySegment progFlags = arena.allocate(ValueLayout.JAVA_INT, capacity);
                MemorySegment linkIds = arena.allocate(ValueLayout.JAVA_INT, capacity);
                MemorySegment linkFlags = arena.allocate(ValueLayout.JAVA_INT, capacity);
                MemorySegment attr = Sys.attr(arena, Query.SIZE);
                Query.TARGET_FD.set(attr, target);
                Query.ATTACH_TYPE.set(attr, type.id());
                Query.PROG_IDS.set(attr, progIds);
                Query.PROG_CNT.set(attr, capacity);
                Query.PROG_ATTACH_FLAGS.set(attr, progFlags);
                Query.LINK_IDS.set(attr, linkIds);
                Query.LINK_ATTACH_FLAGS.set(attr, linkFlags);
                long r = Bpf.call(BpfCmd.PROG_QUERY, attr);
                if (r == -Errno.ENOSPC) {
                    capacity = Math.max(capacity * 2, Query.PROG_CNT.get(attr));
                    continue;
                }
                if (r < 0) {
                    throw new BpfSyscallException(what, BpfCmd.PROG_QUERY, (int) -r);
                }
                int n = Query.PROG_CNT.get(attr);
                List<Entry> entries = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    entries.add(new Entry(progIds.getAtIndex(ValueLayout.JAVA_INT, i),
                            progFlags.getAtIndex(ValueLayout.JAVA_INT, i), linkIds.getAtIndex(ValueLayout.JAVA_INT, i),
                            linkFlags.getAtIndex(ValueLayout.JAVA_INT, i)));
                }
                return new Attachments(Query.ATTACH_FLAGS.get(attr), Query.REVISION.get(attr), entries);
            }
        }
    }

    /** {@code BPF_PROG_ATTACH} of {@code program} to {@code target}; {@code replace} (or null) with {@link #F_REPLACE}. */
    static void attach(String what, int target, KernelProgram program, AttachType type, int flags,
            KernelProgram replace) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Sys.attr(arena, ProgAttach.SIZE);
            ProgAttach.TARGET_FD.set(attr, target);
            ProgAttach.ATTACH_BPF_FD.set(attr, program.fd());
            ProgAttach.ATTACH_TYPE.set(attr, type.id());
            ProgAttach.ATTACH_FLAGS.set(attr, flags);
            if (replace != null) {
                ProgAttach.REPLACE_BPF_FD.set(attr, replace.fd());
            }
            Sys.call(BpfCmd.PROG_ATTACH, attr, what);
        }
    }

    /** {@code BPF_PROG_DETACH} of {@code program} (or, with null, of whatever the hook allows) from {@code target}. */
    static void detach(String what, int target, KernelProgram program, AttachType type) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Sys.attr(arena, ProgAttach.SIZE);
            ProgAttach.TARGET_FD.set(attr, target);
            ProgAttach.ATTACH_BPF_FD.set(attr, program == null ? 0 : program.fd());
            ProgAttach.ATTACH_TYPE.set(attr, type.id());
            Sys.call(BpfCmd.PROG_DETACH, attr, what);
        }
    }
}
