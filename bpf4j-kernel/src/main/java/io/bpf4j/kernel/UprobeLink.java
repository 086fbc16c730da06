package io.bpf4j.kernel;

import io.bpf4j.elf.ElfFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A uprobe or uretprobe program on a function (or offset) of an executable or shared
 * library, or on a USDT probe: through the {@code uprobe} perf PMU, else an
 * {@code uprobe_events} entry in tracefs. Functions are found in the file's {@code .symtab}
 * or {@code .dynsym}; a bare library name is searched where the dynamic linker would.
 *
 * <pre>{@code
 * try (UprobeLink link = UprobeLink.attach(program, "libc.so.6", "malloc", false, -1)) { ... }
 * UsdtProbe p = UsdtProbe.find(elf, "hotspot", "thread__start").getFirst();   // its arguments
 * try (UprobeLink link = UprobeLink.attachUsdt(program, libjvm, "hotspot", "thread__start", -1)) { ... }
 * }</pre>
 */
public final class UprobeLink extends PerfEventBacked {
    /** One probe: its event, and the tracefs probe it was made from (null through the PMU). */
    private record Probe(PerfEvent event, TracefsProbe tracefs) {}

    private UprobeLink(List<Probe> probes, String description) {
        super(probes.stream().map(Probe::event).toList(),
                probes.stream().map(Probe::tracefs).filter(Objects::nonNull).toList(), description);
    }

    /**
     * Attaches to function {@code function} of {@code binary} (a path, or a library or program
     * name) for process {@code pid} (-1: every process that runs the file).
     */
    public static UprobeLink attach(KernelProgram program, String binary, String function, boolean ret, int pid) {
        Path path = ElfSymbols.resolve(binary);
        long offset = ElfSymbols.functionOffset(ElfSymbols.read(path), function);
        String what = "attach " + program + " to " + (ret ? "uretprobe " : "uprobe ") + path + ":" + function;
        return new UprobeLink(List.of(attachOffset(program, path, offset, ret, pid, 0, 0, what)), what);
    }

    /** The file offset of {@code function} in {@code binary}, where {@link #attach} puts the probe. */
    public static long functionOffset(String binary, String function) {
        return ElfSymbols.functionOffset(ElfSymbols.read(ElfSymbols.resolve(binary)), function);
    }

    /** Attaches at file offset {@code offset} of {@code binary}. */
    public static UprobeLink attach(KernelProgram program, Path binary, long offset, boolean ret, int pid) {
        String what = "attach " + program + " to " + (ret ? "uretprobe " : "uprobe ") + binary + ":0x"
                + Long.toHexString(offset);
        return new UprobeLink(List.of(attachOffset(program, binary, offset, ret, pid, 0, 0, what)), what);
    }

    /**
     * Attaches to every location of USDT probe {@code provider:name} in {@code binary}, raising
     * its semaphore while attached. The location's index in {@link UsdtProbe#find} is its
     * attach cookie ({@code bpf_get_attach_cookie}), so the program can tell which argument
     * layout applies.
     */
    public static UprobeLink attachUsdt(KernelProgram program, String binary, String provider, String name, int pid) {
        Path path = ElfSymbols.resolve(binary);
        ElfFile elf = ElfSymbols.read(path);
        List<UsdtProbe> probes = UsdtProbe.find(elf, provider, name);
        List<Probe> attached = new ArrayList<>();
        String what = "attach " + program + " to USDT " + path + ":" + provider + ":" + name;
        try {
            for (int i = 0; i < probes.size(); i++) {
                UsdtProbe p = probes.get(i);
                attached.add(attachOffset(program, path, p.fileOffset(), false, pid, p.semaphoreOffset(), i, what));
            }
        } catch (RuntimeException e) {
            new UprobeLink(attached, what).close();
            throw e;
        }
        return new UprobeLink(attached, what);
    }

    private static Probe attachOffset(KernelProgram program, Path binary, long offset, boolean ret, int pid,
            long refCtrOffset, long cookie, String what) {
        String file = binary.toAbsolutePath().toString();
        Optional<PerfPmu> pmu = PerfPmu.of("uprobe");
        if (pmu.isPresent() && (refCtrOffset == 0 || pmu.get().refCtrShift() >= 0)) {
            PerfEventAttr attr = PerfEventAttr.uprobe(pmu.get(), ret, file, offset, refCtrOffset);
            return new Probe(PerfEvent.attach(program, attr, pid, pid == -1 ? 0 : -1, cookie, what), null);
        }
        Path events = TracefsProbe.eventsFile("uprobe");
        if (events == null) {
            throw new UnsupportedFeatureException(what + ": this kernel has no uprobes (CONFIG_UPROBE_EVENTS): neither "
                    + PerfPmu.DEVICES.resolve("uprobe") + " nor uprobe_events in tracefs");
        }
        String name = TracefsProbe.eventName(binary.getFileName().toString(), offset);
        TracefsProbe probe = TracefsProbe.create(events, name, tracefsDefinition(ret, name, file, offset, refCtrOffset),
                what);
        try {
            PerfEvent event = PerfEvent.attach(program, PerfEventAttr.tracepoint(probe.id()), pid, pid == -1 ? 0 : -1,
                    cookie, what);
            return new Probe(event, probe);
        } catch (RuntimeException e) {
            probe.close();
            throw e;
        }
    }

    /** The line written to {@code uprobe_events}: {@code p:bpf4j/NAME /path:0xOFFSET(0xREF)}. */
    static String tracefsDefinition(boolean ret, String event, String path, long offset, long refCtrOffset) {
        return TracefsProbe.definition(ret, event, path + ":0x" + Long.toHexString(offset)
                + (refCtrOffset != 0 ? "(0x" + Long.toHexString(refCtrOffset) + ")" : ""));
    }
}
