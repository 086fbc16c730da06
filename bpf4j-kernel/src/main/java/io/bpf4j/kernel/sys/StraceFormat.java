package io.bpf4j.kernel.sys;

import io.bpf4j.AttachType;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.kernel.sys.Layouts.Batch;
import io.bpf4j.kernel.sys.Layouts.BtfLoad;
import io.bpf4j.kernel.sys.Layouts.GetId;
import io.bpf4j.kernel.sys.Layouts.Info;
import io.bpf4j.kernel.sys.Layouts.MapCreate;
import io.bpf4j.kernel.sys.Layouts.MapElem;
import io.bpf4j.kernel.sys.Layouts.Obj;
import io.bpf4j.kernel.sys.Layouts.ProgLoad;
import io.bpf4j.kernel.sys.Layouts.Test;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntFunction;

/**
 * Prints a bpf() call the way {@code strace -e trace=bpf} (6.x, default options) does:
 * fields in the kernel's order, enums and flags by name, pointers in hex, strings quoted
 * and cut at 32 characters, the fd or error after {@code =}. Fields newer than a given
 * strace release are printed in the style later releases use. What is printed on entry
 * is read before the call, what strace prints on exit (changed in/out fields) after it.
 */
final class StraceFormat {
    private static final int MAX_STRLEN = 32;

    private static final String[] MAP_FLAGS = {
        "BPF_F_NO_PREALLOC", "BPF_F_NO_COMMON_LRU", "BPF_F_NUMA_NODE", "BPF_F_RDONLY", "BPF_F_WRONLY",
        "BPF_F_STACK_BUILD_ID", "BPF_F_ZERO_SEED", "BPF_F_RDONLY_PROG", "BPF_F_WRONLY_PROG", "BPF_F_CLONE",
        "BPF_F_MMAPABLE", "BPF_F_PRESERVE_ELEMS", "BPF_F_INNER_MAP", "BPF_F_LINK", "BPF_F_PATH_FD",
        "BPF_F_VTYPE_BTF_OBJ_FD", "BPF_F_TOKEN_FD", "BPF_F_SEGV_ON_FAULT", "BPF_F_NO_USER_CONV",
    };
    private static final String[] PROG_FLAGS = {
        "BPF_F_STRICT_ALIGNMENT", "BPF_F_ANY_ALIGNMENT", "BPF_F_TEST_RND_HI32", "BPF_F_TEST_STATE_FREQ",
        "BPF_F_SLEEPABLE", "BPF_F_XDP_HAS_FRAGS", "BPF_F_XDP_DEV_BOUND_ONLY", "BPF_F_TEST_REG_INVARIANTS",
    };
    private static final String[] TEST_RUN_FLAGS = {
        "BPF_F_TEST_RUN_ON_CPU", "BPF_F_TEST_XDP_LIVE_FRAMES", "BPF_F_TEST_SKB_CHECKSUM_COMPLETE",
    };
    /** Bits 3 and 4; {@code BPF_F_PATH_FD} is bit 14. */
    private static final String[] FILE_FLAGS = bits(3, "BPF_F_RDONLY", 4, "BPF_F_WRONLY", 14, "BPF_F_PATH_FD");
    private static final String[] LOOKUP_FLAGS = bits(2, "BPF_F_LOCK");
    private static final String[] UPDATE_FLAGS = {"BPF_ANY", "BPF_NOEXIST", "BPF_EXIST", null, "BPF_F_LOCK"};

    private StraceFormat() {}

    private static String[] bits(Object... bitAndName) {
        String[] t = new String[32];
        for (int i = 0; i < bitAndName.length; i += 2) {
            t[(Integer) bitAndName[i]] = (String) bitAndName[i + 1];
        }
        return t;
    }

    /** A call printed up to the end of its entry part. */
    static final class Call {
        final BpfCmd cmd;
        final Line line;
        long saved;

        Call(BpfCmd cmd, Line line) {
            this.cmd = cmd;
            this.line = line;
        }
    }

    static Call enter(BpfCmd cmd, MemorySegment attr) {
        Line o = new Line(attr);
        o.sb.append("bpf(").append(cmd.kernelName()).append(", ");
        Call c = new Call(cmd, o);
        switch (cmd) {
            case MAP_CREATE -> mapCreate(o);
            case MAP_LOOKUP_ELEM, MAP_LOOKUP_AND_DELETE_ELEM -> {
                o.begin().fd(MapElem.MAP_FD).addr(MapElem.KEY).addr(MapElem.VALUE)
                        .flags(MapElem.FLAGS, LOOKUP_FLAGS, "BPF_ANY", "BPF_???");
            }
            case MAP_UPDATE_ELEM -> o.begin().fd(MapElem.MAP_FD).addr(MapElem.KEY).addr(MapElem.VALUE)
                    .xval(MapElem.FLAGS, StraceFormat::updateFlag, "BPF_???");
            case MAP_DELETE_ELEM -> o.begin().fd(MapElem.MAP_FD).addr(MapElem.KEY).decoded(MapElem.KEY.end());
            case MAP_GET_NEXT_KEY -> o.begin().fd(MapElem.MAP_FD).addr(MapElem.KEY).addr(MapElem.NEXT_KEY)
                    .decoded(MapElem.NEXT_KEY.end());
            case MAP_FREEZE -> o.begin().fd(MapElem.MAP_FD).decoded(MapElem.MAP_FD.end());
            case PROG_LOAD -> progLoad(o);
            case OBJ_PIN, OBJ_GET -> {
                o.begin().path(Obj.PATHNAME).fd(Obj.BPF_FD);
                if (o.has(Obj.FILE_FLAGS)) {
                    o.flags(Obj.FILE_FLAGS, FILE_FLAGS, null, "BPF_F_???");
                }
                if (o.has(Obj.PATH_FD)) {
                    o.fd(Obj.PATH_FD);
                }
            }
            case PROG_TEST_RUN -> testRun(o);
            case PROG_GET_NEXT_ID, MAP_GET_NEXT_ID, BTF_GET_NEXT_ID, LINK_GET_NEXT_ID -> {
                c.saved = Integer.toUnsignedLong(GetId.NEXT_ID.get(attr));
                o.begin().u(GetId.START_ID).u(GetId.NEXT_ID);
            }
            case PROG_GET_FD_BY_ID, MAP_GET_FD_BY_ID -> {
                o.begin().u(cmd == BpfCmd.PROG_GET_FD_BY_ID ? GetId.PROG_ID : GetId.MAP_ID).u(GetId.NEXT_ID);
                openFlags(o);
            }
            case BTF_GET_FD_BY_ID, LINK_GET_FD_BY_ID -> {
                o.begin().u(cmd == BpfCmd.BTF_GET_FD_BY_ID ? GetId.BTF_ID : GetId.LINK_ID);
                if (o.has(GetId.OPEN_FLAGS)) {
                    openFlags(o);
                } else {
                    o.decoded(GetId.START_ID.end());
                }
            }
            case OBJ_GET_INFO_BY_FD -> {
                c.saved = Integer.toUnsignedLong(Info.INFO_LEN.get(attr));
                o.begin().name("info").begin().fd(Info.BPF_FD).u(Info.INFO_LEN);
            }
            case BTF_LOAD -> {
                o.begin().strn("btf", BtfLoad.BTF.get(attr), Integer.toUnsignedLong(BtfLoad.BTF_SIZE.get(attr)));
                o.addr(BtfLoad.BTF_LOG_BUF).u(BtfLoad.BTF_SIZE).u(BtfLoad.BTF_LOG_SIZE).u(BtfLoad.BTF_LOG_LEVEL);
                o.decoded(BtfLoad.BTF_LOG_LEVEL.end());
            }
            case MAP_LOOKUP_BATCH, MAP_LOOKUP_AND_DELETE_BATCH, MAP_UPDATE_BATCH, MAP_DELETE_BATCH -> {
                c.saved = Integer.toUnsignedLong(Batch.COUNT.get(attr));
                o.begin().name("batch").begin();
                if (cmd == BpfCmd.MAP_LOOKUP_BATCH || cmd == BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH) {
                    o.addr(Batch.IN_BATCH).addr(Batch.OUT_BATCH);
                }
                o.addr(Batch.KEYS);
                if (cmd != BpfCmd.MAP_DELETE_BATCH) {
                    o.addr(Batch.VALUES);
                }
                o.u(Batch.COUNT).fd(Batch.MAP_FD).flags(Batch.ELEM_FLAGS, LOOKUP_FLAGS, "BPF_ANY", "BPF_???")
                        .x(Batch.FLAGS).end();
            }
            default -> o.sb.append(hex(attr.address()));
        }
        return c;
    }

    static String exit(Call c, MemorySegment attr, long result) {
        Line o = c.line;
        switch (c.cmd) {
            case PROG_LOAD -> {
                if (o.has(ProgLoad.LOG_TRUE_SIZE)) {
                    o.u(ProgLoad.LOG_TRUE_SIZE).fd(ProgLoad.PROG_TOKEN_FD).u(ProgLoad.FD_ARRAY_CNT)
                            .hexString("signature", ProgLoad.SIGNATURE.get(attr),
                                    Integer.toUnsignedLong(ProgLoad.SIGNATURE_SIZE.get(attr)))
                            .u(ProgLoad.SIGNATURE_SIZE).d(ProgLoad.KEYRING_ID).decoded(ProgLoad.KEYRING_ID.end());
                }
            }
            case PROG_GET_NEXT_ID, MAP_GET_NEXT_ID, BTF_GET_NEXT_ID, LINK_GET_NEXT_ID -> {
                long next = Integer.toUnsignedLong(GetId.NEXT_ID.get(attr));
                if (next != c.saved) {
                    o.sb.append(" => ").append(next);
                }
                openFlags(o);
            }
            case OBJ_GET_INFO_BY_FD -> {
                long len = Integer.toUnsignedLong(Info.INFO_LEN.get(attr));
                if (len != c.saved) {
                    o.sb.append(" => ").append(len);
                }
                o.addr(Info.INFO).end();
            }
            case BTF_LOAD -> {
                if (o.has(BtfLoad.BTF_LOG_TRUE_SIZE)) {
                    o.u(BtfLoad.BTF_LOG_TRUE_SIZE).decoded(BtfLoad.BTF_LOG_TRUE_SIZE.end());
                }
                if (o.has(BtfLoad.BTF_FLAGS)) {
                    o.flags(BtfLoad.BTF_FLAGS, MAP_FLAGS, null, "BPF_F_???").fd(BtfLoad.BTF_TOKEN_FD)
                            .decoded(BtfLoad.BTF_TOKEN_FD.end());
                }
            }
            default -> {}
        }
        o.closeAll();
        if (c.cmd == BpfCmd.MAP_LOOKUP_BATCH || c.cmd == BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH
                || c.cmd == BpfCmd.MAP_UPDATE_BATCH || c.cmd == BpfCmd.MAP_DELETE_BATCH) {
            long count = Integer.toUnsignedLong(Batch.COUNT.get(attr));
            if (count != c.saved) {
                o.sb.append(" => {batch={count=").append(count).append("}}");
            }
        }
        o.sb.append(", ").append(attr.byteSize()).append(") = ");
        if (result >= 0) {
            o.sb.append(result);
        } else {
            int errno = (int) -result;
            o.sb.append("-1 ").append(Errno.name(errno)).append(" (").append(Errno.message(errno)).append(')');
        }
        return o.sb.toString();
    }

    private static void openFlags(Line o) {
        if (o.has(GetId.OPEN_FLAGS)) {
            o.flags(GetId.OPEN_FLAGS, FILE_FLAGS, null, "BPF_F_???");
        }
        if (o.has(GetId.FD_BY_ID_TOKEN_FD)) {
            o.fd(GetId.FD_BY_ID_TOKEN_FD);
        }
        o.decoded(GetId.SIZE);
    }

    private static String updateFlag(int v) {
        return v >= 0 && v < UPDATE_FLAGS.length ? UPDATE_FLAGS[v] : null;
    }

    private static void mapCreate(Line o) {
        MemorySegment a = o.attr;
        o.begin().xval(MapCreate.MAP_TYPE, t -> MapType.ofId(t).map(MapType::kernelName).orElse(null),
                "BPF_MAP_TYPE_???");
        o.u(MapCreate.KEY_SIZE).u(MapCreate.VALUE_SIZE).u(MapCreate.MAX_ENTRIES);
        if (!o.has(MapCreate.MAP_FLAGS)) {
            return;
        }
        o.flags(MapCreate.MAP_FLAGS, MAP_FLAGS, null, "BPF_F_???");
        if (!o.has(MapCreate.INNER_MAP_FD)) {
            return;
        }
        o.fd(MapCreate.INNER_MAP_FD);
        if (!o.has(MapCreate.NUMA_NODE)) {
            return;
        }
        if ((MapCreate.MAP_FLAGS.get(a) & 4) != 0) {
            int node = MapCreate.NUMA_NODE.get(a);
            o.name("numa_node").sb.append(Integer.toUnsignedString(node)).append(node == -1 ? " /* NUMA_NO_NODE */" : "");
        }
        if (!o.has(MapCreate.MAP_NAME)) {
            return;
        }
        o.cstr(MapCreate.MAP_NAME);
        if (!o.has(MapCreate.MAP_IFINDEX)) {
            return;
        }
        o.ifindex(MapCreate.MAP_IFINDEX);
        if (!o.has(MapCreate.BTF_FD)) {
            return;
        }
        o.fd(MapCreate.BTF_FD).u(MapCreate.BTF_KEY_TYPE_ID).u(MapCreate.BTF_VALUE_TYPE_ID);
        if (o.has(MapCreate.BTF_VMLINUX_VALUE_TYPE_ID)) {
            o.u(MapCreate.BTF_VMLINUX_VALUE_TYPE_ID);
        }
        if (o.has(MapCreate.MAP_EXTRA)) {
            o.u(MapCreate.MAP_EXTRA);
        }
        if (o.has(MapCreate.VALUE_TYPE_BTF_OBJ_FD)) {
            o.fd(MapCreate.VALUE_TYPE_BTF_OBJ_FD);
        }
        if (o.has(MapCreate.MAP_TOKEN_FD)) {
            o.fd(MapCreate.MAP_TOKEN_FD);
        }
        if (o.has(MapCreate.EXCL_PROG_HASH)) {
            o.addr(MapCreate.EXCL_PROG_HASH).u(MapCreate.EXCL_PROG_HASH_SIZE).decoded(MapCreate.EXCL_PROG_HASH_SIZE.end());
        }
    }

    private static void progLoad(Line o) {
        MemorySegment a = o.attr;
        o.begin().xval(ProgLoad.PROG_TYPE, t -> ProgramType.ofId(t).map(ProgramType::kernelName).orElse(null),
                "BPF_PROG_TYPE_???");
        o.u(ProgLoad.INSN_CNT).addr(ProgLoad.INSNS).str("license", ProgLoad.LICENSE.get(a));
        if (!o.has(ProgLoad.LOG_LEVEL)) {
            return;
        }
        o.u(ProgLoad.LOG_LEVEL).u(ProgLoad.LOG_SIZE)
                .strz("log_buf", ProgLoad.LOG_BUF.get(a), Integer.toUnsignedLong(ProgLoad.LOG_SIZE.get(a)));
        if (!o.has(ProgLoad.KERN_VERSION)) {
            return;
        }
        int v = ProgLoad.KERN_VERSION.get(a);
        o.name("kern_version").sb.append("KERNEL_VERSION(").append(v >>> 16).append(", ")
                .append((v >>> 8) & 0xff).append(", ").append(v & 0xff).append(')');
        if (!o.has(ProgLoad.PROG_FLAGS)) {
            return;
        }
        o.flags(ProgLoad.PROG_FLAGS, PROG_FLAGS, null, "BPF_F_???");
        if (!o.has(ProgLoad.PROG_NAME)) {
            return;
        }
        o.cstr(ProgLoad.PROG_NAME);
        if (!o.has(ProgLoad.PROG_IFINDEX)) {
            return;
        }
        o.ifindex(ProgLoad.PROG_IFINDEX);
        if (!o.has(ProgLoad.EXPECTED_ATTACH_TYPE)) {
            return;
        }
        o.xval(ProgLoad.EXPECTED_ATTACH_TYPE, t -> AttachType.ofId(t).map(AttachType::kernelName).orElse(null),
                "BPF_???");
        if (!o.has(ProgLoad.PROG_BTF_FD)) {
            return;
        }
        o.fd(ProgLoad.PROG_BTF_FD).u(ProgLoad.FUNC_INFO_REC_SIZE).addr(ProgLoad.FUNC_INFO).u(ProgLoad.FUNC_INFO_CNT)
                .u(ProgLoad.LINE_INFO_REC_SIZE).addr(ProgLoad.LINE_INFO).u(ProgLoad.LINE_INFO_CNT);
        if (!o.has(ProgLoad.ATTACH_BTF_ID)) {
            return;
        }
        o.u(ProgLoad.ATTACH_BTF_ID);
        if (!o.has(ProgLoad.ATTACH_PROG_FD)) {
            return;
        }
        o.fd(ProgLoad.ATTACH_PROG_FD);
        if (!o.has(ProgLoad.FD_ARRAY)) {
            return;
        }
        if (!o.has(ProgLoad.CORE_RELOS)) {
            o.addr(ProgLoad.FD_ARRAY).decoded(ProgLoad.FD_ARRAY.end());
            return;
        }
        o.u(ProgLoad.CORE_RELO_CNT).addr(ProgLoad.FD_ARRAY).addr(ProgLoad.CORE_RELOS).u(ProgLoad.CORE_RELO_REC_SIZE)
                .decoded(ProgLoad.CORE_RELO_REC_SIZE.end());
    }

    private static void testRun(Line o) {
        o.begin().name("test").begin().fd(Test.PROG_FD).u(Test.RETVAL).u(Test.DATA_SIZE_IN).u(Test.DATA_SIZE_OUT)
                .addr(Test.DATA_IN).addr(Test.DATA_OUT).u(Test.REPEAT).u(Test.DURATION);
        if (o.has(Test.CTX_SIZE_IN)) {
            o.u(Test.CTX_SIZE_IN).u(Test.CTX_SIZE_OUT).addr(Test.CTX_IN).addr(Test.CTX_OUT);
        }
        if (o.has(Test.FLAGS)) {
            o.flags(Test.FLAGS, TEST_RUN_FLAGS, null, "BPF_F_???").u(Test.CPU);
        }
        if (o.has(Test.BATCH_SIZE)) {
            o.u(Test.BATCH_SIZE);
        }
        o.end().decoded(Test.BATCH_SIZE.end());
    }

    static String hex(long v) {
        return v == 0 ? "0" : "0x" + Long.toHexString(v);
    }

    /** One line being printed: separators, nesting, and what part of the attr was decoded. */
    static final class Line {
        final StringBuilder sb = new StringBuilder(256);
        final MemorySegment attr;
        final long len;
        /** Whether the next field is the first of its struct; null outside of any struct. */
        Boolean first;
        private int depth;
        /** End of the part of the attr the decoder knows; nonzero bytes after it print as "...". */
        private long decoded;

        Line(MemorySegment attr) {
            this.attr = attr;
            this.len = attr.byteSize();
            this.decoded = len;
        }

        boolean has(Field f) {
            return len > f.offset();
        }

        Line begin() {
            sb.append('{');
            first = Boolean.TRUE;
            depth++;
            return this;
        }

        /** Closes the innermost struct; at the outermost, first notes nonzero bytes past the decoded part. */
        Line end() {
            if (depth == 1) {
                for (long i = decoded; i < len; i++) {
                    if (attr.get(ValueLayout.JAVA_BYTE, i) != 0) {
                        sb.append(", ...");
                        break;
                    }
                }
            }
            sb.append('}');
            depth--;
            first = Boolean.FALSE;
            return this;
        }

        void closeAll() {
            while (depth > 0) {
                end();
            }
        }

        Line decoded(long end) {
            decoded = end;
            return this;
        }

        Line name(String name) {
            if (first == Boolean.FALSE) {
                sb.append(", ");
            }
            first = Boolean.FALSE;
            sb.append(name).append('=');
            return this;
        }

        Line u(Field.I32 f) {
            name(f.name()).sb.append(Integer.toUnsignedString(f.get(attr)));
            return this;
        }

        Line u(Field.I64 f) {
            name(f.name()).sb.append(Long.toUnsignedString(f.get(attr)));
            return this;
        }

        Line d(Field.I32 f) {
            name(f.name()).sb.append(f.get(attr));
            return this;
        }

        Line x(Field.I64 f) {
            name(f.name()).sb.append(hex(f.get(attr)));
            return this;
        }

        Line fd(Field.I32 f) {
            return d(f);
        }

        Line addr(Field.I64 f) {
            long v = f.get(attr);
            name(f.name()).sb.append(v == 0 ? "NULL" : "0x" + Long.toHexString(v));
            return this;
        }

        Line xval(Field f, IntFunction<String> names, String unknown) {
            long v = f instanceof Field.I64 l ? l.get(attr) : ((Field.I32) f).get(attr);
            String n = v == (int) v ? names.apply((int) v) : null;
            name(f.name()).sb.append(n != null ? n : hex(v) + " /* " + unknown + " */");
            return this;
        }

        Line flags(Field f, String[] bitNames, String zeroName, String unknown) {
            long v = f instanceof Field.I64 l ? l.get(attr) : Integer.toUnsignedLong(((Field.I32) f).get(attr));
            name(f.name());
            if (v == 0) {
                sb.append(zeroName != null ? zeroName : "0");
                return this;
            }
            StringBuilder names = new StringBuilder();
            long rest = v;
            for (int bit = 0; bit < bitNames.length; bit++) {
                if (bitNames[bit] != null && (v & (1L << bit)) != 0) {
                    names.append(names.isEmpty() ? "" : "|").append(bitNames[bit]);
                    rest &= ~(1L << bit);
                }
            }
            if (names.isEmpty()) {
                sb.append(hex(v)).append(" /* ").append(unknown).append(" */");
            } else {
                sb.append(names);
                if (rest != 0) {
                    sb.append('|').append(hex(rest));
                }
            }
            return this;
        }

        /** A char array in the attr: up to its size minus one, "..." when no NUL ends it. */
        Line cstr(Field.Bytes f) {
            int n = (int) Math.min(f.size(), len - f.offset());
            byte[] b = attr.asSlice(f.offset(), n).toArray(ValueLayout.JAVA_BYTE);
            name(f.name());
            quote(b, n - 1, true);
            boolean terminated = false;
            for (byte c : b) {
                terminated |= c == 0;
            }
            if (!terminated) {
                sb.append("...");
            }
            return this;
        }

        /** A NUL-terminated string at {@code address} (strace's printstr), cut at 32 chars. */
        Line str(String name, long address) {
            return strz(name, address, Long.MAX_VALUE);
        }

        /** A NUL-terminated string of at most {@code size} bytes (strace's printstr_ex, 0-terminated). */
        Line strz(String name, long address, long size) {
            name(name);
            if (address == 0) {
                sb.append("NULL");
                return this;
            }
            int fetch = (int) Math.min(MAX_STRLEN + 1, size);
            byte[] b = read(address, fetch, true);
            int n = Math.min(fetch, MAX_STRLEN);
            boolean nulSeen = false;
            for (int i = 0; i < Math.min(n, b.length); i++) {
                if (b[i] == 0) {
                    nulSeen = true;
                    break;
                }
            }
            quote(b, n, true);
            // Past the quoted part: a NUL right after it also counts as the string's end.
            boolean endsRight = nulSeen || (n < b.length && b[n] == 0);
            if (!endsRight && size != 0) {
                sb.append("...");
            }
            return this;
        }

        /** {@code size} raw bytes at {@code address} (strace's printstrn). */
        Line strn(String name, long address, long size) {
            name(name);
            if (address == 0) {
                sb.append("NULL");
                return this;
            }
            int n = (int) Math.min(MAX_STRLEN, size);
            quote(read(address, n, false), n, false);
            if (size > MAX_STRLEN) {
                sb.append("...");
            }
            return this;
        }

        /** {@code size} bytes at {@code address}, every byte as {@code \\xNN}, cut at 32. */
        Line hexString(String name, long address, long size) {
            name(name);
            if (address == 0) {
                sb.append("NULL");
                return this;
            }
            int n = (int) Math.min(MAX_STRLEN, size);
            sb.append('"');
            for (byte c : read(address, n, false)) {
                sb.append("\\x").append(Character.forDigit((c >> 4) & 0xf, 16)).append(Character.forDigit(c & 0xf, 16));
            }
            sb.append('"').append(size > MAX_STRLEN ? "..." : "");
            return this;
        }

        /** A path: printed whole, however long. */
        Line path(Field.I64 f) {
            long address = f.get(attr);
            name(f.name());
            if (address == 0) {
                sb.append("NULL");
                return this;
            }
            byte[] b = read(address, 4096, true);
            quote(b, b.length, true);
            return this;
        }

        Line ifindex(Field.I32 f) {
            int index = f.get(attr);
            name(f.name());
            String dev = index == 0 ? null : interfaceName(index);
            sb.append(dev == null ? Integer.toUnsignedString(index) : "if_nametoindex(\"" + dev + "\")");
            return this;
        }

        private static byte[] read(long address, int max, boolean stopAtNul) {
            MemorySegment m = MemorySegment.ofAddress(address).reinterpret(max);
            if (!stopAtNul) {
                return m.toArray(ValueLayout.JAVA_BYTE);
            }
            int n = 0;
            while (n < max && m.get(ValueLayout.JAVA_BYTE, n) != 0) {
                n++;
            }
            return m.asSlice(0, Math.min(max, n + 1)).toArray(ValueLayout.JAVA_BYTE);
        }

        /** strace's string_quote without hex mode: C escapes, other non-printables in octal. */
        private void quote(byte[] b, int size, boolean nulEnds) {
            sb.append('"');
            for (int i = 0; i < size && i < b.length; i++) {
                int c = b[i] & 0xff;
                if (c == 0 && nulEnds) {
                    break;
                }
                switch (c) {
                    case '"', '\\' -> sb.append('\\').append((char) c);
                    case '\f' -> sb.append("\\f");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case 0x0b -> sb.append("\\v");
                    default -> {
                        if (c >= ' ' && c < 0x7f) {
                            sb.append((char) c);
                        } else {
                            boolean nextIsOctalDigit = i + 1 < size && i + 1 < b.length && b[i + 1] >= '0' && b[i + 1] <= '7';
                            sb.append('\\');
                            if (nextIsOctalDigit || c >> 6 != 0) {
                                sb.append((char) ('0' + (c >> 6)));
                            }
                            if (nextIsOctalDigit || c >> 3 != 0) {
                                sb.append((char) ('0' + ((c >> 3) & 7)));
                            }
                            sb.append((char) ('0' + (c & 7)));
                        }
                    }
                }
            }
            sb.append('"');
        }

        private static String interfaceName(int index) {
            try (var dirs = Files.list(Path.of("/sys/class/net"))) {
                for (Path dev : (Iterable<Path>) dirs::iterator) {
                    Path f = dev.resolve("ifindex");
                    if (Files.isReadable(f) && Files.readString(f).trim().equals(Integer.toString(index))) {
                        return dev.getFileName().toString();
                    }
                }
            } catch (IOException e) {
                return null;
            }
            return null;
        }
    }
}
