package io.bpf4j.kernel;

import io.bpf4j.ProgramType;
import io.bpf4j.kernel.sys.Layouts.ProgInfo;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Everything the kernel reports about a program ({@code struct bpf_prog_info}), with the
 * arrays it points to read in full.
 *
 * @param typeId           the kernel's program type number; see {@link #type()}
 * @param tag              the 8-byte digest of the instructions as loaded ({@link ProgramTag})
 * @param jitedInstructions machine code, empty when the JIT is off or dumping is not permitted
 * @param xlatedInstructions the instructions after the verifier rewrote them
 * @param loadTime         nanoseconds since boot ({@code CLOCK_BOOTTIME}) at load
 * @param mapIds           ids of the maps the program uses
 * @param jitedKsyms       addresses of the JITed functions (main program first)
 * @param jitedFuncLengths byte lengths of those functions
 * @param funcInfo         {@code bpf_func_info} records, {@code funcInfoRecordSize} bytes each
 * @param lineInfo         {@code bpf_line_info} records, {@code lineInfoRecordSize} bytes each
 * @param jitedLineInfo    machine addresses of the line info records
 * @param progTags         tags of each function (main program first)
 * @param runTimeNs        total run time, counted while {@code kernel.bpf_stats_enabled} is on
 */
public record ProgramInfo(
        int typeId,
        int id,
        byte[] tag,
        byte[] jitedInstructions,
        byte[] xlatedInstructions,
        long loadTime,
        int createdByUid,
        int[] mapIds,
        String name,
        int ifindex,
        boolean gplCompatible,
        long netnsDev,
        long netnsIno,
        long[] jitedKsyms,
        int[] jitedFuncLengths,
        int btfId,
        int funcInfoRecordSize,
        byte[] funcInfo,
        int lineInfoRecordSize,
        byte[] lineInfo,
        long[] jitedLineInfo,
        byte[][] progTags,
        long runTimeNs,
        long runCount,
        long recursionMisses,
        int verifiedInstructions,
        int attachBtfObjId,
        int attachBtfId) {

    /** The program type, empty for a type newer than this build of bpf4j. */
    public Optional<ProgramType> type() {
        return ProgramType.ofId(typeId);
    }

    /** The tag as bpftool prints it: 16 lowercase hex digits. */
    public String tagHex() {
        return HexFormat.of().formatHex(tag);
    }

    static ProgramInfo of(int fd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment first = arena.allocate(ProgInfo.SIZE, 8);
            Sys.info(fd, first, what);
            MemorySegment s = arena.allocate(ProgInfo.SIZE, 8);
            int jitedLen = ProgInfo.JITED_PROG_LEN.get(first);
            int xlatedLen = ProgInfo.XLATED_PROG_LEN.get(first);
            int nMaps = ProgInfo.NR_MAP_IDS.get(first);
            int nKsyms = ProgInfo.NR_JITED_KSYMS.get(first);
            int nFuncLens = ProgInfo.NR_JITED_FUNC_LENS.get(first);
            int nFuncInfo = ProgInfo.NR_FUNC_INFO.get(first);
            int funcRec = ProgInfo.FUNC_INFO_REC_SIZE.get(first);
            int nLineInfo = ProgInfo.NR_LINE_INFO.get(first);
            int lineRec = ProgInfo.LINE_INFO_REC_SIZE.get(first);
            int nJitedLines = ProgInfo.NR_JITED_LINE_INFO.get(first);
            int jitedLineRec = ProgInfo.JITED_LINE_INFO_REC_SIZE.get(first);
            int nTags = ProgInfo.NR_PROG_TAGS.get(first);

            MemorySegment jited = buffer(arena, s, ProgInfo.JITED_PROG_INSNS, jitedLen);
            ProgInfo.JITED_PROG_LEN.set(s, jitedLen);
            MemorySegment xlated = buffer(arena, s, ProgInfo.XLATED_PROG_INSNS, xlatedLen);
            ProgInfo.XLATED_PROG_LEN.set(s, xlatedLen);
            MemorySegment maps = buffer(arena, s, ProgInfo.MAP_IDS, 4L * nMaps);
            ProgInfo.NR_MAP_IDS.set(s, nMaps);
            MemorySegment ksyms = buffer(arena, s, ProgInfo.JITED_KSYMS, 8L * nKsyms);
            ProgInfo.NR_JITED_KSYMS.set(s, nKsyms);
            MemorySegment funcLens = buffer(arena, s, ProgInfo.JITED_FUNC_LENS, 4L * nFuncLens);
            ProgInfo.NR_JITED_FUNC_LENS.set(s, nFuncLens);
            MemorySegment funcInfo = buffer(arena, s, ProgInfo.FUNC_INFO, (long) funcRec * nFuncInfo);
            ProgInfo.NR_FUNC_INFO.set(s, nFuncInfo);
            ProgInfo.FUNC_INFO_REC_SIZE.set(s, funcRec);
            MemorySegment lineInfo = buffer(arena, s, ProgInfo.LINE_INFO, (long) lineRec * nLineInfo);
            ProgInfo.NR_LINE_INFO.set(s, nLineInfo);
            ProgInfo.LINE_INFO_REC_SIZE.set(s, lineRec);
            MemorySegment jitedLines = buffer(arena, s, ProgInfo.JITED_LINE_INFO, (long) jitedLineRec * nJitedLines);
            ProgInfo.NR_JITED_LINE_INFO.set(s, nJitedLines);
            ProgInfo.JITED_LINE_INFO_REC_SIZE.set(s, jitedLineRec);
            MemorySegment tags = buffer(arena, s, ProgInfo.PROG_TAGS, 8L * nTags);
            ProgInfo.NR_PROG_TAGS.set(s, nTags);
            Sys.info(fd, s, what);

            // The kernel reports the sizes it has; a program's image cannot change, but never read past what it wrote.
            byte[][] progTags = new byte[Math.min(nTags, ProgInfo.NR_PROG_TAGS.get(s))][];
            for (int i = 0; i < progTags.length; i++) {
                progTags[i] = tags.asSlice(8L * i, 8).toArray(ValueLayout.JAVA_BYTE);
            }
            return new ProgramInfo(
                    ProgInfo.TYPE.get(s),
                    ProgInfo.ID.get(s),
                    ProgInfo.TAG.get(s),
                    bytes(jited, Math.min(jitedLen, ProgInfo.JITED_PROG_LEN.get(s))),
                    bytes(xlated, Math.min(xlatedLen, ProgInfo.XLATED_PROG_LEN.get(s))),
                    ProgInfo.LOAD_TIME.get(s),
                    ProgInfo.CREATED_BY_UID.get(s),
                    maps.asSlice(0, 4L * Math.min(nMaps, ProgInfo.NR_MAP_IDS.get(s))).toArray(ValueLayout.JAVA_INT),
                    ProgInfo.NAME.getString(s),
                    ProgInfo.IFINDEX.get(s),
                    ProgInfo.GPL_COMPATIBLE.get(s) != 0,
                    ProgInfo.NETNS_DEV.get(s),
                    ProgInfo.NETNS_INO.get(s),
                    ksyms.asSlice(0, 8L * Math.min(nKsyms, ProgInfo.NR_JITED_KSYMS.get(s))).toArray(ValueLayout.JAVA_LONG),
                    funcLens.asSlice(0, 4L * Math.min(nFuncLens, ProgInfo.NR_JITED_FUNC_LENS.get(s)))
                            .toArray(ValueLayout.JAVA_INT),
                    ProgInfo.BTF_ID.get(s),
                    funcRec,
                    bytes(funcInfo, (long) funcRec * Math.min(nFuncInfo, ProgInfo.NR_FUNC_INFO.get(s))),
                    lineRec,
                    bytes(lineInfo, (long) lineRec * Math.min(nLineInfo, ProgInfo.NR_LINE_INFO.get(s))),
                    jitedLines.asSlice(0, 8L * Math.min(nJitedLines, ProgInfo.NR_JITED_LINE_INFO.get(s)))
                            .toArray(ValueLayout.JAVA_LONG),
                    progTags,
                    ProgInfo.RUN_TIME_NS.get(s),
                    ProgInfo.RUN_CNT.get(s),
                    ProgInfo.RECURSION_MISSES.get(s),
                    ProgInfo.VERIFIED_INSNS.get(s),
                    ProgInfo.ATTACH_BTF_OBJ_ID.get(s),
                    ProgInfo.ATTACH_BTF_ID.get(s));
        }
    }

    private static MemorySegment buffer(Arena arena, MemorySegment info, io.bpf4j.kernel.sys.Field.I64 pointer, long size) {
        if (size == 0) {
            return MemorySegment.NULL;
        }
        MemorySegment b = arena.allocate(size, 8);
        pointer.set(info, b);
        return b;
    }

    private static byte[] bytes(MemorySegment s, long n) {
        return n == 0 ? new byte[0] : s.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
    }
}
