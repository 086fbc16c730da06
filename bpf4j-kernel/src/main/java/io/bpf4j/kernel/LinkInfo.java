package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.LinkType;
import io.bpf4j.kernel.sys.Layouts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * What the kernel reports about a link ({@code struct bpf_link_info}): its type, id, program,
 * and what it is attached to.
 *
 * <pre>{@code
 * LinkInfo info = link.info();
 * if (info.target() instanceof LinkInfo.Xdp(int ifindex)) { ... }
 * }</pre>
 *
 * @param typeId the kernel's link type number; see {@link #type()}
 */
public record LinkInfo(int typeId, int id, int progId, Target target) {

    /** The link type, empty for a type newer than this build of bpf4j. */
    public Optional<LinkType> type() {
        return LinkType.ofId(typeId);
    }

    /** What a link is attached to, by link type. */
    public sealed interface Target {}

    /** A raw tracepoint ({@code raw_tp}). */
    public record RawTracepoint(String name, long cookie) implements Target {}

    /** A BTF-typed attach point: fentry, fexit, fmod_ret, tp_btf, lsm, freplace. */
    public record Tracing(int attachType, int targetObjId, int targetBtfId, long cookie) implements Target {}

    /** A cgroup (v2) and the hook in it. */
    public record Cgroup(long cgroupId, int attachType) implements Target {}

    /** An iterator over a kernel object kind ({@code task}, {@code bpf_map_elem}, ...). */
    public record Iter(String targetName, int mapId) implements Target {}

    /** A network namespace hook (flow dissector, sk_lookup). */
    public record Netns(int netnsIno, int attachType) implements Target {}

    /** XDP on a network device. */
    public record Xdp(int ifindex) implements Target {}

    /** A struct_ops map. */
    public record StructOps(int mapId) implements Target {}

    /** A netfilter hook. */
    public record Netfilter(int protocolFamily, int hook, int priority, int flags) implements Target {}

    /** tcx (ingress or egress) on a network device. */
    public record Tcx(int ifindex, int attachType) implements Target {}

    /** A netkit device (primary or peer). */
    public record Netkit(int ifindex, int attachType) implements Target {}

    /** A sockmap or sockhash. */
    public record Sockmap(int mapId, int attachType) implements Target {}

    /** Several kernel functions at once (kprobe.multi). */
    public record KprobeMulti(int count, int flags, long missed) implements Target {}

    /** Several offsets of one file at once (uprobe.multi). */
    public record UprobeMulti(String path, int count, int flags, int pid) implements Target {}

    /**
     * A perf event: tracepoint, kprobe, uprobe or a plain event ({@code kind} 1 uprobe,
     * 2 uretprobe, 3 kprobe, 4 kretprobe, 5 tracepoint, 6 event).
     *
     * @param name   the file of a uprobe, the function of a kprobe, the tracepoint; empty for an event
     * @param offset the probe's offset; for an event its config
     */
    public record PerfEvent(int kind, String name, long offset, long cookie) implements Target {
        public static final int UPROBE = 1;
        public static final int URETPROBE = 2;
        public static final int KPROBE = 3;
        public static final int KRETPROBE = 4;
        public static final int TRACEPOINT = 5;
        public static final int EVENT = 6;
    }

    /** A link type bpf4j does not describe further. */
    public record Other() implements Target {}

    /** The attach type of targets that have one, as {@link AttachType} when known. */
    public static Optional<AttachType> attachType(Target t) {
        int id = switch (t) {
            case Tracing x -> x.attachType();
            case Cgroup x -> x.attachType();
            case Netns x -> x.attachType();
            case Tcx x -> x.attachType();
            case Netkit x -> x.attachType();
            case Sockmap x -> x.attachType();
            default -> -1;
        };
        return id < 0 ? Optional.empty() : AttachType.ofId(id);
    }

    /** Reads the info of the link {@code fd}; strings (names, paths) are read in a second call, as they need a buffer. */
    static LinkInfo of(int fd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(Layouts.LinkInfo.SIZE, 8);
            Sys.info(fd, info, what);
            int type = Layouts.LinkInfo.TYPE.get(info);
            MemorySegment name = arena.allocate(4096);
            boolean again = true;
            switch (LinkType.ofId(type).orElse(LinkType.UNSPEC)) {
                case RAW_TRACEPOINT -> {
                    Layouts.LinkInfo.RAW_TRACEPOINT_TP_NAME.set(info, name);
                    Layouts.LinkInfo.RAW_TRACEPOINT_TP_NAME_LEN.set(info, (int) name.byteSize());
                }
                case ITER -> {
                    Layouts.LinkInfo.ITER_TARGET_NAME.set(info, name);
                    Layouts.LinkInfo.ITER_TARGET_NAME_LEN.set(info, (int) name.byteSize());
                }
                case PERF_EVENT -> {
                    // file_name, func_name and tp_name share their place in the union.
                    Layouts.LinkInfo.PERF_EVENT_TRACEPOINT_TP_NAME.set(info, name);
                    Layouts.LinkInfo.PERF_EVENT_TRACEPOINT_NAME_LEN.set(info, (int) name.byteSize());
                }
                case UPROBE_MULTI -> {
                    Layouts.LinkInfo.UPROBE_MULTI_PATH.set(info, name);
                    Layouts.LinkInfo.UPROBE_MULTI_PATH_SIZE.set(info, (int) name.byteSize());
                }
                default -> again = false;
            }
            if (again) {
                Sys.info(fd, info, what);
            }
            String text = again ? name.getString(0) : "";
            return new LinkInfo(type, Layouts.LinkInfo.ID.get(info), Layouts.LinkInfo.PROG_ID.get(info),
                    target(type, info, text));
        }
    }

    private static Target target(int type, MemorySegment i, String text) {
        return switch (LinkType.ofId(type).orElse(LinkType.UNSPEC)) {
            case RAW_TRACEPOINT -> new RawTracepoint(text, Layouts.LinkInfo.RAW_TRACEPOINT_COOKIE.get(i));
            case TRACING -> new Tracing(Layouts.LinkInfo.TRACING_ATTACH_TYPE.get(i), Layouts.LinkInfo.TRACING_TARGET_OBJ_ID.get(i),
                    Layouts.LinkInfo.TRACING_TARGET_BTF_ID.get(i), Layouts.LinkInfo.TRACING_COOKIE.get(i));
            case CGROUP -> new Cgroup(Layouts.LinkInfo.CGROUP_CGROUP_ID.get(i), Layouts.LinkInfo.CGROUP_ATTACH_TYPE.get(i));
            case ITER -> new Iter(text, Layouts.LinkInfo.ITER_MAP_MAP_ID.get(i));
            case NETNS -> new Netns(Layouts.LinkInfo.NETNS_NETNS_INO.get(i), Layouts.LinkInfo.NETNS_ATTACH_TYPE.get(i));
            case XDP -> new Xdp(Layouts.LinkInfo.XDP_IFINDEX.get(i));
            case STRUCT_OPS -> new StructOps(Layouts.LinkInfo.STRUCT_OPS_MAP_ID.get(i));
            case NETFILTER -> new Netfilter(Layouts.LinkInfo.NETFILTER_PF.get(i), Layouts.LinkInfo.NETFILTER_HOOKNUM.get(i),
                    Layouts.LinkInfo.NETFILTER_PRIORITY.get(i), Layouts.LinkInfo.NETFILTER_FLAGS.get(i));
            case TCX -> new Tcx(Layouts.LinkInfo.TCX_IFINDEX.get(i), Layouts.LinkInfo.TCX_ATTACH_TYPE.get(i));
            case NETKIT -> new Netkit(Layouts.LinkInfo.NETKIT_IFINDEX.get(i), Layouts.LinkInfo.NETKIT_ATTACH_TYPE.get(i));
            case SOCKMAP -> new Sockmap(Layouts.LinkInfo.SOCKMAP_MAP_ID.get(i), Layouts.LinkInfo.SOCKMAP_ATTACH_TYPE.get(i));
            case KPROBE_MULTI -> new KprobeMulti(Layouts.LinkInfo.KPROBE_MULTI_COUNT.get(i),
                    Layouts.LinkInfo.KPROBE_MULTI_FLAGS.get(i), Layouts.LinkInfo.KPROBE_MULTI_MISSED.get(i));
            case UPROBE_MULTI -> new UprobeMulti(text, Layouts.LinkInfo.UPROBE_MULTI_COUNT.get(i),
                    Layouts.LinkInfo.UPROBE_MULTI_FLAGS.get(i), Layouts.LinkInfo.UPROBE_MULTI_PID.get(i));
            case PERF_EVENT -> perfEvent(i, text);
            default -> new Other();
        };
    }

    private static PerfEvent perfEvent(MemorySegment i, String text) {
        int kind = Layouts.LinkInfo.PERF_EVENT_TYPE.get(i);
        return switch (kind) {
            case PerfEvent.UPROBE, PerfEvent.URETPROBE -> new PerfEvent(kind, text,
                    Integer.toUnsignedLong(Layouts.LinkInfo.PERF_EVENT_UPROBE_OFFSET.get(i)),
                    Layouts.LinkInfo.PERF_EVENT_UPROBE_COOKIE.get(i));
            case PerfEvent.KPROBE, PerfEvent.KRETPROBE -> new PerfEvent(kind, text,
                    Integer.toUnsignedLong(Layouts.LinkInfo.PERF_EVENT_KPROBE_OFFSET.get(i)),
                    Layouts.LinkInfo.PERF_EVENT_KPROBE_COOKIE.get(i));
            case PerfEvent.TRACEPOINT -> new PerfEvent(kind, text, 0, Layouts.LinkInfo.PERF_EVENT_TRACEPOINT_COOKIE.get(i));
            default -> new PerfEvent(kind, "", Layouts.LinkInfo.PERF_EVENT_EVENT_CONFIG.get(i),
                    Layouts.LinkInfo.PERF_EVENT_EVENT_COOKIE.get(i));
        };
    }
}
