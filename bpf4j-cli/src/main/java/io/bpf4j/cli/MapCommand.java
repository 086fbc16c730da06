package io.bpf4j.cli;

import io.bpf4j.BpfException;
import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.kernel.BpfSyscallException;
import io.bpf4j.kernel.Kernel;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.MapDefinition;
import io.bpf4j.kernel.MapInfo;
import io.bpf4j.kernel.sys.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bpf4j map ...}: bpftool's map commands, printing what bpftool 7.1 prints. */
@Command(
        mixinStandardHelpOptions = true,
        name = "map",
        description = {"Inspect and manipulate kernel maps, as bpftool map does.",
            "  MAP := { id MAP_ID | pinned FILE | name MAP_NAME }",
            "  DATA := { [hex] BYTES }",
            "  PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }",
            "  VALUE := { DATA | MAP | PROG }",
            "  UPDATE_FLAGS := { any | exist | noexist }"},
        subcommands = {
            MapCommand.Show.class, MapCommand.Create.class, MapCommand.Dump.class, MapCommand.Update.class,
            MapCommand.Lookup.class, MapCommand.GetNext.class, MapCommand.Delete.class, MapCommand.Pin.class,
            MapCommand.Pop.class, MapCommand.Freeze.class,
            CommandLine.HelpCommand.class,
        })
final class MapCommand extends CommandGroup {
    @Override
    String example() {
        return "bpf4j map show";
    }

    /** What every map subcommand has: its arguments, -j/-p, and a place to print. */
    abstract static class Sub implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Mixin
        JsonOptions json;

        @Parameters(paramLabel = "ARGS", description = "As the synopsis shows.")
        List<String> args = new ArrayList<>();

        final StringBuilder out = new StringBuilder();

        abstract void run(List<String> args);

        @Override
        public Integer call() {
            run(args);
            spec.commandLine().getOut().append(out).flush();
            return 0;
        }

        /** Runs {@code call}, a bpf() command on a map; a failure reads as bpftool's: {@code OPERATION failed: REASON}. */
        static <T> T attempt(String operation, Supplier<T> call) {
            try {
                return call.get();
            } catch (BpfSyscallException e) {
                throw new BpfException(operation + " failed: " + Bpftool.strerror(e), e);
            }
        }

        static void attempt(String operation, Runnable call) {
            attempt(operation, () -> {
                call.run();
                return null;
            });
        }

        /** print_key_value: JSON, BTF-formatted (pretty JSON) when the map has BTF, else hex. */
        void printKeyValue(KernelMap m, byte[] key, byte[] value) {
            MapView view = MapView.of(m);
            if (json.enabled()) {
                JsonWriter w = json.writer(out);
                Entries.jsonEntry(w, view, key, value);
                w.finish();
            } else if (view.btf() != null) {
                JsonWriter w = new JsonWriter(out, true);
                view.dumpBtf(w, true, key, value);
                w.finish();
            } else {
                Entries.plainEntry(out, m, key, value);
            }
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "show", aliases = "list",
            customSynopsis = "bpf4j map { show | list } [MAP] [-f] [-j|-p]",
            description = "Show every map, or those MAP names.")
    static final class Show extends Sub {
        @Option(names = {"-f", "--bpffs"}, description = "Show the files each map is pinned at.")
        boolean bpffs;

        @Override
        void run(List<String> args) {
            IdTable<String> pins = bpffs ? Bpftool.pinnedPaths("bpf-map") : new IdTable<>();
            Handles.show(out, json, Handles.select(args, Handles::maps, Kernel.mapIds(), KernelMap::openById, "map"),
                    (w, m) -> showJson(w, m, pins), m -> showPlain(m, pins));
        }

        private void showPlain(KernelMap m, IdTable<String> pins) {
            MapInfo info = m.info();
            Map<String, String> fdinfo = m.fdInfo();
            header(out, info);
            out.append("\tkey ").append(Integer.toUnsignedString(info.keySize())).append("B  value ")
                    .append(Integer.toUnsignedString(info.valueSize())).append("B  max_entries ")
                    .append(Integer.toUnsignedString(info.maxEntries()));
            if (fdinfo.containsKey("memlock")) {
                out.append("  memlock ").append(fdinfo.get("memlock")).append('B');
            }
            if (info.typeId() == MapType.PROG_ARRAY.id()) {
                String ownerType = fdinfo.get("owner_prog_type");
                String ownerJited = fdinfo.get("owner_jited");
                if (ownerType != null || ownerJited != null) {
                    out.append("\n\t");
                }
                if (ownerType != null) {
                    int t = Integer.parseInt(ownerType);
                    out.append("owner_prog_type ").append(ProgramType.ofId(t).map(ProgramType::bpftoolName)
                            .orElse(Integer.toString(t))).append("  ");
                }
                if (ownerJited != null) {
                    out.append("owner").append(Integer.parseInt(ownerJited) != 0 ? "" : " not").append(" jited");
                }
            }
            Bpftool.plainPins(out, pins, info.id());
            boolean frozen = Integer.parseInt(fdinfo.getOrDefault("frozen", "0")) != 0;
            if (info.btfId() != 0 || frozen) {
                out.append("\n\t");
            }
            if (info.btfId() != 0) {
                out.append("btf_id ").append(info.btfId());
            }
            if (frozen) {
                out.append(info.btfId() != 0 ? "  " : "").append("frozen");
            }
            out.append('\n');
        }

        private static void showJson(JsonWriter w, KernelMap m, IdTable<String> pins) {
            MapInfo info = m.info();
            Map<String, String> fdinfo = m.fdInfo();
            w.startObject();
            headerJson(w, info);
            Offload.json(w, info.ifindex(), info.netnsDev(), info.netnsIno());
            w.name("bytes_key").unsigned(Integer.toUnsignedLong(info.keySize()));
            w.name("bytes_value").unsigned(Integer.toUnsignedLong(info.valueSize()));
            w.name("max_entries").unsigned(Integer.toUnsignedLong(info.maxEntries()));
            if (fdinfo.containsKey("memlock")) {
                w.field("bytes_memlock", Long.parseLong(fdinfo.get("memlock")));
            }
            if (info.typeId() == MapType.PROG_ARRAY.id()) {
                String ownerType = fdinfo.get("owner_prog_type");
                String ownerJited = fdinfo.get("owner_jited");
                if (ownerType != null) {
                    int t = Integer.parseInt(ownerType);
                    Optional<ProgramType> pt = ProgramType.ofId(t);
                    w.name("owner_prog_type");
                    if (pt.isPresent()) {
                        w.value(pt.get().bpftoolName());
                    } else {
                        w.value(t);
                    }
                }
                if (ownerJited != null) {
                    w.name("owner_jited").value(Integer.parseInt(ownerJited) != 0);
                }
            }
            w.field("frozen", Integer.parseInt(fdinfo.getOrDefault("frozen", "0")));
            if (info.btfId() != 0) {
                w.field("btf_id", info.btfId());
            }
            Bpftool.jsonPins(w, pins, info.id());
            w.endObject();
        }
    }

    /** {@code ID: TYPE  name NAME  flags 0x%x} and a newline. */
    static void header(StringBuilder out, MapInfo info) {
        out.append(Integer.toUnsignedString(info.id())).append(": ")
                .append(info.type().map(t -> t.bpftoolName() + "  ").orElse("type " + Integer.toUnsignedString(info.typeId()) + "  "));
        if (!info.name().isEmpty()) {
            out.append("name ").append(info.name()).append("  ");
        }
        out.append("flags 0x").append(Integer.toHexString(info.mapFlags()));
        Offload.plain(out, info.ifindex(), info.netnsDev(), info.netnsIno());
        out.append('\n');
    }

    static void headerJson(JsonWriter w, MapInfo info) {
        w.name("id").unsigned(Integer.toUnsignedLong(info.id()));
        w.name("type");
        if (info.type().isPresent()) {
            w.value(info.type().get().bpftoolName());
        } else {
            w.unsigned(Integer.toUnsignedLong(info.typeId()));
        }
        if (!info.name().isEmpty()) {
            w.field("name", info.name());
        }
        w.field("flags", info.mapFlags());
    }

    /** A subcommand on the one map its arguments start with ({@code MAP ...}), closed after it. */
    abstract static class OnMap extends Sub {
        /** The command's work on map {@code m}; {@code next} indexes the argument after the map's handle. */
        abstract void run(KernelMap m, List<String> args, int next);

        @Override
        final void run(List<String> args) {
            Handles.Match<KernelMap> h = Handles.map(args, 0);
            try (KernelMap m = h.objects().getFirst()) {
                run(m, args, h.next());
            }
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "create",
            customSynopsis = "bpf4j map create FILE type TYPE key KEY_SIZE value VALUE_SIZE entries MAX_ENTRIES name NAME [flags FLAGS] [inner_map MAP] [-j|-p]",
            description = "Create a map and pin it at FILE.")
    static final class Create extends Sub {
        @Override
        void run(List<String> args) {
            String file = args.getFirst();
            MapType type = null;
            String name = null;
            long key = 0;
            long value = 0;
            long entries = 0;
            long flags = 0;
            KernelMap inner = null;
            try {
                for (int i = 1; i < args.size(); ) {
                    if (i + 1 >= args.size()) {
                        throw new BpfException("'" + args.get(i) + "' needs at least 2 arguments, 1 found");
                    }
                    String kw = args.get(i);
                    String v = args.get(i + 1);
                    if (Bpftool.isPrefix(kw, "type")) {
                        if (type != null) {
                            throw new BpfException("map type already specified");
                        }
                        type = mapType(v).orElseThrow(() -> new BpfException("unrecognized map type: " + v));
                        i += 2;
                    } else if (Bpftool.isPrefix(kw, "name")) {
                        name = v;
                        i += 2;
                    } else if (Bpftool.isPrefix(kw, "key")) {
                        key = u32(v, "key size", key);
                        i += 2;
                    } else if (Bpftool.isPrefix(kw, "value")) {
                        value = u32(v, "value size", value);
                        i += 2;
                    } else if (Bpftool.isPrefix(kw, "entries")) {
                        entries = u32(v, "max entries", entries);
                        i += 2;
                    } else if (Bpftool.isPrefix(kw, "flags")) {
                        flags = u32(v, "flags", flags);
                        i += 2;
                    } else if (Bpftool.isPrefix(kw, "inner_map")) {
                        Handles.Match<KernelMap> m = Handles.map(args, i + 1);
                        if (inner != null) {
                            inner.close();
                        }
                        inner = m.objects().getFirst();
                        i = m.next();
                    } else {
                        throw new BpfException("unknown arg " + kw);
                    }
                }
                if (name == null) {
                    throw new BpfException("map name not specified");
                }
                MapDefinition d = MapDefinition.of(type == null ? MapType.UNSPEC : type, (int) key, (int) value, (int) entries)
                        .withName(name).withFlags((int) flags);
                if (inner != null) {
                    d = d.withInnerMap(inner);
                }
                try (KernelMap m = KernelMap.create(d)) {
                    m.pin(Path.of(file));
                }
            } finally {
                if (inner != null) {
                    inner.close();
                }
            }
            json.appendNull(out);
        }

        private static long u32(String v, String what, long previous) {
            if (previous != 0) {
                throw new BpfException(what + " already specified");
            }
            Long n = Bpftool.parseUnsigned(v);
            if (n == null || n > 0xffff_ffffL) {
                throw new BpfException("can't parse " + v + " as " + what);
            }
            return n;
        }
    }

    /** The map type bpftool calls {@code name}. */
    static Optional<MapType> mapType(String name) {
        for (MapType t : MapType.values()) {
            if (t != MapType.UNSPEC && MapType.ofId(t.id()).orElseThrow() == t && t.bpftoolName().equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    @Command(mixinStandardHelpOptions = true, name = "dump",
            customSynopsis = "bpf4j map dump MAP [-j|-p]",
            description = "Print every entry of MAP.")
    static final class Dump extends Sub {
        private boolean failed;

        @Override
        public Integer call() {
            return super.call() == 0 && !failed ? 0 : 1;
        }

        @Override
        void run(List<String> args) {
            List<KernelMap> maps = Handles.maps(args, 0).objects();
            try {
                boolean several = maps.size() > 1;
                // Plain output of maps that all have BTF is BTF-formatted pretty JSON, as bpftool prints it.
                boolean btf = !maps.isEmpty() && maps.stream().allMatch(m -> m.info().btfId() != 0);
                JsonWriter w = json.enabled() ? json.writer(out) : btf ? new JsonWriter(out, true) : null;
                if (w != null && several) {
                    w.startArray();
                }
                for (int i = 0; i < maps.size(); i++) {
                    MapView view = MapView.of(maps.get(i));
                    if (w != null) {
                        if (several) {
                            w.startObject();
                            headerJson(w, view.info());
                            w.name("elements");
                        }
                        w.startArray();
                    } else if (several) {
                        header(out, view.info());
                    }
                    int n = 0;
                    try {
                        for (byte[] key : view.map().keys()) {
                            if (json.enabled()) {
                                Entries.json(w, view, key);
                            } else {
                                n += Entries.plain(out, view, w, key) ? 1 : 0;
                            }
                        }
                    } catch (BpfSyscallException e) {
                        // As bpftool: a map whose keys cannot be walked (a queue) dumps what it has, and fails.
                        failed = true;
                    }
                    if (w != null) {
                        w.endArray();
                        if (several) {
                            w.endObject();
                        }
                    } else {
                        out.append("Found ").append(n).append(" element").append(n != 1 ? "s" : "").append('\n');
                        if (i != maps.size() - 1) {
                            out.append('\n');
                        }
                    }
                }
                if (w != null) {
                    if (several) {
                        w.endArray();
                    }
                    w.finish();
                }
            } finally {
                Handles.closeAll(maps);
            }
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "update", aliases = {"push", "enqueue"},
            customSynopsis = "bpf4j map { update | push | enqueue } MAP [key DATA] [value VALUE] [UPDATE_FLAGS] [-j|-p]",
            description = "Store VALUE under DATA in MAP (push VALUE onto a queue or stack).")
    static final class Update extends OnMap {
        @Override
        void run(KernelMap m, List<String> args, int next) {
            try (Element e = Element.parse(args, next, m, true, true)) {
                attempt("update", () -> m.update(e.key(), e.value(), e.flags()));
            }
            json.appendNull(out);
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "lookup", aliases = "peek",
            customSynopsis = "bpf4j map { lookup | peek } MAP [key DATA] [-j|-p]",
            description = "Print the entry of MAP under DATA (the next value of a queue or stack).")
    static final class Lookup extends OnMap {
        @Override
        void run(KernelMap m, List<String> args, int next) {
            byte[] key = Element.parse(args, next, m, true, false).key();
            Optional<byte[]> value = attempt("lookup", () -> m.lookup(key));
            if (value.isEmpty()) {
                notFound(key);
                return;
            }
            printKeyValue(m, key, value.get());
        }

        private void notFound(byte[] key) {
            if (json.enabled()) {
                json.appendNull(out);
            } else {
                out.append("key:\n").append(Bpftool.hex(key, " ")).append("\n\nNot found\n");
            }
            exitCode = 1;
        }

        private int exitCode;

        @Override
        public Integer call() {
            super.call();
            return exitCode;
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "pop", aliases = "dequeue",
            customSynopsis = "bpf4j map { pop | dequeue } MAP [-j|-p]",
            description = "Take the next value off a queue or stack MAP and print it.")
    static final class Pop extends OnMap {
        @Override
        void run(KernelMap m, List<String> args, int next) {
            if (m.type() != MapType.QUEUE && m.type() != MapType.STACK) {
                // bpftool 7.1 passes an uninitialised key here and reports whatever that finds; a keyless pop has no meaning
                throw new BpfException("pop works on queue and stack maps; this map is a " + m.type().bpftoolName()
                        + " map (use lookup and delete)");
            }
            Optional<byte[]> value = attempt("pop", m::pop);
            if (value.isEmpty()) {
                if (json.enabled()) {
                    json.appendNull(out);
                } else {
                    out.append("Error: empty map\n");
                }
                return;
            }
            printKeyValue(m, new byte[m.keySize()], value.get());
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "getnext",
            customSynopsis = "bpf4j map getnext MAP [key DATA] [-j|-p]",
            description = "Print the key after DATA in MAP (the first key without DATA).")
    static final class GetNext extends OnMap {
        @Override
        void run(KernelMap m, List<String> args, int next) {
            byte[] key = next < args.size() ? Element.parse(args, next, m, true, false).key() : null;
            Optional<byte[]> nextKey = m.nextKey(key);
            if (nextKey.isEmpty()) {
                throw new BpfException("can't get next key: " + Errno.message(Errno.ENOENT));
            }
            if (json.enabled()) {
                JsonWriter w = json.writer(out);
                w.startObject();
                w.name("key");
                if (key == null) {
                    w.nullValue();
                } else {
                    Bpftool.hexJson(w, key);
                }
                w.name("next_key");
                Bpftool.hexJson(w, nextKey.get());
                w.endObject();
                w.finish();
            } else {
                out.append(key == null ? "key: None\n" : "key:\n" + Bpftool.hex(key, " ") + "\n");
                out.append("next key:\n").append(Bpftool.hex(nextKey.get(), " ")).append('\n');
            }
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "delete",
            customSynopsis = "bpf4j map delete MAP key DATA [-j|-p]",
            description = "Remove the entry under DATA from MAP.")
    static final class Delete extends OnMap {
        @Override
        void run(KernelMap m, List<String> args, int next) {
            byte[] key = Element.parse(args, next, m, true, false).key();
            if (!attempt("delete", () -> m.delete(key))) {
                throw new BpfException("delete failed: " + Errno.message(Errno.ENOENT));
            }
            json.appendNull(out);
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "pin",
            customSynopsis = "bpf4j map pin MAP FILE [-j|-p]",
            description = "Pin MAP at FILE on a bpffs.")
    static final class Pin extends OnMap {
        @Override
        void run(KernelMap m, List<String> args, int next) {
            m.pin(Path.of(args.get(next)));
            json.appendNull(out);
        }
    }

    @Command(mixinStandardHelpOptions = true, name = "freeze",
            customSynopsis = "bpf4j map freeze MAP [-j|-p]",
            description = "Make MAP read-only for user space.")
    static final class Freeze extends OnMap {
        @Override
        void run(KernelMap m, List<String> args, int next) {
            m.freeze();
            json.appendNull(out);
        }
    }

    /** A parsed {@code [key DATA] [value VALUE] [UPDATE_FLAGS]}; a VALUE naming a map or program holds it open. */
    record Element(byte[] key, byte[] value, long flags, AutoCloseable held) implements AutoCloseable {
        @Override
        public void close() {
            if (held != null) {
                try {
                    held.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }

        static Element parse(List<String> args, int i, KernelMap m, boolean wantKey, boolean wantValue) {
            byte[] key = wantKey ? null : new byte[0];
            byte[] value = wantValue ? null : new byte[0];
            Long flags = null;
            AutoCloseable held = null;
            while (i < args.size()) {
                String kw = args.get(i);
                if (Bpftool.isPrefix(kw, "key")) {
                    if (key != null) {
                        throw new BpfException(m.keySize() != 0 ? "duplicate key" : "unnecessary key");
                    }
                    key = new byte[m.keySize()];
                    i = parseBytes(args, i + 1, "key", key);
                } else if (Bpftool.isPrefix(kw, "value")) {
                    if (value != null) {
                        throw new BpfException(m.valueSize() != 0 ? "duplicate value" : "unnecessary value");
                    }
                    i++;
                    MapType type = m.type();
                    if (type == MapType.ARRAY_OF_MAPS || type == MapType.HASH_OF_MAPS) {
                        Handles.Match<KernelMap> inner = Handles.map(args, i);
                        held = inner.objects().getFirst();
                        value = intBytes(inner.objects().getFirst().fd());
                        i = inner.next();
                    } else if (type == MapType.PROG_ARRAY) {
                        Handles.Match<KernelProgram> prog = Handles.program(args, i);
                        held = prog.objects().getFirst();
                        value = intBytes(prog.objects().getFirst().fd());
                        i = prog.next();
                    } else {
                        byte[] one = new byte[m.valueSize()];
                        i = parseBytes(args, i, "value", one);
                        value = perCpu(m, one);
                    }
                } else if (Bpftool.isPrefix(kw, "any") || Bpftool.isPrefix(kw, "noexist") || Bpftool.isPrefix(kw, "exist")) {
                    if (flags != null) {
                        throw new BpfException("flags specified multiple times: " + kw);
                    }
                    flags = Bpftool.isPrefix(kw, "any") ? BpfMap.UPDATE_ANY
                            : Bpftool.isPrefix(kw, "noexist") ? BpfMap.UPDATE_NOEXIST : BpfMap.UPDATE_EXIST;
                    i++;
                } else {
                    throw new BpfException("expected key or value, got: " + kw);
                }
            }
            if (key == null && m.keySize() == 0) {
                key = new byte[0];
            }
            if (value == null && m.valueSize() == 0) {
                value = new byte[0];
            }
            if (key == null || value == null) {
                throw new BpfException("did not find " + (key == null ? "key" : "value"));
            }
            return new Element(key, value, flags == null ? BpfMap.UPDATE_ANY : flags, held);
        }

        /** parse_bytes: {@code [hex] BYTES}, each byte in C notation (or hex after {@code hex}), truncated to 8 bits. */
        private static int parseBytes(List<String> args, int i, String name, byte[] into) {
            boolean hex = i < args.size() && Bpftool.isPrefix(args.get(i), "hex");
            if (hex) {
                i++;
            }
            int n = 0;
            while (n < into.length && i + n < args.size()) {
                String s = args.get(i + n);
                Long v;
                try {
                    v = hex ? Long.parseUnsignedLong(s, 16) : Bpftool.parseUnsigned(s);
                } catch (NumberFormatException e) {
                    v = null;
                }
                if (v == null) {
                    throw new BpfException("error parsing byte: " + s);
                }
                into[n++] = (byte) (long) v;
            }
            if (n != into.length) {
                throw new BpfException(name + " expected " + into.length + " bytes got " + n);
            }
            return i + n;
        }

        /** A per-CPU map takes the one value given for every CPU. */
        private static byte[] perCpu(KernelMap m, byte[] one) {
            if (!m.isPerCpu()) {
                return one;
            }
            byte[] all = new byte[m.valueBufferSize()];
            int step = (m.valueSize() + 7) & ~7;
            for (int off = 0; off + m.valueSize() <= all.length; off += step) {
                System.arraycopy(one, 0, all, off, one.length);
            }
            return all;
        }

        private static byte[] intBytes(int v) {
            return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
        }
    }
}
