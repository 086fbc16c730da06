package io.bpf4j.vm;

import io.bpf4j.isa.Helpers;
import java.util.Arrays;

/**
 * The helper functions the VM provides, by kernel helper id, with the kernel's argument
 * checks and return values. Each helper is a static method {@code (Execution, r1..r5) ->
 * r0} named after the kernel's helper ({@link Helpers#name}) in camel case without the
 * {@code bpf_} prefix, so generated code can call it directly; the interpreter dispatches
 * through {@link #call}. A program calling a helper
 * that is not here is refused when it is loaded.
 */
final class VmHelpers {
    /** A helper: arguments r1..r5, result r0. */
    @FunctionalInterface
    interface Helper {
        long call(Execution ex, long r1, long r2, long r3, long r4, long r5);
    }

    private static final int COUNT = 212;
    private static final Helper[] TABLE = new Helper[COUNT];

    private static final int XDP_ABORTED = 0, XDP_REDIRECT = 4, TC_ACT_SHOT = 2, TC_ACT_REDIRECT = 7;
    private static final long CURRENT_CPU = 0xffff_ffffL;
    private static final long CTXLEN_MASK = 0xfffffL << 32;
    /** BPF_MAX_LOOPS: the most iterations bpf_loop accepts. */
    private static final long MAX_LOOPS = 1L << 23;
    private static final int TASK_COMM_LEN = 16;

    static {
        add(1, VmHelpers::mapLookupElem);
        add(2, VmHelpers::mapUpdateElem);
        add(3, VmHelpers::mapDeleteElem);
        add(4, VmHelpers::probeReadKernel);
        add(5, VmHelpers::ktimeGetNs);
        add(6, VmHelpers::tracePrintk);
        add(7, VmHelpers::getPrandomU32);
        add(8, VmHelpers::getSmpProcessorId);
        add(9, VmHelpers::skbStoreBytes);
        add(10, VmHelpers::l3CsumReplace);
        add(11, VmHelpers::l4CsumReplace);
        add(12, VmHelpers::tailCall);
        add(14, VmHelpers::getCurrentPidTgid);
        add(15, VmHelpers::getCurrentUidGid);
        add(16, VmHelpers::getCurrentComm);
        add(23, VmHelpers::redirect);
        add(25, VmHelpers::perfEventOutput);
        add(26, VmHelpers::skbLoadBytes);
        add(28, VmHelpers::csumDiff);
        add(39, VmHelpers::skbPullData);
        add(40, VmHelpers::csumUpdate);
        add(42, VmHelpers::getNumaNodeId);
        add(44, VmHelpers::xdpAdjustHead);
        add(45, VmHelpers::probeReadKernelStr);
        add(54, VmHelpers::xdpAdjustMeta);
        add(65, VmHelpers::xdpAdjustTail);
        add(87, VmHelpers::mapPushElem);
        add(88, VmHelpers::mapPopElem);
        add(89, VmHelpers::mapPeekElem);
        add(93, VmHelpers::spinLock);
        add(94, VmHelpers::spinUnlock);
        add(105, VmHelpers::strtol);
        add(106, VmHelpers::strtoul);
        add(112, VmHelpers::probeReadUser);
        add(113, VmHelpers::probeReadKernel);
        add(114, VmHelpers::probeReadUserStr);
        add(115, VmHelpers::probeReadKernelStr);
        add(118, VmHelpers::jiffies64);
        add(125, VmHelpers::ktimeGetBootNs);
        add(130, VmHelpers::ringbufOutput);
        add(131, VmHelpers::ringbufReserve);
        add(132, VmHelpers::ringbufSubmit);
        add(133, VmHelpers::ringbufDiscard);
        add(134, VmHelpers::ringbufQuery);
        add(160, VmHelpers::ktimeGetCoarseNs);
        add(164, VmHelpers::forEachMapElem);
        add(165, VmHelpers::snprintf);
        add(177, VmHelpers::traceVprintk);
        add(181, VmHelpers::loop);
        add(182, VmHelpers::strncmp);
        add(188, VmHelpers::xdpGetBuffLen);
        add(189, VmHelpers::xdpLoadBytes);
        add(190, VmHelpers::xdpStoreBytes);
        add(195, VmHelpers::mapLookupPercpuElem);
        add(208, VmHelpers::ktimeGetTaiNs);
    }

    private VmHelpers() {}

    private static void add(int id, Helper helper) {
        TABLE[id] = helper;
    }

    static boolean exists(int id) {
        return id >= 0 && id < COUNT && TABLE[id] != null;
    }

    /** The helper's kernel name and id for messages, e.g. {@code helper bpf_ktime_get_ns (id 5)}. */
    static String describe(int id) {
        return "helper " + Helpers.name(id).map(n -> n + " (id " + id + ")").orElse("id " + id);
    }

    static long call(int id, Execution ex, long r1, long r2, long r3, long r4, long r5) {
        return TABLE[id].call(ex, r1, r2, r3, r4, r5);
    }

    // ---- argument checks ----

    private static VmException bad(String helper, String what) {
        return VmException.of(VmException.Kind.HELPER_ARGUMENT, "bpf_" + helper + ": " + what);
    }

    private static VmMap map(Execution ex, long address, String helper) {
        Region r = ex.mem.region(address);
        if (r.kind != Region.Kind.MAP || (int) address != 0) {
            throw bad(helper, Memory.hex(address) + " is not a map");
        }
        return r.map;
    }

    private static int size(long size, String helper) {
        if (size < 0 || size > Integer.MAX_VALUE) {
            throw bad(helper, "size " + size + " is out of range");
        }
        return (int) size;
    }

    private static <T extends ProgramContext> T context(Execution ex, Class<T> kind, String helper) {
        if (!kind.isInstance(ex.context)) {
            throw bad(helper, "not available to " + (ex.code == null ? "this" : ex.code.type.bpftoolName()) + " programs");
        }
        return kind.cast(ex.context);
    }

    // ---- maps ----

    static long mapLookupElem(Execution ex, long mapAddr, long key, long r3, long r4, long r5) {
        VmMap m = map(ex, mapAddr, "map_lookup_elem");
        Region k = ex.mem.readable(key, m.keySize());
        return m.lookup(ex, k.bytes, (int) key);
    }

    static long mapUpdateElem(Execution ex, long mapAddr, long key, long value, long flags, long r5) {
        VmMap m = map(ex, mapAddr, "map_update_elem");
        Region k = ex.mem.readable(key, m.keySize());
        Region v = ex.mem.readable(value, m.valueSize());
        return m.update(ex, k.bytes, (int) key, v.bytes, (int) value, flags);
    }

    static long mapDeleteElem(Execution ex, long mapAddr, long key, long r3, long r4, long r5) {
        VmMap m = map(ex, mapAddr, "map_delete_elem");
        Region k = ex.mem.readable(key, m.keySize());
        return m.delete(ex, k.bytes, (int) key);
    }

    static long mapPushElem(Execution ex, long mapAddr, long value, long flags, long r4, long r5) {
        VmMap m = map(ex, mapAddr, "map_push_elem");
        Region v = ex.mem.readable(value, m.valueSize());
        return m.push(ex, v.bytes, (int) value, flags);
    }

    static long mapPopElem(Execution ex, long mapAddr, long value, long r3, long r4, long r5) {
        VmMap m = map(ex, mapAddr, "map_pop_elem");
        Region v = ex.mem.writableRange(value, m.valueSize());
        return m.pop(ex, v.bytes, (int) value, true);
    }

    static long mapPeekElem(Execution ex, long mapAddr, long value, long r3, long r4, long r5) {
        VmMap m = map(ex, mapAddr, "map_peek_elem");
        Region v = ex.mem.writableRange(value, m.valueSize());
        return m.pop(ex, v.bytes, (int) value, false);
    }

    static long mapLookupPercpuElem(Execution ex, long mapAddr, long key, long cpu, long r4, long r5) {
        VmMap m = map(ex, mapAddr, "map_lookup_percpu_elem");
        Region k = ex.mem.readable(key, m.keySize());
        return m.lookupOnCpu(ex, k.bytes, (int) key, (int) Math.min(cpu & 0xffff_ffffL, Integer.MAX_VALUE));
    }

    static long forEachMapElem(Execution ex, long mapAddr, long callback, long callbackCtx, long flags, long r5) {
        VmMap m = map(ex, mapAddr, "for_each_map_elem");
        int pc = function(ex, callback, "for_each_map_elem");
        if (flags != 0) {
            return -Errno.EINVAL;
        }
        Code code = ex.code;
        long[] visited = {0};
        m.forEach(ex, (key, value) -> {
            visited[0]++;
            return ex.callback(code, pc, mapAddr, key, value, callbackCtx, 0) == 0;
        });
        return visited[0];
    }

    static long loop(Execution ex, long count, long callback, long callbackCtx, long flags, long r5) {
        int pc = function(ex, callback, "loop");
        if (flags != 0) {
            return -Errno.EINVAL;
        }
        long n = count & 0xffff_ffffL;
        if (n > MAX_LOOPS) {
            return -Errno.E2BIG;
        }
        Code code = ex.code;
        for (long i = 0; i < n; i++) {
            if (ex.callback(code, pc, i, callbackCtx, 0, 0, 0) != 0) {
                return i + 1;
            }
        }
        return n;
    }

    private static int function(Execution ex, long pointer, String helper) {
        if (Memory.regionId(pointer) != Memory.FUNCTIONS || (int) pointer < 0 || (int) pointer >= ex.code.insns.length) {
            throw bad(helper, Memory.hex(pointer) + " is not a function of this program");
        }
        return (int) pointer;
    }

    static long tailCall(Execution ex, long r1, long r2, long r3, long r4, long r5) {
        throw bad("tail_call", "can only be called directly");
    }

    // ---- time, randomness, identity ----

    static long ktimeGetNs(Execution ex, long r1, long r2, long r3, long r4, long r5) {
        return ex.vm.clock().monotonicNs();
    }

    static long ktimeGetBootNs(Execution ex, long r1, long r2, long r3, long r4, long r5) {
        return ex.vm.clock().bootNs();
    }

    static long ktimeGetCoarseNs(Execution ex, long r1, long r2, long r3, long r4, long r5) {
        return ex.vm.clock().monotonicNs();
    }

    static long ktimeGetTaiNs(Execution ex, long r1, long r2, long r3, long r4, long r5) {
        return ex.vm.clock().taiNs();
    }

    static long jiffies64(Execution ex, long r1, long r2, long r3, long r4, long r5) {
        return ex.vm.clock().jiffies();
    }

    static long getPrandomU32(Execution ex, long r1, long r2, long r3, long r4, long r5) {
        return ex.vm.nextRandom() & 0xffff_ffffL;
    }

    static long getSmpProcessorId(Execution ex, long r1, long r2, long r3, long r4, long r5) {
        return ex.cpu;
    }

    static long getNumaNodeId(Execution ex, long r1, long r2, long r3, long r4, long r5) {
        return 0;
    }

    static long getCurrentPidTgid(Execution ex, long r1, long r2, long r3, long r4, long r5) {
        VmTask t = ex.vm.task();
        return (long) t.tgid() << 32 | (t.pid() & 0xffff_ffffL);
    }

    static long getCurrentUidGid(Execution ex, long r1, long r2, long r3, long r4, long r5) {
        VmTask t = ex.vm.task();
        return (long) t.gid() << 32 | (t.uid() & 0xffff_ffffL);
    }

    static long getCurrentComm(Execution ex, long buf, long size, long r3, long r4, long r5) {
        int n = size(size, "get_current_comm");
        Region r = ex.mem.writableRange(buf, n);
        int at = (int) buf;
        Arrays.fill(r.bytes, at, at + n, (byte) 0);
        byte[] comm = Bprintf.bytes(ex.vm.task().comm());
        System.arraycopy(comm, 0, r.bytes, at, Math.min(Math.min(comm.length, TASK_COMM_LEN - 1), Math.max(0, n - 1)));
        return 0;
    }

    // ---- memory reads ----

    static long probeReadKernel(Execution ex, long dst, long size, long src, long r4, long r5) {
        return probeRead(ex, dst, size, src, false, "probe_read_kernel");
    }

    static long probeReadUser(Execution ex, long dst, long size, long src, long r4, long r5) {
        return probeRead(ex, dst, size, src, true, "probe_read_user");
    }

    private static long probeRead(Execution ex, long dst, long size, long src, boolean user, String helper) {
        int n = size(size, helper);
        Region r = ex.mem.writableRange(dst, n);
        if (!ex.probeRead(src, r.bytes, (int) dst, n, user)) {
            Arrays.fill(r.bytes, (int) dst, (int) dst + n, (byte) 0);
            return -Errno.EFAULT;
        }
        return 0;
    }

    static long probeReadKernelStr(Execution ex, long dst, long size, long src, long r4, long r5) {
        return probeReadStr(ex, dst, size, src, false, "probe_read_kernel_str");
    }

    static long probeReadUserStr(Execution ex, long dst, long size, long src, long r4, long r5) {
        return probeReadStr(ex, dst, size, src, true, "probe_read_user_str");
    }

    /** strncpy_from_*_nofault: copies up to size - 1 bytes and a NUL; returns the length with the NUL. */
    private static long probeReadStr(Execution ex, long dst, long size, long src, boolean user, String helper) {
        int n = size(size, helper);
        if (n == 0) {
            return 0;
        }
        Region r = ex.mem.writableRange(dst, n);
        int at = (int) dst;
        byte[] one = new byte[1];
        for (int i = 0; i < n; i++) {
            if (i == n - 1) {
                r.bytes[at + i] = 0;
                return n;
            }
            if (!ex.probeRead(src + i, one, 0, 1, user)) {
                Arrays.fill(r.bytes, at, at + n, (byte) 0);
                return -Errno.EFAULT;
            }
            r.bytes[at + i] = one[0];
            if (one[0] == 0) {
                return i + 1;
            }
        }
        return n;
    }

    static long strncmp(Execution ex, long s1, long s1Size, long s2, long r4, long r5) {
        int n = size(s1Size, "strncmp");
        Region a = ex.mem.readable(s1, n);
        byte[] b = Bprintf.readFormat(ex, s2, Integer.MAX_VALUE);
        if (b == null) {
            throw bad("strncmp", "the second string at " + Memory.hex(s2) + " has no NUL");
        }
        for (int i = 0; i < n; i++) {
            int c1 = a.bytes[(int) s1 + i] & 0xff;
            int c2 = i < b.length ? b[i] & 0xff : 0;
            if (c1 != c2) {
                return c1 < c2 ? -1 : 1;
            }
            if (c1 == 0) {
                break;
            }
        }
        return 0;
    }

    static long strtol(Execution ex, long buf, long bufLen, long flags, long res, long r5) {
        return strtox(ex, buf, bufLen, flags, res, true);
    }

    static long strtoul(Execution ex, long buf, long bufLen, long flags, long res, long r5) {
        return strtox(ex, buf, bufLen, flags, res, false);
    }

    /** The kernel's __bpf_strtoull plus the sign handling of bpf_strtol / bpf_strtoul. */
    private static long strtox(Execution ex, long buf, long bufLen, long flags, long res, boolean signed) {
        int len = size(bufLen, signed ? "strtol" : "strtoul");
        Region out = ex.mem.writableRange(res, 8);
        if (len == 0) {
            return -Errno.EINVAL;
        }
        Region in = ex.mem.readable(buf, len);
        int base = (int) (flags & 0x1f);
        if (base != 0 && base != 8 && base != 10 && base != 16 || (flags & ~0x1fL) != 0) {
            return -Errno.EINVAL;
        }
        byte[] s = Arrays.copyOfRange(in.bytes, (int) buf, (int) buf + len);
        int i = 0;
        while (i < len && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r')) {
            i++;
        }
        boolean negative = i < len && s[i] == '-';
        if (negative) {
            i++;
        }
        int consumed = i;
        int end = Math.min(len, i + 63);
        int p = i;
        if (base == 0) {
            base = 10;
            if (p < end && s[p] == '0') {
                base = 8;
                if (p + 2 < end && (s[p + 1] | 0x20) == 'x' && Character.digit(s[p + 2], 16) >= 0) {
                    base = 16;
                }
            }
        }
        if (base == 16 && p + 1 < end && s[p] == '0' && (s[p + 1] | 0x20) == 'x') {
            p += 2;
        }
        long value = 0;
        boolean overflow = false;
        int digitsStart = p;
        while (p < end && s[p] != 0) {
            int d = Character.digit(s[p], base);
            if (d < 0) {
                break;
            }
            if (Long.compareUnsigned(value, Long.divideUnsigned(-1L - d, base)) > 0) {
                overflow = true;
            }
            value = value * base + d;
            p++;
        }
        if (overflow) {
            return -Errno.ERANGE;
        }
        if (p == digitsStart) {
            return -Errno.EINVAL;
        }
        consumed = p;
        long result;
        if (signed) {
            if (negative) {
                if (-value > 0) {
                    return -Errno.ERANGE;
                }
                result = -value;
            } else {
                if (value < 0) {
                    return -Errno.ERANGE;
                }
                result = value;
            }
        } else {
            if (negative) {
                return -Errno.EINVAL;
            }
            result = value;
        }
        Memory.putLong(out.bytes, (int) res, result);
        return consumed;
    }

    // ---- printing ----

    static long tracePrintk(Execution ex, long fmt, long fmtSize, long a1, long a2, long a3) {
        return printk(ex, fmt, fmtSize, new long[] {a1, a2, a3}, 3);
    }

    static long traceVprintk(Execution ex, long fmt, long fmtSize, long data, long dataLen, long r5) {
        long[] args = arguments(ex, data, dataLen, "trace_vprintk");
        return args == null ? -Errno.EINVAL : printk(ex, fmt, fmtSize, args, args.length);
    }

    private static long printk(Execution ex, long fmt, long fmtSize, long[] args, int count) {
        int n = size(fmtSize, "trace_printk");
        ex.mem.readable(fmt, n);
        byte[] format = Bprintf.readFormat(ex, fmt, n);
        if (format == null) {
            return -Errno.EINVAL;
        }
        int[] error = {0};
        String text = Bprintf.format(ex, format, args, count, error);
        if (text == null) {
            return error[0];
        }
        ex.vm.tracePrintk(text.length() > 1023 ? text.substring(0, 1023) : text);
        return text.length();
    }

    /** The u64 argument array of the printf-like helpers: at most 12, a multiple of 8 bytes. */
    private static long[] arguments(Execution ex, long data, long dataLen, String helper) {
        if (dataLen % 8 != 0 || dataLen > 12 * 8 || dataLen < 0 || dataLen > 0 && data == 0) {
            return null;
        }
        long[] args = new long[(int) dataLen / 8];
        if (args.length > 0) {
            Region r = ex.mem.readable(data, (int) dataLen);
            for (int i = 0; i < args.length; i++) {
                args[i] = Memory.getLong(r.bytes, (int) data + i * 8);
            }
        }
        return args;
    }

    static long snprintf(Execution ex, long str, long strSize, long fmt, long data, long dataLen) {
        int n = size(strSize, "snprintf");
        long[] args = arguments(ex, data, dataLen, "snprintf");
        if (args == null) {
            return -Errno.EINVAL;
        }
        byte[] format = Bprintf.readFormat(ex, fmt, Integer.MAX_VALUE);
        if (format == null) {
            throw bad("snprintf", "the format at " + Memory.hex(fmt) + " has no NUL");
        }
        int[] error = {0};
        String text = Bprintf.format(ex, format, args, args.length, error);
        if (text == null) {
            return error[0];
        }
        if (n > 0) {
            Region out = ex.mem.writableRange(str, n);
            byte[] b = Bprintf.bytes(text);
            int copy = Math.min(b.length, n - 1);
            System.arraycopy(b, 0, out.bytes, (int) str, copy);
            out.bytes[(int) str + copy] = 0;
        }
        return text.length() + 1L;
    }

    // ---- ring buffers and perf events ----

    private static VmRingBuffer ring(Execution ex, long mapAddr, String helper) {
        if (!(map(ex, mapAddr, helper) instanceof VmRingBuffer ring)) {
            throw bad(helper, Memory.hex(mapAddr) + " is not a ring buffer");
        }
        return ring;
    }

    static long ringbufOutput(Execution ex, long mapAddr, long data, long size, long flags, long r5) {
        VmRingBuffer ring = ring(ex, mapAddr, "ringbuf_output");
        int n = size(size, "ringbuf_output");
        Region r = ex.mem.readable(data, n);
        return ring.output(r.bytes, (int) data, n, flags);
    }

    static long ringbufReserve(Execution ex, long mapAddr, long size, long flags, long r4, long r5) {
        return ring(ex, mapAddr, "ringbuf_reserve").reserve(size, flags);
    }

    static long ringbufSubmit(Execution ex, long sample, long flags, long r3, long r4, long r5) {
        return commit(ex, sample, false, "ringbuf_submit");
    }

    static long ringbufDiscard(Execution ex, long sample, long flags, long r3, long r4, long r5) {
        return commit(ex, sample, true, "ringbuf_discard");
    }

    private static long commit(Execution ex, long sample, boolean discard, String helper) {
        Region r = ex.mem.region(sample);
        if (r.kind != Region.Kind.RINGBUF_DATA) {
            throw bad(helper, Memory.hex(sample) + " is not a ring buffer record");
        }
        ((VmRingBuffer) r.map).commit(sample, discard);
        return 0;
    }

    static long ringbufQuery(Execution ex, long mapAddr, long flags, long r3, long r4, long r5) {
        return ring(ex, mapAddr, "ringbuf_query").query(flags);
    }

    static long perfEventOutput(Execution ex, long ctx, long mapAddr, long flags, long data, long size) {
        if (!(map(ex, mapAddr, "perf_event_output") instanceof VmPerfEventArray events)) {
            throw bad("perf_event_output", Memory.hex(mapAddr) + " is not a perf event array");
        }
        int n = size(size, "perf_event_output");
        Region r = ex.mem.readable(data, n);
        byte[] tail = null;
        int ctxLen = (int) ((flags & CTXLEN_MASK) >>> 32);
        boolean packetProgram = ex.context instanceof XdpContext || ex.context instanceof SkbContext;
        if ((flags & ~(CURRENT_CPU | (packetProgram ? CTXLEN_MASK : 0))) != 0) {
            return -Errno.EINVAL;
        }
        if (ctxLen > 0) {
            tail = ex.context instanceof XdpContext x ? x.head(ctxLen) : ((SkbContext) ex.context).head(ctxLen);
            if (tail == null) {
                return -Errno.EFAULT;
            }
        }
        return events.output(ex, flags & CURRENT_CPU, r.bytes, (int) data, n, tail);
    }

    // ---- packets ----

    static long redirect(Execution ex, long ifindex, long flags, long r3, long r4, long r5) {
        if (ex.context instanceof XdpContext) {
            return flags != 0 ? XDP_ABORTED : XDP_REDIRECT;
        }
        context(ex, SkbContext.class, "redirect");
        return (flags & ~1L) != 0 ? TC_ACT_SHOT : TC_ACT_REDIRECT;
    }

    static long xdpAdjustHead(Execution ex, long ctx, long delta, long r3, long r4, long r5) {
        return context(ex, XdpContext.class, "xdp_adjust_head").adjustHead((int) delta);
    }

    static long xdpAdjustTail(Execution ex, long ctx, long delta, long r3, long r4, long r5) {
        return context(ex, XdpContext.class, "xdp_adjust_tail").adjustTail((int) delta);
    }

    static long xdpAdjustMeta(Execution ex, long ctx, long delta, long r3, long r4, long r5) {
        return context(ex, XdpContext.class, "xdp_adjust_meta").adjustMeta((int) delta);
    }

    static long xdpGetBuffLen(Execution ex, long ctx, long r2, long r3, long r4, long r5) {
        return context(ex, XdpContext.class, "xdp_get_buff_len").length();
    }

    static long xdpLoadBytes(Execution ex, long ctx, long offset, long buf, long len, long r5) {
        XdpContext x = context(ex, XdpContext.class, "xdp_load_bytes");
        Region r = ex.mem.writableRange(buf, size(len, "xdp_load_bytes"));
        return x.copy(offset & 0xffff_ffffL, r.bytes, (int) buf, len, false);
    }

    static long xdpStoreBytes(Execution ex, long ctx, long offset, long buf, long len, long r5) {
        XdpContext x = context(ex, XdpContext.class, "xdp_store_bytes");
        Region r = ex.mem.readable(buf, size(len, "xdp_store_bytes"));
        return x.copy(offset & 0xffff_ffffL, r.bytes, (int) buf, len, true);
    }

    static long skbLoadBytes(Execution ex, long skb, long offset, long to, long len, long r5) {
        SkbContext s = context(ex, SkbContext.class, "skb_load_bytes");
        Region r = ex.mem.writableRange(to, size(len & 0xffff_ffffL, "skb_load_bytes"));
        return s.copy(offset & 0xffff_ffffL, r.bytes, (int) to, len & 0xffff_ffffL, false);
    }

    static long skbStoreBytes(Execution ex, long skb, long offset, long from, long len, long flags) {
        SkbContext s = context(ex, SkbContext.class, "skb_store_bytes");
        Region r = ex.mem.readable(from, size(len & 0xffff_ffffL, "skb_store_bytes"));
        if ((flags & ~3L) != 0) {
            return -Errno.EINVAL;
        }
        if ((offset & 0xffff_ffffL) > 0xffff) {
            return -Errno.EFAULT;
        }
        return s.copy(offset & 0xffff_ffffL, r.bytes, (int) from, len & 0xffff_ffffL, true);
    }

    static long skbPullData(Execution ex, long skb, long len, long r3, long r4, long r5) {
        SkbContext s = context(ex, SkbContext.class, "skb_pull_data");
        return (len & 0xffff_ffffL) > s.length() ? -Errno.ENOMEM : 0;
    }

    static long csumUpdate(Execution ex, long skb, long csum, long r3, long r4, long r5) {
        context(ex, SkbContext.class, "csum_update");
        return -Errno.ENOTSUPP; // test-run packets are CHECKSUM_NONE
    }

    static long l3CsumReplace(Execution ex, long skb, long offset, long from, long to, long flags) {
        SkbContext s = context(ex, SkbContext.class, "l3_csum_replace");
        if ((flags & ~0xfL) != 0) {
            return -Errno.EINVAL;
        }
        int sum = s.word(offset);
        if ((offset & 0xffff_ffffL) > 0xffff || (offset & 1) != 0 || sum < 0) {
            return -Errno.EFAULT;
        }
        int size = (int) (flags & 0xf);
        if (size != 0 && size != 2 && size != 4 || size == 0 && from != 0) {
            return -Errno.EINVAL;
        }
        s.putWord(offset, Checksum.replace(sum, from, to, size, true));
        return 0;
    }

    static long l4CsumReplace(Execution ex, long skb, long offset, long from, long to, long flags) {
        SkbContext s = context(ex, SkbContext.class, "l4_csum_replace");
        long known = 0xfL | 0x10 | 0x20 | 0x40 | 0x80; // field size, PSEUDO_HDR, MARK_MANGLED_0, MARK_ENFORCE, IPV6
        if ((flags & ~known) != 0) {
            return -Errno.EINVAL;
        }
        int sum = s.word(offset);
        if ((offset & 0xffff_ffffL) > 0xffff || (offset & 1) != 0 || sum < 0) {
            return -Errno.EFAULT;
        }
        boolean mangledZero = (flags & 0x20) != 0;
        if (mangledZero && sum == 0) {
            return 0;
        }
        int size = (int) (flags & 0xf);
        if (size != 0 && size != 2 && size != 4 || size == 0 && from != 0) {
            return -Errno.EINVAL;
        }
        int result = Checksum.replace(sum, from, to, size, false);
        if (mangledZero && result == 0) {
            result = 0xffff;
        }
        s.putWord(offset, result);
        return 0;
    }

    static long csumDiff(Execution ex, long from, long fromSize, long to, long toSize, long seed) {
        int fromLength = size(fromSize & 0xffff_ffffL, "csum_diff");
        int toLength = size(toSize & 0xffff_ffffL, "csum_diff");
        Region f = ex.mem.readable(from, fromLength);
        Region t = ex.mem.readable(to, toLength);
        return Checksum.diff(f.bytes, (int) from, fromLength, t.bytes, (int) to, toLength, (int) seed)
                & 0xffff_ffffL;
    }

    // ---- locks ----

    static long spinLock(Execution ex, long lock, long r2, long r3, long r4, long r5) {
        if (ex.heldLock != 0) {
            throw bad("spin_lock", "the program already holds the lock at " + Memory.hex(ex.heldLock));
        }
        Region r = ex.mem.writableRange(lock, 4);
        if (((int) lock & 3) != 0 || r.kind != Region.Kind.MAP_VALUES) {
            throw bad("spin_lock", Memory.hex(lock) + " is not a bpf_spin_lock in a map value");
        }
        while (ex.mem.compareExchange(lock, 4, 0, 1) != 0) {
            Thread.onSpinWait();
        }
        ex.heldLock = lock;
        return 0;
    }

    static long spinUnlock(Execution ex, long lock, long r2, long r3, long r4, long r5) {
        if (ex.heldLock != lock) {
            throw bad("spin_unlock", "the program does not hold the lock at " + Memory.hex(lock));
        }
        ex.mem.atomic(lock, 4, Op.ATOMIC_XCHG, 0);
        ex.heldLock = 0;
        return 0;
    }
}
