package io.bpf4j.kernel;

import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import java.util.EnumMap;
import java.util.Map;

/** The Linux release that introduced each map and program type, to say what an older kernel lacks. */
final class KernelVersions {
    private KernelVersions() {}

    private static final Map<MapType, String> MAPS = new EnumMap<>(MapType.class);
    private static final Map<ProgramType, String> PROGRAMS = new EnumMap<>(ProgramType.class);

    static {
        put(MAPS, "3.19", MapType.HASH, MapType.ARRAY);
        put(MAPS, "4.2", MapType.PROG_ARRAY);
        put(MAPS, "4.3", MapType.PERF_EVENT_ARRAY);
        put(MAPS, "4.6", MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.STACK_TRACE);
        put(MAPS, "4.8", MapType.CGROUP_ARRAY);
        put(MAPS, "4.10", MapType.LRU_HASH, MapType.LRU_PERCPU_HASH);
        put(MAPS, "4.11", MapType.LPM_TRIE);
        put(MAPS, "4.12", MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS);
        put(MAPS, "4.14", MapType.DEVMAP, MapType.SOCKMAP);
        put(MAPS, "4.15", MapType.CPUMAP);
        put(MAPS, "4.18", MapType.XSKMAP, MapType.SOCKHASH);
        put(MAPS, "4.19", MapType.CGROUP_STORAGE, MapType.CGROUP_STORAGE_DEPRECATED, MapType.REUSEPORT_SOCKARRAY);
        put(MAPS, "4.20", MapType.PERCPU_CGROUP_STORAGE, MapType.PERCPU_CGROUP_STORAGE_DEPRECATED, MapType.QUEUE,
                MapType.STACK);
        put(MAPS, "5.2", MapType.SK_STORAGE);
        put(MAPS, "5.4", MapType.DEVMAP_HASH);
        put(MAPS, "5.6", MapType.STRUCT_OPS);
        put(MAPS, "5.8", MapType.RINGBUF);
        put(MAPS, "5.10", MapType.INODE_STORAGE);
        put(MAPS, "5.11", MapType.TASK_STORAGE);
        put(MAPS, "5.16", MapType.BLOOM_FILTER);
        put(MAPS, "6.1", MapType.USER_RINGBUF);
        put(MAPS, "6.2", MapType.CGRP_STORAGE);
        put(MAPS, "6.9", MapType.ARENA);

        put(PROGRAMS, "3.19", ProgramType.SOCKET_FILTER);
        put(PROGRAMS, "4.1", ProgramType.KPROBE, ProgramType.SCHED_CLS, ProgramType.SCHED_ACT);
        put(PROGRAMS, "4.7", ProgramType.TRACEPOINT);
        put(PROGRAMS, "4.8", ProgramType.XDP);
        put(PROGRAMS, "4.9", ProgramType.PERF_EVENT);
        put(PROGRAMS, "4.10", ProgramType.CGROUP_SKB, ProgramType.CGROUP_SOCK, ProgramType.LWT_IN, ProgramType.LWT_OUT,
                ProgramType.LWT_XMIT);
        put(PROGRAMS, "4.13", ProgramType.SOCK_OPS);
        put(PROGRAMS, "4.14", ProgramType.SK_SKB);
        put(PROGRAMS, "4.15", ProgramType.CGROUP_DEVICE);
        put(PROGRAMS, "4.17", ProgramType.SK_MSG, ProgramType.RAW_TRACEPOINT, ProgramType.CGROUP_SOCK_ADDR);
        put(PROGRAMS, "4.18", ProgramType.LWT_SEG6LOCAL, ProgramType.LIRC_MODE2);
        put(PROGRAMS, "4.19", ProgramType.SK_REUSEPORT);
        put(PROGRAMS, "4.20", ProgramType.FLOW_DISSECTOR);
        put(PROGRAMS, "5.2", ProgramType.CGROUP_SYSCTL, ProgramType.RAW_TRACEPOINT_WRITABLE);
        put(PROGRAMS, "5.3", ProgramType.CGROUP_SOCKOPT);
        put(PROGRAMS, "5.5", ProgramType.TRACING);
        put(PROGRAMS, "5.6", ProgramType.STRUCT_OPS, ProgramType.EXT);
        put(PROGRAMS, "5.7", ProgramType.LSM);
        put(PROGRAMS, "5.9", ProgramType.SK_LOOKUP);
        put(PROGRAMS, "5.14", ProgramType.SYSCALL);
        put(PROGRAMS, "6.4", ProgramType.NETFILTER);
    }

    @SafeVarargs
    private static <T> void put(Map<T, String> table, String version, T... types) {
        for (T t : types) {
            table.put(t, version);
        }
    }

    /** " (map type added in Linux X.Y)" for a known type, or empty text. */
    static String since(MapType type) {
        String v = MAPS.get(type);
        return v == null ? "" : " (map type added in Linux " + v + ")";
    }

    static String since(ProgramType type) {
        String v = PROGRAMS.get(type);
        return v == null ? "" : " (program type added in Linux " + v + ")";
    }
}
