package io.bpf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.AttachType;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.kernel.Attachments;
import io.bpf4j.kernel.CgroupLink;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.Link;
import io.bpf4j.kernel.MapDefinition;
import io.bpf4j.kernel.NetDevice;
import io.bpf4j.kernel.NetfilterLink;
import io.bpf4j.kernel.ProgramDefinition;
import io.bpf4j.kernel.RawTracepointLink;
import io.bpf4j.kernel.SkLookupLink;
import io.bpf4j.kernel.TcFilter;
import io.bpf4j.kernel.TcxLink;
import io.bpf4j.kernel.TracepointLink;
import io.bpf4j.kernel.TracingLink;
import io.bpf4j.kernel.XdpLink;
import io.bpf4j.kernel.testing.Asm;
import io.bpf4j.kernel.testing.KernelTest;
import io.bpf4j.kernel.testing.NetNamespace;
import io.bpf4j.kernel.testing.VethPair;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code net}, {@code link} and {@code prog attach|detach|tracelog} against bpftool 7.1 on the
 * same kernel objects: {@code net} inside fresh network namespaces (bpftool run there with
 * {@code ip netns exec}), links by id and by pin.
 */
@KernelTest
class NetLinkCommandsTest {
    private static final Path BPFTOOL = Path.of("/usr/sbin/bpftool");

    private static KernelProgram load(ProgramType type, String name, int ret) {
        return KernelProgram.load(ProgramDefinition.of(type, name, new Asm().movImm(0, ret).exit().bytes(), "GPL"));
    }

    private static void compare(String... args) {
        compare(null, args);
    }

    /** bpf4j's and bpftool's standard output for {@code args}, plain, -j and -p, in {@code ns} (null: here). */
    private static void compare(NetNamespace ns, String... args) {
        for (String format : new String[] {null, "-j", "-p"}) {
            List<String> a = new ArrayList<>();
            if (format != null) {
                a.add(format);
            }
            a.addAll(List.of(args));
            String[] argv = a.toArray(String[]::new);
            String theirs;
            String ours;
            if (ns == null) {
                theirs = BpftoolCompatTest.bpftool(argv);
                ours = BpftoolCompatTest.bpf4j(argv);
            } else {
                List<String> cmd = new ArrayList<>(List.of(BPFTOOL.toString()));
                cmd.addAll(a);
                theirs = ns.exec(cmd.toArray(String[]::new));
                ours = ns.run(() -> BpftoolCompatTest.bpf4j(argv));
            }
            assertFalse(theirs.isBlank(), "bpftool printed nothing for " + String.join(" ", argv));
            assertEquals(theirs, ours, "bpftool " + String.join(" ", argv));
        }
    }

    /** Runs bpf4j; returns the exit code and the error output, as "CODE: ERR". */
    private static String bpf4jExit(String... args) {
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(new StringWriter()), new PrintWriter(err));
        return code + ": " + err.toString().strip();
    }

    @Test
    void netShowMatchesBpftoolForXdpAndClassicTc() {
        assumeTrue(Files.isExecutable(BPFTOOL), "bpftool is not installed");
        try (VethPair pair = VethPair.create("cli");
                KernelProgram generic = load(ProgramType.XDP, "cli_xdp_gen", 2);
                KernelProgram driver = load(ProgramType.XDP, "cli_xdp_drv", 2);
                KernelProgram tc = load(ProgramType.SCHED_CLS, "cli_tc", 0)) {
            NetNamespace ns = pair.receiver();
            String dev = VethPair.RECEIVER_DEV;
            compare(ns, "net", "show");
            // bpf4j attaches (netlink, like bpftool), bpftool and bpf4j show.
            assertEquals("0: ", ns.run(() -> bpf4jExit("net", "attach", "xdpgeneric", "id", Integer.toString(generic.id()), "dev",
                    dev)));
            compare(ns, "net", "show");
            compare(ns, "net", "show", "dev", dev);
            compare(ns, "net", "list", "dev", "lo");
            // Without overwrite, a second attach fails; with it, it replaces.
            assertEquals("1: Error: interface xdpgeneric attach failed: Device or resource busy",
                    ns.run(() -> bpf4jExit("net", "attach", "xdpgeneric", "id", Integer.toString(driver.id()), "dev", dev)));
            assertEquals("0: ", ns.run(() -> bpf4jExit("net", "attach", "xdpgeneric", "id", Integer.toString(driver.id()),
                    "dev", dev, "overwrite")));
            compare(ns, "net", "show");
            // Driver mode, once generic is gone (the kernel allows one mode at a time).
            assertEquals("0: ", ns.run(() -> bpf4jExit("net", "detach", "xdpgeneric", "dev", dev)));
            assertEquals("0: ", ns.run(() -> bpf4jExit("net", "attach", "xdpdrv", "id", Integer.toString(driver.id()), "dev",
                    dev)));
            compare(ns, "net", "show", "dev", dev);
            // Classic tc filters on both clsact hooks.
            ns.run(() -> {
                NetDevice d = NetDevice.of(dev);
                TcFilter.attach(tc, d, TcFilter.Hook.INGRESS);
                TcFilter.attach(tc, d, TcFilter.Hook.EGRESS, 7, 3);
            });
            compare(ns, "net", "show");
            assertEquals("0: ", ns.run(() -> bpf4jExit("net", "detach", "xdpdrv", "dev", dev)));
            compare(ns, "net", "show", "dev", dev);
            assertEquals(XdpLink.Status.NONE, ns.run(() -> XdpLink.status(NetDevice.of(dev)).attached()));
        }
    }

    @Test
    void netAttachAndShowTcx() {
        try (VethPair pair = VethPair.create("clitcx");
                KernelProgram tc = load(ProgramType.SCHED_CLS, "cli_tcx", 0);
                KernelProgram first = load(ProgramType.SCHED_CLS, "cli_tcx_first", 0)) {
            NetNamespace ns = pair.receiver();
            String dev = VethPair.RECEIVER_DEV;
            assertEquals("0: ", ns.run(() -> bpf4jExit("net", "attach", "tcx_ingress", "id", Integer.toString(tc.id()), "dev", dev)));
            assertEquals("0: ", ns.run(() -> bpf4jExit("net", "attach", "tcx_ingress", "id", Integer.toString(first.id()), "dev",
                    dev, "prepend")));
            Attachments a = ns.run(() -> TcxLink.query(NetDevice.of(dev), TcxLink.Direction.INGRESS));
            assertEquals(List.of(first.id(), tc.id()), a.entries().stream().map(Attachments.Entry::progId).toList());
            try (TcxLink link = ns.run(() -> TcxLink.attach(tc, NetDevice.of(dev), TcxLink.Direction.EGRESS))) {
                String shown = ns.run(() -> BpftoolCompatTest.bpf4j("net", "show"));
                int index = ns.run(() -> NetDevice.of(dev).index());
                // bpftool 7.3+'s tcx lines (7.1 shows none): name, prog_id, and the link id when held by a link.
                assertTrue(shown.contains(dev + "(" + index + ") tcx/ingress cli_tcx_first prog_id " + first.id() + " \n"
                        + dev + "(" + index + ") tcx/ingress cli_tcx prog_id " + tc.id() + " \n"
                        + dev + "(" + index + ") tcx/egress cli_tcx prog_id " + tc.id() + " link_id " + link.id() + " \n"),
                        shown);
                String json = ns.run(() -> BpftoolCompatTest.bpf4j("net", "show", "-j"));
                assertTrue(json.contains("{\"devname\":\"" + dev + "\",\"ifindex\":" + index + ",\"kind\":\"tcx/egress\","
                        + "\"name\":\"cli_tcx\",\"prog_id\":" + tc.id() + ",\"prog_flags\":[],\"link_id\":" + link.id()
                        + ",\"link_flags\":[]}"), json);
            }
            assertEquals("0: ", ns.run(() -> bpf4jExit("net", "detach", "tcx_ingress", "dev", dev)));
            assertEquals(1, ns.run(() -> TcxLink.query(NetDevice.of(dev), TcxLink.Direction.INGRESS)).entries().size());
        }
    }

    @Test
    void linkShowPinAndDetachMatchBpftool() throws Exception {
        assumeTrue(Files.isExecutable(BPFTOOL), "bpftool is not installed");
        Path dir = Files.createTempDirectory(Path.of("/sys/fs/bpf"), "bpf4j-links");
        List<AutoCloseable> held = new ArrayList<>();
        try (NetNamespace ns = NetNamespace.create("clilink")) {
            KernelProgram tp = load(ProgramType.TRACEPOINT, "cli_tp", 0);
            KernelProgram raw = load(ProgramType.RAW_TRACEPOINT, "cli_raw", 0);
            int btfId = TracingLink.targetBtfId(AttachType.TRACE_RAW_TP, "sched_switch");
            KernelProgram btf = KernelProgram.load(ProgramDefinition.of(ProgramType.TRACING, "cli_tp_btf",
                    new Asm().movImm(0, 0).exit().bytes(), "GPL").withExpectedAttachType(AttachType.TRACE_RAW_TP)
                    .withAttachTarget(btfId, 0));
            KernelProgram lookup = KernelProgram.load(ProgramDefinition.of(ProgramType.SK_LOOKUP, "cli_lookup",
                    new Asm().movImm(0, 1).exit().bytes(), "GPL").withExpectedAttachType(AttachType.SK_LOOKUP));
            KernelProgram nf = KernelProgram.load(ProgramDefinition.of(ProgramType.NETFILTER, "cli_nf",
                    new Asm().movImm(0, 1).exit().bytes(), "GPL").withExpectedAttachType(AttachType.NETFILTER));
            KernelProgram xdp = load(ProgramType.XDP, "cli_xdp", 2);
            held.addAll(List.of(tp, raw, btf, lookup, nf, xdp));
            List<Link> links = new ArrayList<>();
            links.add(TracepointLink.attach(tp, "sched", "sched_switch"));
            links.add(RawTracepointLink.attach(raw, "sched_switch"));
            links.add(TracingLink.attach(btf));
            links.add(SkLookupLink.attach(lookup, Path.of(ns.path())));
            links.add(ns.run(() -> NetfilterLink.attach(nf, NetfilterLink.NFPROTO_IPV4, NetfilterLink.LOCAL_IN, 5, 0)));
            links.add(ns.run(() -> XdpLink.attach(xdp, NetDevice.of("lo"), XdpLink.Mode.GENERIC)));
            Optional<Path> cgroup2 = Files.readAllLines(Path.of("/proc/mounts")).stream().map(l -> l.split(" "))
                    .filter(f -> f.length > 2 && f[2].equals("cgroup2")).map(f -> Path.of(f[1])).findFirst();
            if (cgroup2.isPresent()) {
                KernelProgram dev = KernelProgram.load(ProgramDefinition.of(ProgramType.CGROUP_DEVICE, "cli_dev",
                        new Asm().movImm(0, 1).exit().bytes(), "GPL").withExpectedAttachType(AttachType.CGROUP_DEVICE));
                held.add(dev);
                links.add(CgroupLink.attach(dev, cgroup2.get(), AttachType.CGROUP_DEVICE));
            }
            held.addAll(0, links);
            for (Link l : links) {
                compare("link", "show", "id", Integer.toString(l.id()));
            }
            // Pinned by bpf4j: both show it by path, and with -f list the pin.
            Link first = links.getFirst();
            Path pin = dir.resolve("tp_link");
            assertEquals("0: ", bpf4jExit("link", "pin", "id", Integer.toString(first.id()), pin.toString()));
            compare("link", "show", "pinned", pin.toString());
            compare("link", "show", "-f", "id", Integer.toString(first.id()));
            // Detached by bpf4j: bpftool sees the same detached link.
            Link xdpLink = links.get(5);
            assertEquals("0: ", bpf4jExit("link", "detach", "id", Integer.toString(xdpLink.id())));
            compare("link", "show", "id", Integer.toString(xdpLink.id()));
            assertEquals(XdpLink.Status.NONE, ns.run(() -> XdpLink.status(NetDevice.of("lo")).attached()));
        } finally {
            for (AutoCloseable c : held) {
                c.close();
            }
            try (var pins = Files.list(dir)) {
                for (Path p : pins.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    void badArgumentsGiveOneClearLine() {
        try (KernelProgram xdp = load(ProgramType.XDP, "cli_bad", 2)) {
            String id = Integer.toString(xdp.id());
            assertEquals("1: Error: invalid net attach/detach type: bogus", bpf4jExit("net", "attach", "bogus", "id", id,
                    "dev", "lo"));
            assertEquals("1: Error: invalid devname no-such-dev0", bpf4jExit("net", "attach", "xdp", "id", id, "dev",
                    "no-such-dev0"));
            assertEquals("1: Error: expected 'dev', got: 'lo'?", bpf4jExit("net", "detach", "xdp", "lo", "x"));
            assertEquals("1: Error: expected 'overwrite', got: 'now'?", bpf4jExit("net", "attach", "xdp", "id", id, "dev",
                    "lo", "now"));
            // bpftool prints the id with %d: a large one comes out negative, here too.
            assertEquals("1: Error: failed to get link with ID -294967296: No such file or directory",
                    bpf4jExit("link", "show", "id", "4000000000"));
            assertEquals("1: Error: expected 'id' or 'pinned', got: 'name'?", bpf4jExit("link", "show", "name", "x"));
            assertTrue(bpf4jExit("link", "pin", "id", "4000000000", "/sys/fs/bpf/x").startsWith("1: Error: failed to get link"));
        }
    }

    @Test
    void progAttachAndDetachToASockmap() {
        try (KernelMap sockmap = KernelMap.create(MapDefinition.of(MapType.SOCKMAP, 4, 4, 2));
                KernelProgram verdict = KernelProgram.load(ProgramDefinition.of(ProgramType.SK_SKB, "cli_verdict",
                        new Asm().movImm(0, 1).exit().bytes(), "GPL"))) {
            String prog = Integer.toString(verdict.id());
            String map = Integer.toString(sockmap.id());
            assertEquals("0: ", bpf4jExit("prog", "attach", "id", prog, "stream_verdict", "id", map));
            assertEquals(List.of(verdict.id()), Attachments.query(sockmap.fd(), AttachType.SK_SKB_STREAM_VERDICT).entries()
                    .stream().map(Attachments.Entry::progId).toList());
            assertEquals("1: Error: invalid attach/detach type", bpf4jExit("prog", "attach", "id", prog, "no_such_type", "id",
                    map));
            assertEquals("0: ", bpf4jExit("prog", "detach", "id", prog, "sk_skb_stream_verdict", "id", map));
            assertTrue(Attachments.query(sockmap.fd(), AttachType.SK_SKB_STREAM_VERDICT).entries().isEmpty());
            // What bpftool attaches, bpf4j detaches.
            if (Files.isExecutable(BPFTOOL)) {
                BpftoolCompatTest.bpftool("prog", "attach", "id", prog, "skb_verdict", "id", map);
                assertEquals(1, Attachments.query(sockmap.fd(), AttachType.SK_SKB_VERDICT).entries().size());
                assertEquals("0: ", bpf4jExit("prog", "detach", "id", prog, "skb_verdict", "id", map));
                assertTrue(Attachments.query(sockmap.fd(), AttachType.SK_SKB_VERDICT).entries().isEmpty());
            }
        }
    }

    @Test
    void tracelogPrintsWhatProgramsPrint() throws Exception {
        String text = "bpf4j tracelog " + ThreadLocalRandom.current().nextLong(1L << 40);
        try (KernelProgram p = KernelProgram.load(ProgramDefinition.of(ProgramType.XDP, "cli_printk",
                new Asm().printk(text).movImm(0, 2).exit().bytes(), "GPL"))) {
            for (boolean json : new boolean[] {false, true}) {
                StringWriter out = new StringWriter();
                Thread t = Thread.ofPlatform().start(() -> Main.execute(json ? new String[] {"prog", "tracelog", "-j"}
                        : new String[] {"prog", "tracelog"}, new PrintWriter(out), new PrintWriter(new StringWriter())));
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (!out.toString().contains(text) && System.nanoTime() < deadline) {
                    p.testRun(TestRun.ofData(new byte[64]));
                    Thread.sleep(50);
                }
                ProgTracelogCommand.stop();
                t.join(5000);
                assertFalse(t.isAlive(), "tracelog did not stop");
                String printed = out.toString();
                assertTrue(printed.contains("bpf_trace_printk: " + text + (json ? "\\n\"" : "\n")), printed);
                if (json) {
                    assertTrue(printed.startsWith("[") && printed.endsWith("]\n"), printed);
                }
            }
        }
    }
}
