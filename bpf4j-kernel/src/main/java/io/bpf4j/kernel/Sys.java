package io.bpf4j.kernel;

import io.bpf4j.kernel.sys.Bpf;
import io.bpf4j.kernel.sys.BpfCmd;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Layouts.GetId;
import io.bpf4j.kernel.sys.Layouts.Info;
import io.bpf4j.kernel.sys.Layouts.Obj;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/** bpf() calls shared by the kernel object classes, failures turned into exceptions. */
final class Sys {
    private Sys() {}

    /** Makes a fresh zeroed attr of {@code size} bytes in {@code arena}. */
    static MemorySegment attr(Arena arena, int size) {
        return arena.allocate(size, 8);
    }

    /** Calls {@code cmd} and returns its non-negative result, or throws naming {@code what}. */
    static long call(BpfCmd cmd, MemorySegment attr, String what) {
        long r = Bpf.call(cmd, attr);
        if (r < 0) {
            throw new BpfSyscallException(what, cmd, (int) -r);
        }
        return r;
    }

    /** Calls a command that returns a new fd and takes ownership of it. */
    static Fd callForFd(BpfCmd cmd, MemorySegment attr, String what) {
        return new Fd((int) call(cmd, attr, what));
    }

    /** Fills {@code info} (a {@code bpf_*_info} of the kernel's layout) for {@code fd}; returns the length the kernel wrote. */
    static int info(int fd, MemorySegment info, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena, Info.SIZE);
            Info.BPF_FD.set(attr, fd);
            Info.INFO_LEN.set(attr, (int) info.byteSize());
            Info.INFO.set(attr, info);
            call(BpfCmd.OBJ_GET_INFO_BY_FD, attr, what);
            return Info.INFO_LEN.get(attr);
        }
    }

    /** Opens the object with {@code id} through one of the {@code *_GET_FD_BY_ID} commands. */
    static Fd openById(BpfCmd cmd, int id, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena, GetId.SIZE);
            GetId.START_ID.set(attr, id);
            return callForFd(cmd, attr, what);
        }
    }

    /** The id after {@code start} of the {@code *_GET_NEXT_ID} command, or 0 at the end. */
    static int nextId(BpfCmd cmd, int start) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena, GetId.SIZE);
            GetId.START_ID.set(attr, start);
            long r = Bpf.call(cmd, attr);
            if (r == -io.bpf4j.kernel.sys.Errno.ENOENT) {
                return 0;
            }
            if (r < 0) {
                throw new BpfSyscallException("list ids", cmd, (int) -r);
            }
            return GetId.NEXT_ID.get(attr);
        }
    }

    /** BPF_OBJ_PIN of {@code fd} at {@code path}. */
    static void pin(int fd, String path, String what) {
        Pins.ensureBpffs(path);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena, Obj.SIZE);
            Obj.PATHNAME.set(attr, arena.allocateFrom(path, StandardCharsets.UTF_8));
            Obj.BPF_FD.set(attr, fd);
            call(BpfCmd.OBJ_PIN, attr, what + " at " + path);
        }
    }

    /** BPF_OBJ_GET of the object pinned at {@code path}. */
    static Fd getPinned(String path, int fileFlags, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = attr(arena, Obj.SIZE);
            Obj.PATHNAME.set(attr, arena.allocateFrom(path, StandardCharsets.UTF_8));
            Obj.FILE_FLAGS.set(attr, fileFlags);
            return callForFd(BpfCmd.OBJ_GET, attr, what + " " + path);
        }
    }
}
