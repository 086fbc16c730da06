package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.kernel.sys.Bpf;
import io.bpf4j.kernel.sys.BpfCmd;
import io.bpf4j.kernel.sys.Errno;
import io.bpf4j.kernel.sys.Libc;
import io.bpf4j.kernel.sys.Layouts.ProgLoad;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import io.bpf4j.isa.AluOp;
import io.bpf4j.isa.Instruction;
import io.bpf4j.isa.Instructions;
import io.bpf4j.isa.JumpOp;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.nio.charset.StandardCharsets;

/**
 * What the running kernel supports, found the way libbpf and {@code bpftool feature probe}
 * find it: by loading a minimal program of each type, creating a minimal map of each type,
 * and loading a program that calls each helper and reading the verifier's verdict.
 *
 * <pre>{@code
 * FeatureProbe.programType(ProgramType.XDP);                 // true
 * FeatureProbe.mapType(MapType.ARENA);                       // true on 6.9+
 * FeatureProbe.helper(ProgramType.XDP, 51);                  // bpf_redirect_map from XDP
 * }</pre>
 */
public final class FeatureProbe {
    private FeatureProbe() {}

    private static final int MAXINSNS = 4096;

    /** Set while a probe runs, so that a failure inside it does not start another probe. */
    private static final ThreadLocal<Boolean> PROBING = ThreadLocal.withInitial(() -> false);

    /** Whether a failed creation of a {@code type} map is explained by the kernel lacking the type. */
    static boolean lacks(MapType type) {
        if (PROBING.get() || type == MapType.UNSPEC) {
            return false;
        }
        PROBING.set(true);
        try {
            return !mapType(type);
        } finally {
            PROBING.set(false);
        }
    }

    /** Whether a failed load of a {@code type} program is explained by the kernel lacking the type. */
    static boolean lacks(ProgramType type) {
        if (PROBING.get() || type == ProgramType.UNSPEC) {
            return false;
        }
        PROBING.set(true);
        try {
            return !programType(type);
        } finally {
            PROBING.set(false);
        }
    }

    /** Whether the bpf() system call exists (it fails with ENOSYS when not). */
    public static boolean bpfSyscall() {
        if (!Bpf.supported()) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            return Bpf.call(BpfCmd.PROG_LOAD, Sys.attr(arena, ProgLoad.SIZE)) != -Errno.ENOSYS;
        }
    }

    /** Whether programs of {@code type} load ({@code r0 = 0; exit}, with what the type needs). */
    public static boolean programType(ProgramType type) {
        return probeProgram(type, encode(mov(0, 0), EXIT), false);
    }

    /**
     * Whether programs of {@code type} may call helper {@code helperId}. As libbpf does: a
     * program of just that call is loaded, and only the verifier's "invalid func" or
     * "unknown func" say no; types that cannot load such a program (tracing, ext, LSM,
     * struct_ops) answer false.
     */
    public static boolean helper(ProgramType type, int helperId) {
        return switch (type) {
            case TRACING, EXT, LSM, STRUCT_OPS -> false;
            default -> probeProgram(type, encode(new Instruction.CallHelper(helperId), EXIT), true);
        };
    }

    /** Whether programs of more than 4096 instructions load (Linux 5.3). */
    public static boolean largeInstructionLimit() {
        Instruction[] program = new Instruction[MAXINSNS + 1];
        java.util.Arrays.fill(program, mov(0, 1));
        program[MAXINSNS] = EXIT;
        return miscProbe(encode(program));
    }

    /** Whether bounded loops are verified (Linux 5.3). */
    public static boolean boundedLoops() {
        return miscProbe(encode(mov(0, 10), new Instruction.AluImm(true, AluOp.SUB, 0, 1),
                new Instruction.JumpImm(false, JumpOp.JNE, 0, 0, (short) -2), EXIT));
    }

    /** Whether the v2 jumps (JLT, JLE, JSLT, JSLE) exist (Linux 4.14). */
    public static boolean isaV2() {
        return miscProbe(encode(mov(0, 0), new Instruction.JumpImm(false, JumpOp.JLT, 0, 0, (short) 1), mov(0, 1), EXIT));
    }

    /** Whether 32-bit jumps (JMP32) exist (Linux 5.1). */
    public static boolean isaV3() {
        return miscProbe(encode(mov(0, 0), new Instruction.JumpImm(true, JumpOp.JLT, 0, 0, (short) 1), mov(0, 1), EXIT));
    }

    /** Whether maps of {@code type} can be created (with the sizes, flags and BTF the type needs). */
    public static boolean mapType(MapType type) {
        if (type == MapType.UNSPEC) {
            return false;
        }
        boolean localStorage = switch (type) {
            case SK_STORAGE, INODE_STORAGE, TASK_STORAGE, CGRP_STORAGE -> true;
            default -> false;
        };
        boolean mapOfMaps = type == MapType.ARRAY_OF_MAPS || type == MapType.HASH_OF_MAPS;
        try (KernelBtf btf = localStorage ? KernelBtf.load(localStorageBtf()) : null;
                KernelMap inner = mapOfMaps ? KernelMap.create(MapDefinition.of(MapType.HASH, 4, 4, 1)) : null;
                KernelMap map = KernelMap.create(minimalDefinition(type, btf, inner))) {
            return type != MapType.STRUCT_OPS; // a struct_ops probe is meant to fail
        } catch (BpfSyscallException e) {
            // Type 1 of vmlinux is no struct_ops type: a kernel that knows struct_ops says ENOTSUPP.
            return type == MapType.STRUCT_OPS && e.command() == BpfCmd.MAP_CREATE && e.errno() == Errno.ENOTSUPP;
        }
    }

    /**
     * The smallest map of {@code type} a kernel accepts, as the probes create it: local
     * storage types take {@code btf} (from {@link #localStorageBtf()}), maps of maps an
     * {@code inner} template. A struct_ops map needs a real vmlinux type to be created.
     */
    public static MapDefinition minimalDefinition(MapType type, KernelBtf btf, KernelMap inner) {
        MapDefinition d = MapDefinition.of(type, 4, 4, 1);
        return switch (type) {
            case STACK_TRACE -> MapDefinition.of(type, 4, 8, 1);
            case LPM_TRIE -> MapDefinition.of(type, 8, 8, 1).withFlags(MapFlags.NO_PREALLOC);
            // struct bpf_cgroup_storage_key is 16 bytes; the kernel sizes these maps itself
            case CGROUP_STORAGE, CGROUP_STORAGE_DEPRECATED, PERCPU_CGROUP_STORAGE, PERCPU_CGROUP_STORAGE_DEPRECATED ->
                MapDefinition.of(type, 16, 8, 0);
            case QUEUE, STACK, BLOOM_FILTER -> MapDefinition.of(type, 0, 4, 1);
            case SK_STORAGE, INODE_STORAGE, TASK_STORAGE, CGRP_STORAGE ->
                MapDefinition.of(type, 4, 8, 0).withFlags(MapFlags.NO_PREALLOC).withBtf(btf, 1, 3);
            case RINGBUF, USER_RINGBUF -> MapDefinition.of(type, 0, 0, Libc.pageSize());
            case STRUCT_OPS -> d.withVmlinuxValueType(1);
            case ARENA -> MapDefinition.of(type, 0, 0, 1).withFlags(MapFlags.MMAPABLE);
            case ARRAY_OF_MAPS, HASH_OF_MAPS -> d.withInnerMap(inner);
            default -> d;
        };
    }

    /**
     * BTF of {@code struct val { int cnt; struct bpf_spin_lock l; }}: a local storage map
     * needs a BTF-described value.
     */
    static byte[] localStorageBtf() {
        String strings = "\0bpf_spin_lock\0val\0cnt\0l\0";
        ByteBuffer t = ByteBuffer.allocate(76).order(ByteOrder.nativeOrder());
        t.putInt(0).putInt(1 << 24).putInt(4).putInt(1 << 24 | 32);     // [1] int: signed, 32 bits
        t.putInt(1).putInt(4 << 24 | 1).putInt(4);                     // [2] struct bpf_spin_lock, 4 bytes
        t.putInt(15).putInt(1).putInt(0);                              //     int val @0
        t.putInt(15).putInt(4 << 24 | 2).putInt(8);                    // [3] struct val, 8 bytes
        t.putInt(19).putInt(1).putInt(0);                              //     int cnt @0
        t.putInt(23).putInt(2).putInt(32);                             //     struct bpf_spin_lock l @32
        byte[] s = strings.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(24 + t.capacity() + s.length).order(ByteOrder.nativeOrder());
        b.putShort((short) 0xeb9f).put((byte) 1).put((byte) 0).putInt(24);
        b.putInt(0).putInt(t.capacity()).putInt(t.capacity()).putInt(s.length);
        b.put(t.array()).put(s);
        return b.array();
    }

    private static boolean probeProgram(ProgramType type, byte[] insns, boolean helperProbe) {
        int expectedAttach = 0;
        int kernVersion = 0;
        int flags = 0;
        int attachBtfId = 0;
        int expectErrno = 0;
        String expectLog = null;
        switch (type) {
            case CGROUP_SOCK_ADDR -> expectedAttach = AttachType.CGROUP_INET4_CONNECT.id();
            case CGROUP_SOCKOPT -> expectedAttach = AttachType.CGROUP_GETSOCKOPT.id();
            case SK_LOOKUP -> expectedAttach = AttachType.SK_LOOKUP.id();
            case KPROBE -> kernVersion = kernelVersionCode(Kernel.release());
            case LIRC_MODE2 -> expectedAttach = AttachType.LIRC_MODE2.id();
            case TRACING, LSM -> {
                expectedAttach = (type == ProgramType.TRACING ? AttachType.TRACE_FENTRY : AttachType.MODIFY_RETURN).id();
                attachBtfId = 1;
                expectErrno = Errno.EINVAL;
                expectLog = "attach_btf_id 1 is not a function";
            }
            case EXT -> {
                attachBtfId = 1;
                expectErrno = Errno.EINVAL;
                expectLog = "Cannot replace kernel functions";
            }
            case SYSCALL -> flags = ProgramDefinition.SLEEPABLE;
            case STRUCT_OPS -> expectErrno = Errno.ENOTSUPP;
            case NETFILTER -> expectedAttach = AttachType.NETFILTER.id();
            case UNSPEC -> {
                return false;
            }
            default -> {}
        }
        boolean wantLog = helperProbe || expectLog != null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment code = arena.allocate(insns.length, 8);
            MemorySegment.copy(insns, 0, code, ValueLayout.JAVA_BYTE, 0, insns.length);
            MemorySegment log = wantLog ? arena.allocate(4096) : MemorySegment.NULL;
            MemorySegment attr = Sys.attr(arena, ProgLoad.SIZE);
            ProgLoad.PROG_TYPE.set(attr, type.id());
            ProgLoad.INSN_CNT.set(attr, insns.length / 8);
            ProgLoad.INSNS.set(attr, code);
            ProgLoad.LICENSE.set(attr, arena.allocateFrom("GPL"));
            if (wantLog) {
                ProgLoad.LOG_LEVEL.set(attr, 1);
                ProgLoad.LOG_SIZE.set(attr, (int) log.byteSize());
                ProgLoad.LOG_BUF.set(attr, log);
            }
            ProgLoad.KERN_VERSION.set(attr, kernVersion);
            ProgLoad.PROG_FLAGS.set(attr, flags);
            ProgLoad.EXPECTED_ATTACH_TYPE.set(attr, expectedAttach);
            ProgLoad.ATTACH_BTF_ID.set(attr, attachBtfId);
            long r = Bpf.call(BpfCmd.PROG_LOAD, attr);
            if (r >= 0) {
                Libc.close((int) r);
            }
            String text = wantLog ? log.getString(0) : "";
            boolean loaded;
            if (expectErrno != 0) {
                loaded = r == -expectErrno && (expectLog == null || text.contains(expectLog));
            } else {
                loaded = r >= 0;
            }
            if (helperProbe) {
                return loaded || !(text.contains("invalid func ") || text.contains("unknown func "));
            }
            return loaded;
        }
    }

    private static boolean miscProbe(byte[] insns) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment code = arena.allocate(insns.length, 8);
            MemorySegment.copy(insns, 0, code, ValueLayout.JAVA_BYTE, 0, insns.length);
            MemorySegment attr = Sys.attr(arena, ProgLoad.SIZE);
            ProgLoad.PROG_TYPE.set(attr, ProgramType.SOCKET_FILTER.id());
            ProgLoad.INSN_CNT.set(attr, insns.length / 8);
            ProgLoad.INSNS.set(attr, code);
            ProgLoad.LICENSE.set(attr, arena.allocateFrom("GPL"));
            long r = Bpf.call(BpfCmd.PROG_LOAD, attr);
            if (r >= 0) {
                Libc.close((int) r);
            }
            return r >= 0;
        }
    }

    /** {@code KERNEL_VERSION(a, b, c)} of a release such as {@code 6.18.44-generic}; 0 when it has no three numbers. */
    static int kernelVersionCode(String release) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)\\.(\\d+)").matcher(release);
        if (!m.find()) {
            return 0;
        }
        return (Integer.parseInt(m.group(1)) << 16) + (Integer.parseInt(m.group(2)) << 8)
                + Math.min(255, Integer.parseInt(m.group(3)));
    }

    private static final Instruction EXIT = new Instruction.Exit();

    private static Instruction mov(int dst, int imm) {
        return new Instruction.AluImm(true, AluOp.MOV, dst, imm);
    }

    private static byte[] encode(Instruction... program) {
        return Instructions.encode(List.of(program), ByteOrder.nativeOrder());
    }
}
