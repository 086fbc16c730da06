package io.bpf4j.cli;

import io.bpf4j.AttachType;
import io.bpf4j.BpfException;
import io.bpf4j.kernel.Attachments;
import io.bpf4j.kernel.BpfSyscallException;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.NetDevice;
import io.bpf4j.kernel.SystemCallException;
import io.bpf4j.kernel.TcFilter;
import io.bpf4j.kernel.TcxLink;
import io.bpf4j.kernel.XdpLink;
import io.bpf4j.kernel.sys.Errno;
import io.bpf4j.kernel.sys.Fd;
import io.bpf4j.kernel.sys.Posix;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code bpf4j net ...}: bpftool's net commands. XDP, classic tc and flow dissector output is
 * bpftool 7.1's; tcx attachments (which 7.1 does not show) are listed as bpftool 7.3+ lists them.
 */
@Command(
        name = "net",
        description = {"Show and attach XDP and tc programs of network devices, as bpftool net does.",
            "ATTACH_TYPE := { xdp | xdpgeneric | xdpdrv | xdpoffload | tcx_ingress | tcx_egress }",
            "PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }"},
        subcommands = {NetCommand.Show.class, NetCommand.Attach.class, NetCommand.Detach.class,
            CommandLine.HelpCommand.class})
final class NetCommand extends CommandGroup {
    @Override
    String example() {
        return "bpf4j net show";
    }

    /** The attach types of {@code net attach}, in bpftool's order (which decides prefix matches). */
    enum Type {
        XDP("xdp", XdpLink.Mode.DEFAULT, null),
        XDP_GENERIC("xdpgeneric", XdpLink.Mode.GENERIC, null),
        XDP_DRIVER("xdpdrv", XdpLink.Mode.DRIVER, null),
        XDP_OFFLOAD("xdpoffload", XdpLink.Mode.OFFLOAD, null),
        TCX_INGRESS("tcx_ingress", null, TcxLink.Direction.INGRESS),
        TCX_EGRESS("tcx_egress", null, TcxLink.Direction.EGRESS);

        final String text;
        final XdpLink.Mode xdp;
        final TcxLink.Direction tcx;

        Type(String text, XdpLink.Mode xdp, TcxLink.Direction tcx) {
            this.text = text;
            this.xdp = xdp;
            this.tcx = tcx;
        }

        static Type parse(String arg) {
            for (Type t : values()) {
                if (Bpftool.isPrefix(arg, t.text)) {
                    return t;
                }
            }
            throw new BpfException("invalid net attach/detach type: " + arg);
        }
    }

    /** {@code dev NAME}, as bpftool's net_parse_dev reads it. */
    static NetDevice parseDev(List<String> args, int i) {
        String kw = Handles.need(args, i, "dev");
        if (!Bpftool.isPrefix(kw, "dev")) {
            throw new BpfException("expected 'dev', got: '" + kw + "'?");
        }
        String name = Handles.need(args, i + 1, "devname");
        int index = Posix.ifNameToIndex(name);
        if (index == 0) {
            throw new BpfException("invalid devname " + name);
        }
        return new NetDevice(index, name);
    }

    @Command(name = "show", aliases = "list", description = "Show the XDP and tc programs of every device, or of dev D.")
    static final class Show implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        JsonOptions json;

        @Parameters(arity = "0..2", paramLabel = "dev D")
        List<String> args = new ArrayList<>();

        @Override
        public Integer call() {
            int filter = -1;
            if (args.size() == 2) {
                filter = parseDev(args, 0).index();
            } else if (!args.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "expected: [dev D]");
            }
            int flowDissector = flowDissectorId();
            List<XdpLink.Status> devices = new ArrayList<>();
            for (XdpLink.Status s : XdpLink.statusOfAll()) {
                if (filter <= 0 || s.device().index() == filter) {
                    devices.add(s);
                }
            }
            Printer p = new Printer(json);
            p.startObject();
            p.startArray("xdp");
            for (XdpLink.Status s : devices) {
                xdp(p, s);
            }
            p.endArray();
            p.startArray("tc");
            for (XdpLink.Status s : devices) {
                for (TcxLink.Direction d : TcxLink.Direction.values()) {
                    tcx(p, s.device(), d);
                }
                classicTc(p, s.device());
            }
            p.endArray();
            p.startArray("flow_dissector");
            if (flowDissector > 0) {
                p.uint("id", "id %d", flowDissector);
            }
            p.endArray();
            p.endObject();
            spec.commandLine().getOut().append(p.finish()).flush();
            return 0;
        }

        /** The flow dissector of this thread's network namespace; 0 when none (or the kernel cannot say). */
        private static int flowDissectorId() {
            int fd = Posix.open("/proc/thread-self/ns/net", Posix.O_RDONLY | Posix.O_CLOEXEC);
            if (fd < 0) {
                throw new BpfException("can't open /proc/self/ns/net: " + Errno.message(-fd));
            }
            try (Fd ns = new Fd(fd)) {
                List<Attachments.Entry> e = Attachments.query(ns.get(), AttachType.FLOW_DISSECTOR).entries();
                return e.size() == 1 ? e.getFirst().progId() : 0;
            } catch (BpfSyscallException e) {
                if (e.errno() == Errno.EINVAL) {
                    return 0;
                }
                throw new BpfException("can't query prog: " + Bpftool.strerror(e));
            }
        }

        private static void xdp(Printer p, XdpLink.Status s) {
            if (s.attached() == XdpLink.Status.NONE) {
                return;
            }
            p.startObject();
            p.string("devname", "%s", s.device().name());
            p.uint("ifindex", "(%d)", s.device().index());
            switch (s.attached()) {
                case XdpLink.Status.MULTI -> {
                    p.startNestedArray("multi_attachments");
                    xdpMode(p, s.genericProgId(), "generic", true);
                    xdpMode(p, s.driverProgId(), "driver", true);
                    xdpMode(p, s.offloadProgId(), "offload", true);
                    p.endNestedArray();
                }
                case XdpLink.Status.DRIVER -> xdpMode(p, s.progId(), "driver", false);
                case XdpLink.Status.GENERIC -> xdpMode(p, s.progId(), "generic", false);
                case XdpLink.Status.OFFLOAD -> xdpMode(p, s.progId(), "offload", false);
                default -> { }
            }
            p.endLine();
        }

        /** One mode's program; in the multi case only the modes the kernel reported (a non-zero id). */
        private static void xdpMode(Printer p, int id, String mode, boolean ownObject) {
            if (ownObject && id == 0) {
                return;
            }
            if (ownObject) {
                p.startObject();
            }
            p.string("mode", " %s", mode);
            p.uint("id", " id %d", id);
            if (ownObject) {
                p.endObject();
            }
        }

        private static void tcx(Printer p, NetDevice dev, TcxLink.Direction d) {
            Attachments a;
            try {
                a = TcxLink.query(dev, d);
            } catch (BpfSyscallException e) {
                return; // no tcx on this kernel or device
            }
            for (Attachments.Entry e : a.entries()) {
                p.startObject();
                p.string("devname", "%s", dev.name());
                p.uint("ifindex", "(%d)", dev.index());
                p.string("kind", " %s", d == TcxLink.Direction.INGRESS ? "tcx/ingress" : "tcx/egress");
                String name = programName(e.progId());
                if (name != null) {
                    p.string("name", " %s", name);
                }
                p.uint("prog_id", " prog_id %d ", e.progId());
                p.flags("prog_flags", e.progFlags());
                if (e.linkId() != 0 || p.json()) {
                    p.uint("link_id", "link_id %d ", e.linkId());
                    p.flags("link_flags", e.linkFlags());
                }
                p.endLine();
            }
        }

        private static String programName(int id) {
            try (KernelProgram prog = KernelProgram.openById(id)) {
                String name = Handles.fullName(prog.info());
                return name.isEmpty() ? null : name;
            } catch (BpfSyscallException e) {
                return null;
            }
        }

        /** Classic tc: filters of the classes and qdiscs, then of root, clsact ingress and egress; stops at an error. */
        private static void classicTc(Printer p, NetDevice dev) {
            try {
                for (TcFilter.Parent parent : TcFilter.parents(dev)) {
                    filters(p, dev, parent.handle(), parent.kind());
                }
                filters(p, dev, 0xFFFFFFFF, "root");
                filters(p, dev, TcFilter.Hook.INGRESS.parent(), TcFilter.Hook.INGRESS.bpftoolName());
                filters(p, dev, TcFilter.Hook.EGRESS.parent(), TcFilter.Hook.EGRESS.bpftoolName());
            } catch (SystemCallException e) {
                // bpftool stops listing a device's filters at the first failed request
            }
        }

        private static void filters(Printer p, NetDevice dev, int parent, String kind) {
            for (TcFilter.Filter f : TcFilter.list(dev, parent)) {
                p.startObject();
                if (!dev.name().isEmpty()) {
                    p.string("devname", "%s", dev.name());
                }
                p.uint("ifindex", "(%d)", dev.index());
                p.string("kind", " %s", kind);
                if (!f.name().isEmpty()) {
                    p.string("name", " %s", f.name());
                }
                if (f.progId() != 0) {
                    p.uint("id", " id %d", f.progId());
                }
                p.endLine();
            }
        }
    }

    /** bpftool's NET_* printing macros: each call prints text, or writes JSON. */
    static final class Printer {
        private final StringBuilder out = new StringBuilder();
        private final JsonWriter w;

        Printer(JsonOptions json) {
            this.w = json.enabled() ? json.writer(out) : null;
            if (w != null) {
                w.startArray();
            }
        }

        boolean json() {
            return w != null;
        }

        void startObject() {
            if (w != null) {
                w.startObject();
            }
        }

        void endObject() {
            if (w != null) {
                w.endObject();
            }
        }

        /** The end of one attachment: a newline, or the end of its JSON object. */
        void endLine() {
            if (w != null) {
                w.endObject();
            } else {
                out.append('\n');
            }
        }

        /** A section ({@code xdp:}, {@code tc:} ...): its name and a newline, or a JSON array. */
        void startArray(String name) {
            if (w != null) {
                w.name(name).startArray();
            } else {
                out.append(name).append(":\n");
            }
        }

        void endArray() {
            if (w != null) {
                w.endArray();
            } else {
                out.append('\n');
            }
        }

        /** An array inside an attachment, which only JSON shows. */
        void startNestedArray(String name) {
            if (w != null) {
                w.name(name).startArray();
            }
        }

        void endNestedArray() {
            if (w != null) {
                w.endArray();
            }
        }

        void string(String name, String format, String value) {
            if (w != null) {
                w.field(name, value);
            } else {
                out.append(format.formatted(value));
            }
        }

        void uint(String name, String format, int value) {
            if (w != null) {
                w.name(name).unsigned(Integer.toUnsignedLong(value));
            } else {
                out.append(format.formatted(Integer.toUnsignedLong(value)));
            }
        }

        /** A flags word as its set bits: {@code NAME b1 b2 } in text (only when some are set), an array in JSON. */
        void flags(String name, int flags) {
            if (flags == 0 && w == null) {
                return;
            }
            if (w != null) {
                w.name(name).startArray();
            } else {
                out.append(name).append(' ');
            }
            for (int bit = 0; bit < 32; bit++) {
                if ((flags & (1 << bit)) != 0) {
                    if (w != null) {
                        w.unsigned(Integer.toUnsignedLong(1 << bit));
                    } else {
                        out.append(Integer.toUnsignedString(1 << bit)).append(' ');
                    }
                }
            }
            if (w != null) {
                w.endArray();
            }
        }

        /** What was printed. */
        String finish() {
            if (w != null) {
                w.endArray();
                w.finish();
            }
            return out.toString();
        }
    }

    @Command(name = "attach", description = "Attach PROG to dev D: ATTACH_TYPE PROG dev D [overwrite | prepend].")
    static final class Attach implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        JsonOptions json;

        @Parameters(arity = "5..6", paramLabel = "ARGS", description = "ATTACH_TYPE PROG dev D [overwrite | prepend]")
        List<String> args;

        @Override
        public Integer call() {
            Type type = Type.parse(args.getFirst());
            Handles.Match<KernelProgram> h = Handles.program(args, 1);
            try (KernelProgram prog = h.objects().getFirst()) {
                NetDevice dev = parseDev(args, h.next());
                boolean overwrite = false;
                boolean prepend = false;
                if (h.next() + 2 < args.size()) {
                    String opt = args.get(h.next() + 2);
                    if (type.tcx != null && Bpftool.isPrefix(opt, "prepend")) {
                        prepend = true;
                    } else if (type.xdp != null && Bpftool.isPrefix(opt, "overwrite")) {
                        overwrite = true;
                    } else {
                        throw new BpfException(type.tcx != null ? "'overwrite' is only supported for xdp types"
                                : "expected 'overwrite', got: '" + opt + "'?");
                    }
                }
                try {
                    if (type.xdp != null) {
                        // A netlink attachment, which stays when this command exits; the object is not closed.
                        XdpLink.attachNetlink(prog, dev, type.xdp, overwrite);
                    } else {
                        TcxLink.attachProgram(prog, dev, type.tcx, prepend);
                    }
                } catch (SystemCallException e) {
                    throw new BpfException("interface " + type.text + " attach failed: " + Errno.message(e.errno()));
                } catch (BpfSyscallException e) {
                    throw new BpfException("interface " + type.text + " attach failed: " + Bpftool.strerror(e));
                }
            }
            return json.printNull(spec);
        }
    }

    @Command(name = "detach", description = "Detach the program of ATTACH_TYPE from dev D.")
    static final class Detach implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        JsonOptions json;

        @Parameters(arity = "3", paramLabel = "ARGS", description = "ATTACH_TYPE dev D")
        List<String> args;

        @Override
        public Integer call() {
            Type type = Type.parse(args.getFirst());
            NetDevice dev = parseDev(args, 1);
            try {
                if (type.xdp != null) {
                    XdpLink.detachNetlink(dev, type.xdp);
                } else {
                    TcxLink.detachProgram(dev, type.tcx, null);
                }
            } catch (SystemCallException e) {
                throw new BpfException("interface " + type.text + " detach failed: " + Errno.message(e.errno()));
            } catch (BpfSyscallException e) {
                throw new BpfException("interface " + type.text + " detach failed: " + Bpftool.strerror(e));
            }
            return json.printNull(spec);
        }
    }
}
