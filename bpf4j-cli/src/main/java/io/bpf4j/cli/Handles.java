package io.bpf4j.cli;

import io.bpf4j.BpfException;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfType;
import io.bpf4j.kernel.BpfSyscallException;
import io.bpf4j.kernel.Kernel;
import io.bpf4j.kernel.KernelBtf;
import io.bpf4j.kernel.KernelLink;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.ProgramInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * bpftool's object handles: {@code MAP := id ID | pinned FILE | name NAME},
 * {@code PROG := id ID | pinned FILE | tag TAG | name NAME} and {@code LINK := id ID | pinned FILE}. A name or tag may match
 * several objects; every opened object is the caller's to close.
 */
final class Handles {
    private Handles() {}

    /** Objects a handle matched, and the index of the first argument after it. */
    record Match<T>(List<T> objects, int next) {}

    /** What a show command lists, and whether a handle named exactly one object (printed alone, not in a JSON array). */
    record Selection<T>(List<T> objects, boolean single) {}

    /**
     * The objects a show command's arguments select: the one handle given ({@code byHandle}),
     * or with no arguments every object of {@code ids} that can still be opened.
     */
    static <T> Selection<T> select(List<String> args, java.util.function.BiFunction<List<String>, Integer, Match<T>> byHandle,
            List<Integer> ids, java.util.function.IntFunction<T> byId, String kind) {
        if (args.size() == 2) {
            List<T> found = byHandle.apply(args, 0).objects();
            return new Selection<>(found, found.size() == 1);
        }
        if (!args.isEmpty()) {
            throw new BpfException("what is '" + args.getFirst() + "'?");
        }
        List<T> all = new ArrayList<>();
        for (int id : ids) {
            try {
                all.add(byId.apply(id));
            } catch (BpfSyscallException e) {
                if (e.errno() != io.bpf4j.kernel.sys.Errno.ENOENT) {
                    throw new BpfException("can't get " + kind + " by id (" + Integer.toUnsignedString(id) + "): "
                            + Bpftool.strerror(e));
                }
            }
        }
        return new Selection<>(all, false);
    }

    /** Prints the selected objects: a JSON array of objects (one object for a single one), or plain text. */
    static <T extends AutoCloseable> void show(StringBuilder out, JsonOptions json, Selection<T> selection,
            java.util.function.BiConsumer<JsonWriter, T> asJson, java.util.function.Consumer<T> asPlain) {
        try {
            if (json.enabled()) {
                JsonWriter w = json.writer(out);
                if (!selection.single()) {
                    w.startArray();
                }
                selection.objects().forEach(o -> asJson.accept(w, o));
                if (!selection.single()) {
                    w.endArray();
                }
                w.finish();
            } else {
                selection.objects().forEach(asPlain);
            }
        } finally {
            closeAll(selection.objects());
        }
    }

    static Match<KernelMap> maps(List<String> args, int i) {
        String kw = need(args, i, "MAP");
        String value = need(args, i + 1, kw);
        if (Bpftool.isPrefix(kw, "id")) {
            return new Match<>(List.of(mapById(parseId(value))), i + 2);
        }
        if (Bpftool.isPrefix(kw, "name")) {
            if (value.length() > 15) {
                throw new BpfException("can't parse name");
            }
            List<KernelMap> found = new ArrayList<>();
            for (int id : Kernel.mapIds()) {
                KernelMap m = openMapIfPresent(id);
                if (m == null) {
                    continue;
                }
                if (m.name().equals(value)) {
                    found.add(m);
                } else {
                    m.close();
                }
            }
            return new Match<>(found, i + 2);
        }
        if (Bpftool.isPrefix(kw, "pinned")) {
            return new Match<>(List.of(KernelMap.openPinned(Path.of(value))), i + 2);
        }
        throw new BpfException("expected 'id', 'name' or 'pinned', got: '" + kw + "'?");
    }

    /** Exactly one map, or an error when the handle matched none or several. */
    static Match<KernelMap> map(List<String> args, int i) {
        Match<KernelMap> m = maps(args, i);
        return new Match<>(List.of(single(m.objects(), "maps")), m.next());
    }

    static Match<KernelProgram> programs(List<String> args, int i) {
        String kw = need(args, i, "PROG");
        String value = need(args, i + 1, kw);
        if (Bpftool.isPrefix(kw, "id")) {
            int id = parseId(value);
            try {
                return new Match<>(List.of(KernelProgram.openById(id)), i + 2);
            } catch (BpfSyscallException e) {
                throw new BpfException("get by id (" + Integer.toUnsignedString(id) + "): " + Bpftool.strerror(e));
            }
        }
        if (Bpftool.isPrefix(kw, "tag")) {
            byte[] tag;
            try {
                tag = HexFormat.of().parseHex(value);
            } catch (IllegalArgumentException e) {
                tag = null;
            }
            if (tag == null || tag.length != 8) {
                throw new BpfException("can't parse tag");
            }
            String hex = HexFormat.of().formatHex(tag);
            return new Match<>(programsWhere(info -> info.tagHex().equals(hex)), i + 2);
        }
        if (Bpftool.isPrefix(kw, "name")) {
            if (value.length() > 127) {
                throw new BpfException("can't parse name");
            }
            return new Match<>(programsWhere(info -> fullName(info).equals(value)), i + 2);
        }
        if (Bpftool.isPrefix(kw, "pinned")) {
            return new Match<>(List.of(KernelProgram.openPinned(Path.of(value))), i + 2);
        }
        throw new BpfException("expected 'id', 'tag', 'name' or 'pinned', got: '" + kw + "'?");
    }

    static Match<KernelProgram> program(List<String> args, int i) {
        Match<KernelProgram> m = programs(args, i);
        return new Match<>(List.of(single(m.objects(), "programs")), m.next());
    }

    /** {@code LINK := id ID | pinned FILE}: exactly one link. */
    static Match<KernelLink> link(List<String> args, int i) {
        String kw = need(args, i, "LINK");
        String value = need(args, i + 1, kw);
        if (Bpftool.isPrefix(kw, "id")) {
            int id = parseId(value);
            try {
                return new Match<>(List.of(KernelLink.openById(id)), i + 2);
            } catch (BpfSyscallException e) {
                throw new BpfException("failed to get link with ID " + id + ": " + Bpftool.strerror(e));
            }
        }
        if (Bpftool.isPrefix(kw, "pinned")) {
            return new Match<>(List.of(KernelLink.openPinned(Path.of(value))), i + 2);
        }
        throw new BpfException("expected 'id' or 'pinned', got: '" + kw + "'?");
    }

    /**
     * A program's name as bpftool shows it: the kernel keeps 15 characters, so a name that
     * long is replaced by the name of its first function in the program's BTF.
     */
    static String fullName(ProgramInfo info) {
        String name = info.name();
        if (name.length() < 15 || info.btfId() == 0 || info.funcInfo().length < 8) {
            return name;
        }
        int typeId = ByteBuffer.wrap(info.funcInfo(), 4, 4).order(ByteOrder.nativeOrder()).getInt();
        try (KernelBtf btf = KernelBtf.openById(info.btfId())) {
            Btf parsed = Btf.parse(btf.rawData());
            return parsed.type(typeId) instanceof BtfType.Func f ? f.name() : name;
        } catch (BpfException | IllegalArgumentException e) {
            return name;
        }
    }

    private static List<KernelProgram> programsWhere(java.util.function.Predicate<ProgramInfo> test) {
        List<KernelProgram> found = new ArrayList<>();
        for (int id : Kernel.programIds()) {
            KernelProgram p;
            try {
                p = KernelProgram.openById(id);
            } catch (BpfSyscallException e) {
                continue; // unloaded meanwhile
            }
            if (test.test(p.info())) {
                found.add(p);
            } else {
                p.close();
            }
        }
        return found;
    }

    static KernelMap mapById(int id) {
        try {
            return KernelMap.openById(id);
        } catch (BpfSyscallException e) {
            throw new BpfException("get map by id (" + Integer.toUnsignedString(id) + "): " + Bpftool.strerror(e));
        }
    }

    /** The map with {@code id}, or null when it went away since it was listed. */
    static KernelMap openMapIfPresent(int id) {
        try {
            return KernelMap.openById(id);
        } catch (BpfSyscallException e) {
            if (e.errno() == io.bpf4j.kernel.sys.Errno.ENOENT) {
                return null;
            }
            throw new BpfException("can't get map by id (" + Integer.toUnsignedString(id) + "): " + Bpftool.strerror(e));
        }
    }

    private static <T extends AutoCloseable> T single(List<T> found, String kind) {
        if (found.size() == 1) {
            return found.getFirst();
        }
        for (T t : found) {
            try {
                t.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        throw new BpfException(found.isEmpty() ? "no " + kind + " match this handle" : "several " + kind + " match this handle");
    }

    static int parseId(String s) {
        Long id = Bpftool.parseUnsigned(s);
        if (id == null) {
            throw new BpfException("can't parse " + s + " as ID");
        }
        return (int) (long) id;
    }

    static String need(List<String> args, int i, String what) {
        if (i >= args.size()) {
            throw new BpfException("expected " + what + " at argument " + (i + 1));
        }
        return args.get(i);
    }

    static <T extends AutoCloseable> void closeAll(List<T> objects) {
        for (T t : objects) {
            try {
                t.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
