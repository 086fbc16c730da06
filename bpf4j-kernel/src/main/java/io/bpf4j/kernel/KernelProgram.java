package io.bpf4j.kernel;

import io.bpf4j.AttachType;
import io.bpf4j.BpfProgram;
import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;
import io.bpf4j.kernel.sys.Bpf;
import io.bpf4j.kernel.sys.BpfCmd;
import io.bpf4j.kernel.sys.Errno;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Layouts.ProgInfo;
import io.bpf4j.kernel.sys.Layouts.ProgLoad;
import io.bpf4j.kernel.sys.Layouts.Test;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A program loaded into the kernel, owned through its file descriptor.
 *
 * <pre>{@code
 * try (KernelProgram p = KernelProgram.load(ProgramDefinition.of(ProgramType.XDP, "pass", insns, "GPL"))) {
 *     TestRunResult r = p.testRun(TestRun.ofData(packet));
 * } catch (VerifierException e) {
 *     System.err.println(e.log());
 * }
 * }</pre>
 */
public final class KernelProgram extends KernelObject implements BpfProgram {
    private final int typeId;
    private final String name;
    private final String verifierLog;

    private KernelProgram(Fd fd, int id, int typeId, String name, String verifierLog) {
        super(fd, id);
        this.verifierLog = verifierLog;
        this.typeId = typeId;
        this.name = name;
    }

    /**
     * Takes ownership of {@code fd}, an open program; closes it if its info cannot be read.
     * Only the fixed part of the info is read: the instruction dumps cost time that loading many
     * programs should not pay ({@link #info()} reads them when asked).
     */
    static KernelProgram adopt(Fd fd, String verifierLog) {
        return closingOnFailure(fd, f -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment s = arena.allocate(ProgInfo.SIZE, 8);
                Sys.info(f.get(), s, "read program info");
                return new KernelProgram(f, ProgInfo.ID.get(s), ProgInfo.TYPE.get(s), ProgInfo.NAME.getString(s), verifierLog);
            }
        });
    }

    /**
     * Loads a program. A rejection throws {@link VerifierException} with the verifier's
     * whole log (fetched by a second, logged load when the first ran without a log).
     */
    public static KernelProgram load(ProgramDefinition d) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment insns = arena.allocate(d.instructions().length, 8);
            MemorySegment.copy(d.instructions(), 0, insns, ValueLayout.JAVA_BYTE, 0, d.instructions().length);
            MemorySegment license = arena.allocateFrom(d.license(), StandardCharsets.UTF_8);
            MemorySegment funcInfo = copy(arena, d.funcInfo());
            MemorySegment lineInfo = copy(arena, d.lineInfo());
            MemorySegment fdArray = d.fdArray().length == 0 ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_INT, d.fdArray());
            MemorySegment attr = Sys.attr(arena, ProgLoad.SIZE);
            KernelLog.Outcome o = KernelLog.load((level, buffer, trueSize) -> {
                attr.fill((byte) 0);
                ProgLoad.PROG_TYPE.set(attr, d.type().id());
                ProgLoad.INSN_CNT.set(attr, d.instructionCount());
                ProgLoad.INSNS.set(attr, insns);
                ProgLoad.LICENSE.set(attr, license);
                ProgLoad.LOG_LEVEL.set(attr, level);
                ProgLoad.LOG_SIZE.set(attr, (int) buffer.byteSize());
                ProgLoad.LOG_BUF.set(attr, buffer);
                ProgLoad.KERN_VERSION.set(attr, d.kernVersion());
                ProgLoad.PROG_FLAGS.set(attr, d.flags());
                ProgLoad.PROG_NAME.setString(attr, d.name());
                ProgLoad.PROG_IFINDEX.set(attr, d.ifindex());
                ProgLoad.EXPECTED_ATTACH_TYPE.set(attr, d.expectedAttachType());
                ProgLoad.PROG_BTF_FD.set(attr, d.btfFd());
                if (d.funcInfo().length > 0) {
                    ProgLoad.FUNC_INFO_REC_SIZE.set(attr, d.funcInfoRecordSize());
                    ProgLoad.FUNC_INFO.set(attr, funcInfo);
                    ProgLoad.FUNC_INFO_CNT.set(attr, d.funcInfo().length / d.funcInfoRecordSize());
                }
                if (d.lineInfo().length > 0) {
                    ProgLoad.LINE_INFO_REC_SIZE.set(attr, d.lineInfoRecordSize());
                    ProgLoad.LINE_INFO.set(attr, lineInfo);
                    ProgLoad.LINE_INFO_CNT.set(attr, d.lineInfo().length / d.lineInfoRecordSize());
                }
                ProgLoad.ATTACH_BTF_ID.set(attr, d.attachBtfId());
                ProgLoad.ATTACH_PROG_FD.set(attr, d.attachFd());
                ProgLoad.FD_ARRAY.set(attr, fdArray);
                long r = Bpf.call(BpfCmd.PROG_LOAD, attr);
                trueSize[0] = ProgLoad.LOG_TRUE_SIZE.get(attr);
                return r;
            }, d.logLevel());
            if (o.result() < 0) {
                int errno = (int) -o.result();
                if (!o.log().isBlank()) {
                    throw new VerifierException(d.name(), errno, o.log());
                }
                String what = "load " + d.type().bpftoolName() + " program" + (d.name().isEmpty() ? "" : " '" + d.name() + "'");
                if (errno == Errno.EINVAL && FeatureProbe.lacks(d.type())) {
                    throw new UnsupportedFeatureException(what + ": this kernel (" + Kernel.release() + ") has no "
                            + d.type().bpftoolName() + " programs" + KernelVersions.since(d.type()));
                }
                String trampoline = trampolineKind(d);
                // Raw tracepoint programs need the same privileges (CAP_BPF and CAP_PERFMON): if they load,
                // the EPERM is the kernel refusing trampolines, not this process lacking a capability.
                if (errno == Errno.EPERM && trampoline != null && !FeatureProbe.lacks(ProgramType.RAW_TRACEPOINT)) {
                    throw new UnsupportedFeatureException(what + ": this kernel (" + Kernel.release() + ") refuses "
                            + trampoline + " programs (BPF_PROG_LOAD: EPERM) although it loads raw tracepoint programs "
                            + "for this process: BPF trampolines are forbidden here, e.g. by kernel lockdown or a "
                            + "security module's policy; a tracepoint, raw tracepoint or tp_btf program can serve instead");
                }
                throw new BpfSyscallException(what, BpfCmd.PROG_LOAD, errno);
            }
            return adopt(new Fd((int) o.result()), o.log());
        }
    }

    /** The kind of program {@code d} is if it runs through a BPF trampoline (fentry, fexit...), else null. */
    private static String trampolineKind(ProgramDefinition d) {
        return switch (d.type()) {
            case LSM -> "lsm";
            case EXT -> "freplace";
            case TRACING -> AttachType.ofId(d.expectedAttachType()).map(t -> switch (t) {
                case TRACE_FENTRY -> "fentry";
                case TRACE_FEXIT -> "fexit";
                case MODIFY_RETURN -> "fmod_ret";
                default -> null;
            }).orElse(null);
            default -> null;
        };
    }

    private static MemorySegment copy(Arena arena, byte[] b) {
        if (b.length == 0) {
            return MemorySegment.NULL;
        }
        MemorySegment s = arena.allocate(b.length, 8);
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, b.length);
        return s;
    }

    /** Opens the program with kernel id {@code id}. */
    public static KernelProgram openById(int id) {
        return adopt(Sys.openById(BpfCmd.PROG_GET_FD_BY_ID, id, "open program id " + id), "");
    }

    /** Opens the program pinned at {@code path}. */
    public static KernelProgram openPinned(Path path) {
        return adopt(openPinned(path, "bpf-prog", "program"), "");
    }

    @Override
    public String name() {
        return name;
    }

    /** The program type; {@link ProgramType#UNSPEC} for one newer than this build of bpf4j. */
    @Override
    public ProgramType type() {
        return ProgramType.ofId(typeId).orElse(ProgramType.UNSPEC);
    }

    /** The verifier's log of a successful load made with a log level above 0; empty otherwise. */
    public String verifierLog() {
        return verifierLog;
    }

    /** Fresh information from the kernel, arrays included. */
    public ProgramInfo info() {
        return ProgramInfo.of(fd(), "read info of " + this);
    }

    /** Pins the program at {@code path} on a bpffs. */
    public void pin(Path path) {
        pinAt(path);
    }

    /**
     * Runs the program with {@code BPF_PROG_TEST_RUN}. Output buffers have the sizes the
     * run asks for; when the program's output is larger the kernel fails with ENOSPC.
     */
    @Override
    public TestRunResult testRun(TestRun run) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dataIn = copy(arena, run.dataIn());
            MemorySegment dataOut = run.dataOutSize() == 0 ? MemorySegment.NULL : arena.allocate(run.dataOutSize(), 8);
            MemorySegment ctxIn = copy(arena, run.ctxIn());
            MemorySegment ctxOut = run.ctxOutSize() == 0 ? MemorySegment.NULL : arena.allocate(run.ctxOutSize(), 8);
            MemorySegment attr = Sys.attr(arena, Test.SIZE);
            Test.PROG_FD.set(attr, fd());
            Test.DATA_SIZE_IN.set(attr, run.dataIn().length);
            Test.DATA_SIZE_OUT.set(attr, run.dataOutSize());
            Test.DATA_IN.set(attr, dataIn);
            Test.DATA_OUT.set(attr, dataOut);
            Test.REPEAT.set(attr, run.repeat());
            Test.CTX_SIZE_IN.set(attr, run.ctxIn().length);
            Test.CTX_SIZE_OUT.set(attr, run.ctxOutSize());
            Test.CTX_IN.set(attr, ctxIn);
            Test.CTX_OUT.set(attr, ctxOut);
            Test.FLAGS.set(attr, run.flags());
            Test.CPU.set(attr, run.cpu());
            long r = Bpf.call(BpfCmd.PROG_TEST_RUN, attr);
            if (r < 0) {
                int errno = (int) -r;
                String what = "test run of " + this;
                if (errno == Errno.ENOSPC) {
                    what += " (output needs " + Integer.toUnsignedLong(Test.DATA_SIZE_OUT.get(attr)) + " bytes of data and "
                            + Integer.toUnsignedLong(Test.CTX_SIZE_OUT.get(attr)) + " of context, room was "
                            + run.dataOutSize() + " and " + run.ctxOutSize() + ")";
                }
                throw new BpfSyscallException(what, BpfCmd.PROG_TEST_RUN, errno);
            }
            int dataLen = Math.min(Test.DATA_SIZE_OUT.get(attr), run.dataOutSize());
            int ctxLen = Math.min(Test.CTX_SIZE_OUT.get(attr), run.ctxOutSize());
            return new TestRunResult(
                    Integer.toUnsignedLong(Test.RETVAL.get(attr)),
                    dataLen == 0 ? new byte[0] : dataOut.asSlice(0, dataLen).toArray(ValueLayout.JAVA_BYTE),
                    ctxLen == 0 ? new byte[0] : ctxOut.asSlice(0, ctxLen).toArray(ValueLayout.JAVA_BYTE),
                    Integer.toUnsignedLong(Test.DURATION.get(attr)));
        }
    }

    @Override
    public String toString() {
        String type = ProgramType.ofId(typeId).map(ProgramType::bpftoolName).orElse("type " + typeId);
        return "program " + (name.isEmpty() ? "" : "'" + name + "' ") + "(" + type + ", id " + id() + ")";
    }
}
