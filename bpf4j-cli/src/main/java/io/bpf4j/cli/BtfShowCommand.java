package io.bpf4j.cli;

import io.bpf4j.BpfException;
import io.bpf4j.kernel.BpfSyscallException;
import io.bpf4j.kernel.BtfInfo;
import io.bpf4j.kernel.Kernel;
import io.bpf4j.kernel.KernelBtf;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.sys.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code bpf4j btf show [id ID]}: the BTF objects loaded in the kernel, with the programs and maps using them. */
@Command(mixinStandardHelpOptions = true, name = "show", aliases = "list",
        description = "Show every BTF object in the kernel, or the one with id ID.")
final class BtfShowCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    JsonOptions json;

    @Parameters(arity = "0..2", paramLabel = "BTF", description = "id ID")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        Integer only = null;
        if (args.size() == 2) {
            if (!Bpftool.isPrefix(args.get(0), "id")) {
                throw new BpfException("expected 'id', got: '" + args.get(0) + "'?");
            }
            only = Handles.parseId(args.get(1));
        } else if (!args.isEmpty()) {
            throw new BpfException("what is '" + args.getFirst() + "'?");
        }
        IdTable<Integer> progs = new IdTable<>();
        for (int id : Kernel.programIds()) {
            try (KernelProgram p = KernelProgram.openById(id)) {
                int btf = p.info().btfId();
                if (btf != 0) {
                    progs.append(btf, id);
                }
            } catch (BpfSyscallException e) {
                requireGone(e, "prog", id);
            }
        }
        IdTable<Integer> maps = new IdTable<>();
        for (int id : Kernel.mapIds()) {
            try (KernelMap m = Handles.openMapIfPresent(id)) {
                if (m != null && m.info().btfId() != 0) {
                    maps.append(m.info().btfId(), id);
                }
            }
        }
        StringBuilder out = new StringBuilder();
        JsonWriter w = json.enabled() ? json.writer(out) : null;
        if (only != null) {
            try (KernelBtf btf = KernelBtf.openById(only)) {
                show(out, w, btf.info(), progs, maps);
            } catch (BpfSyscallException e) {
                throw new BpfException("can't get BTF object by id (" + Integer.toUnsignedString(only) + "): "
                        + Bpftool.strerror(e));
            }
        } else {
            if (w != null) {
                w.startArray();
            }
            for (int id : Kernel.btfIds()) {
                try (KernelBtf btf = KernelBtf.openById(id)) {
                    show(out, w, btf.info(), progs, maps);
                } catch (BpfSyscallException e) {
                    requireGone(e, "BTF object", id);
                }
            }
            if (w != null) {
                w.endArray();
            }
        }
        if (w != null) {
            w.finish();
        }
        spec.commandLine().getOut().append(out).flush();
        return 0;
    }

    private static void requireGone(BpfSyscallException e, String what, int id) {
        if (e.errno() != Errno.ENOENT) {
            throw new BpfException("can't get " + what + " by id (" + id + "): " + Bpftool.strerror(e));
        }
    }

    private static void show(StringBuilder out, JsonWriter w, BtfInfo info, IdTable<Integer> progs, IdTable<Integer> maps) {
        if (w != null) {
            w.startObject();
            w.name("id").unsigned(Integer.toUnsignedLong(info.id()));
            w.name("size").unsigned(Integer.toUnsignedLong(info.size()));
            w.name("prog_ids").startArray();
            progs.get(info.id()).forEach(w::value);
            w.endArray();
            w.name("map_ids").startArray();
            maps.get(info.id()).forEach(w::value);
            w.endArray();
            w.name("kernel").value(info.kernelBtf());
            if (!info.name().isEmpty()) {
                w.field("name", info.name());
            }
            w.endObject();
            return;
        }
        out.append(Integer.toUnsignedString(info.id())).append(": ");
        if (info.kernelBtf()) {
            out.append("name [").append(info.name()).append("]  ");
        } else if (!info.name().isEmpty()) {
            out.append("name ").append(info.name()).append("  ");
        } else {
            out.append("name <anon>  ");
        }
        out.append("size ").append(Integer.toUnsignedString(info.size())).append('B');
        ids(out, "  prog_ids ", progs.get(info.id()));
        ids(out, "  map_ids ", maps.get(info.id()));
        out.append('\n');
    }

    private static void ids(StringBuilder out, String label, List<Integer> ids) {
        for (int i = 0; i < ids.size(); i++) {
            out.append(i == 0 ? label : ",").append(Integer.toUnsignedString(ids.get(i)));
        }
    }
}
