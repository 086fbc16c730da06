package io.bpf4j.object;

import io.bpf4j.AttachType;
import io.bpf4j.ProgramType;
import java.util.List;
import java.util.Optional;

/**
 * What a program's ELF section name ({@code SEC("...")}) means, from libbpf's table of
 * section definitions: program type, expected attach type and load flags. A pattern ending in
 * {@code +} matches the exact name or the name followed by {@code /target}; other patterns
 * match exactly. The first matching pattern wins.
 *
 * <pre>{@code
 * SectionDefinition d = SectionDefinition.find("kprobe/do_exit").orElseThrow();
 * // d.type() == ProgramType.KPROBE, d.attachTarget("kprobe/do_exit") == "do_exit"
 * }</pre>
 *
 * @param pattern the section pattern, e.g. {@code "kprobe+"}
 * @param type the program type
 * @param attachType the expected attach type, or null for none
 * @param flags {@link #SLEEPABLE} and/or {@link #XDP_FRAGS}
 */
public record SectionDefinition(String pattern, ProgramType type, AttachType attachType, int flags) {
    /** {@code BPF_F_SLEEPABLE}: the program may sleep. */
    public static final int SLEEPABLE = 1 << 4;
    /** {@code BPF_F_XDP_HAS_FRAGS}: the XDP program handles multi-buffer packets. */
    public static final int XDP_FRAGS = 1 << 5;

    private static SectionDefinition def(String pattern, ProgramType type, AttachType attachType) {
        return new SectionDefinition(pattern, type, attachType, 0);
    }

    private static SectionDefinition def(String pattern, ProgramType type, AttachType attachType, int flags) {
        return new SectionDefinition(pattern, type, attachType, flags);
    }

    /** libbpf's section_defs (libbpf 1.7), in its order. */
    static final List<SectionDefinition> ALL = List.of(
            def("socket", ProgramType.SOCKET_FILTER, null),
            def("sk_reuseport/migrate", ProgramType.SK_REUSEPORT, AttachType.SK_REUSEPORT_SELECT_OR_MIGRATE),
            def("sk_reuseport", ProgramType.SK_REUSEPORT, AttachType.SK_REUSEPORT_SELECT),
            def("kprobe+", ProgramType.KPROBE, null),
            def("uprobe+", ProgramType.KPROBE, null),
            def("uprobe.s+", ProgramType.KPROBE, null, SLEEPABLE),
            def("kretprobe+", ProgramType.KPROBE, null),
            def("uretprobe+", ProgramType.KPROBE, null),
            def("uretprobe.s+", ProgramType.KPROBE, null, SLEEPABLE),
            def("kprobe.multi+", ProgramType.KPROBE, AttachType.TRACE_KPROBE_MULTI),
            def("kretprobe.multi+", ProgramType.KPROBE, AttachType.TRACE_KPROBE_MULTI),
            def("kprobe.session+", ProgramType.KPROBE, AttachType.TRACE_KPROBE_SESSION),
            def("uprobe.multi+", ProgramType.KPROBE, AttachType.TRACE_UPROBE_MULTI),
            def("uretprobe.multi+", ProgramType.KPROBE, AttachType.TRACE_UPROBE_MULTI),
            def("uprobe.session+", ProgramType.KPROBE, AttachType.TRACE_UPROBE_SESSION),
            def("uprobe.multi.s+", ProgramType.KPROBE, AttachType.TRACE_UPROBE_MULTI, SLEEPABLE),
            def("uretprobe.multi.s+", ProgramType.KPROBE, AttachType.TRACE_UPROBE_MULTI, SLEEPABLE),
            def("uprobe.session.s+", ProgramType.KPROBE, AttachType.TRACE_UPROBE_SESSION, SLEEPABLE),
            def("ksyscall+", ProgramType.KPROBE, null),
            def("kretsyscall+", ProgramType.KPROBE, null),
            def("usdt+", ProgramType.KPROBE, null),
            def("usdt.s+", ProgramType.KPROBE, null, SLEEPABLE),
            def("tc/ingress", ProgramType.SCHED_CLS, AttachType.TCX_INGRESS),
            def("tc/egress", ProgramType.SCHED_CLS, AttachType.TCX_EGRESS),
            def("tcx/ingress", ProgramType.SCHED_CLS, AttachType.TCX_INGRESS),
            def("tcx/egress", ProgramType.SCHED_CLS, AttachType.TCX_EGRESS),
            def("tc", ProgramType.SCHED_CLS, null),
            def("classifier", ProgramType.SCHED_CLS, null),
            def("action", ProgramType.SCHED_ACT, null),
            def("netkit/primary", ProgramType.SCHED_CLS, AttachType.NETKIT_PRIMARY),
            def("netkit/peer", ProgramType.SCHED_CLS, AttachType.NETKIT_PEER),
            def("tracepoint+", ProgramType.TRACEPOINT, null),
            def("tp+", ProgramType.TRACEPOINT, null),
            def("raw_tracepoint+", ProgramType.RAW_TRACEPOINT, null),
            def("raw_tp+", ProgramType.RAW_TRACEPOINT, null),
            def("raw_tracepoint.w+", ProgramType.RAW_TRACEPOINT_WRITABLE, null),
            def("raw_tp.w+", ProgramType.RAW_TRACEPOINT_WRITABLE, null),
            def("tp_btf+", ProgramType.TRACING, AttachType.TRACE_RAW_TP),
            def("fentry+", ProgramType.TRACING, AttachType.TRACE_FENTRY),
            def("fmod_ret+", ProgramType.TRACING, AttachType.MODIFY_RETURN),
            def("fexit+", ProgramType.TRACING, AttachType.TRACE_FEXIT),
            def("fentry.s+", ProgramType.TRACING, AttachType.TRACE_FENTRY, SLEEPABLE),
            def("fmod_ret.s+", ProgramType.TRACING, AttachType.MODIFY_RETURN, SLEEPABLE),
            def("fexit.s+", ProgramType.TRACING, AttachType.TRACE_FEXIT, SLEEPABLE),
            def("freplace+", ProgramType.EXT, null),
            def("lsm+", ProgramType.LSM, AttachType.LSM_MAC),
            def("lsm.s+", ProgramType.LSM, AttachType.LSM_MAC, SLEEPABLE),
            def("lsm_cgroup+", ProgramType.LSM, AttachType.LSM_CGROUP),
            def("iter+", ProgramType.TRACING, AttachType.TRACE_ITER),
            def("iter.s+", ProgramType.TRACING, AttachType.TRACE_ITER, SLEEPABLE),
            def("syscall", ProgramType.SYSCALL, null, SLEEPABLE),
            def("xdp.frags/devmap", ProgramType.XDP, AttachType.XDP_DEVMAP, XDP_FRAGS),
            def("xdp/devmap", ProgramType.XDP, AttachType.XDP_DEVMAP),
            def("xdp.frags/cpumap", ProgramType.XDP, AttachType.XDP_CPUMAP, XDP_FRAGS),
            def("xdp/cpumap", ProgramType.XDP, AttachType.XDP_CPUMAP),
            def("xdp.frags", ProgramType.XDP, AttachType.XDP, XDP_FRAGS),
            def("xdp", ProgramType.XDP, AttachType.XDP),
            def("perf_event", ProgramType.PERF_EVENT, null),
            def("lwt_in", ProgramType.LWT_IN, null),
            def("lwt_out", ProgramType.LWT_OUT, null),
            def("lwt_xmit", ProgramType.LWT_XMIT, null),
            def("lwt_seg6local", ProgramType.LWT_SEG6LOCAL, null),
            def("sockops", ProgramType.SOCK_OPS, AttachType.CGROUP_SOCK_OPS),
            def("sk_skb/stream_parser", ProgramType.SK_SKB, AttachType.SK_SKB_STREAM_PARSER),
            def("sk_skb/stream_verdict", ProgramType.SK_SKB, AttachType.SK_SKB_STREAM_VERDICT),
            def("sk_skb/verdict", ProgramType.SK_SKB, AttachType.SK_SKB_VERDICT),
            def("sk_skb", ProgramType.SK_SKB, null),
            def("sk_msg", ProgramType.SK_MSG, AttachType.SK_MSG_VERDICT),
            def("lirc_mode2", ProgramType.LIRC_MODE2, AttachType.LIRC_MODE2),
            def("flow_dissector", ProgramType.FLOW_DISSECTOR, AttachType.FLOW_DISSECTOR),
            def("cgroup_skb/ingress", ProgramType.CGROUP_SKB, AttachType.CGROUP_INET_INGRESS),
            def("cgroup_skb/egress", ProgramType.CGROUP_SKB, AttachType.CGROUP_INET_EGRESS),
            def("cgroup/skb", ProgramType.CGROUP_SKB, null),
            def("cgroup/sock_create", ProgramType.CGROUP_SOCK, AttachType.CGROUP_INET_SOCK_CREATE),
            def("cgroup/sock_release", ProgramType.CGROUP_SOCK, AttachType.CGROUP_INET_SOCK_RELEASE),
            def("cgroup/sock", ProgramType.CGROUP_SOCK, AttachType.CGROUP_INET_SOCK_CREATE),
            def("cgroup/post_bind4", ProgramType.CGROUP_SOCK, AttachType.CGROUP_INET4_POST_BIND),
            def("cgroup/post_bind6", ProgramType.CGROUP_SOCK, AttachType.CGROUP_INET6_POST_BIND),
            def("cgroup/bind4", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_BIND),
            def("cgroup/bind6", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET6_BIND),
            def("cgroup/connect4", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_CONNECT),
            def("cgroup/connect6", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET6_CONNECT),
            def("cgroup/connect_unix", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UNIX_CONNECT),
            def("cgroup/sendmsg4", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP4_SENDMSG),
            def("cgroup/sendmsg6", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP6_SENDMSG),
            def("cgroup/sendmsg_unix", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UNIX_SENDMSG),
            def("cgroup/recvmsg4", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP4_RECVMSG),
            def("cgroup/recvmsg6", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UDP6_RECVMSG),
            def("cgroup/recvmsg_unix", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UNIX_RECVMSG),
            def("cgroup/getpeername4", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_GETPEERNAME),
            def("cgroup/getpeername6", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET6_GETPEERNAME),
            def("cgroup/getpeername_unix", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UNIX_GETPEERNAME),
            def("cgroup/getsockname4", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_GETSOCKNAME),
            def("cgroup/getsockname6", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET6_GETSOCKNAME),
            def("cgroup/getsockname_unix", ProgramType.CGROUP_SOCK_ADDR, AttachType.CGROUP_UNIX_GETSOCKNAME),
            def("cgroup/sysctl", ProgramType.CGROUP_SYSCTL, AttachType.CGROUP_SYSCTL),
            def("cgroup/getsockopt", ProgramType.CGROUP_SOCKOPT, AttachType.CGROUP_GETSOCKOPT),
            def("cgroup/setsockopt", ProgramType.CGROUP_SOCKOPT, AttachType.CGROUP_SETSOCKOPT),
            def("cgroup/dev", ProgramType.CGROUP_DEVICE, AttachType.CGROUP_DEVICE),
            def("struct_ops+", ProgramType.STRUCT_OPS, null),
            def("struct_ops.s+", ProgramType.STRUCT_OPS, null, SLEEPABLE),
            def("sk_lookup", ProgramType.SK_LOOKUP, AttachType.SK_LOOKUP),
            def("netfilter", ProgramType.NETFILTER, AttachType.NETFILTER));

    /** The definition for section {@code name} ({@code ?} prefix already removed), if libbpf knows it. */
    public static Optional<SectionDefinition> find(String name) {
        for (SectionDefinition d : ALL) {
            if (d.matches(name)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** True if section {@code name} has this definition's form. */
    public boolean matches(String name) {
        if (pattern.endsWith("+")) {
            String prefix = pattern.substring(0, pattern.length() - 1);
            return name.startsWith(prefix) && (name.length() == prefix.length() || name.charAt(prefix.length()) == '/');
        }
        return name.equals(pattern);
    }

    /** The text after {@code pattern/} in {@code name} (the function, tracepoint, path...), or "" if none. */
    public String attachTarget(String name) {
        if (!pattern.endsWith("+")) {
            return "";
        }
        int prefix = pattern.length() - 1;
        return name.length() > prefix ? name.substring(prefix + 1) : "";
    }
}
