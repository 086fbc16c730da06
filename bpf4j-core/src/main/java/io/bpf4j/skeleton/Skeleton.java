package io.bpf4j.skeleton;

import io.bpf4j.BpfBackend;
import io.bpf4j.BpfCollection;
import io.bpf4j.BpfEventReader;
import io.bpf4j.BpfException;
import io.bpf4j.BpfLink;
import io.bpf4j.BpfMap;
import io.bpf4j.BpfProgram;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The lifecycle a generated skeleton wraps: open (parse the object; change the spec and the
 * initial values of global variables), load (on a {@link BpfBackend}), attach, close. Before
 * load, global variables live in a copy of their section's bytes that becomes the map's
 * initial contents; after load, in the map's own memory shared with the programs.
 *
 * <pre>{@code
 * try (Skeleton s = Skeleton.open("xdp_counter.bpf.o", bytes)) {
 *     s.writableGlobals("xdp_coun.rodata").set(ValueLayout.JAVA_INT, 0, 17);   // before load
 *     s.load(backend);
 *     long packets = s.globals("xdp_coun.bss").get(ValueLayout.JAVA_LONG, 0);
 * }
 * }</pre>
 */
public final class Skeleton implements AutoCloseable {
    /** Where a skeleton is in its life. */
    public enum State {
        /** Parsed; the spec and initial values may change. */
        OPEN,
        /** Maps created and programs loaded. */
        LOADED,
        /** Everything released. */
        CLOSED
    }

    private ObjectSpec spec;
    private final Map<String, MemorySegment> initialGlobals = new LinkedHashMap<>();
    private final Map<String, BpfLink> links = new LinkedHashMap<>();
    private final Map<String, BpfEventReader> readers = new LinkedHashMap<>();
    private BpfCollection collection;
    private State state = State.OPEN;

    private Skeleton(ObjectSpec spec) {
        setSpec(spec);
    }

    /** Opens an object held in memory; {@code fileName} (e.g. {@code xdp_counter.bpf.o}) names it. */
    public static Skeleton open(String fileName, byte[] bytes) {
        return new Skeleton(ObjectSpec.parse(fileName, bytes));
    }

    /**
     * Opens an object stored as a class-path resource next to {@code owner}.
     *
     * @throws BpfException if there is no such resource
     */
    public static Skeleton open(Class<?> owner, String resource) {
        try (InputStream in = owner.getResourceAsStream(resource)) {
            if (in == null) {
                throw new BpfException("BPF object '" + resource + "' is not on the class path next to " + owner.getName());
            }
            return new Skeleton(ObjectSpec.read(in, resource));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read BPF object '" + resource + "' next to " + owner.getName(), e);
        }
    }

    public State state() {
        return state;
    }

    /** The object as it will be (or was) loaded, with the initial values of its global variables. */
    public ObjectSpec spec() {
        return state == State.OPEN ? withInitialGlobals() : spec;
    }

    /**
     * Changes the spec before load (map sizes, autoload, flags...). Global variables keep the
     * values set through the skeleton unless {@code change} sets them itself.
     */
    public void spec(UnaryOperator<ObjectSpec> change) {
        requireState(State.OPEN, "change the spec of");
        setSpec(Objects.requireNonNull(change.apply(withInitialGlobals()), "changed spec"));
    }

    private void setSpec(ObjectSpec newSpec) {
        spec = newSpec;
        initialGlobals.clear();
        for (MapSpec m : newSpec.maps()) {
            if (m.kind() == MapSpec.Kind.DATA || m.kind() == MapSpec.Kind.RODATA || m.kind() == MapSpec.Kind.BSS) {
                initialGlobals.put(m.name(), MemorySegment.ofArray(m.data()));
            }
        }
    }

    private ObjectSpec withInitialGlobals() {
        ObjectSpec s = spec;
        for (Map.Entry<String, MemorySegment> e : initialGlobals.entrySet()) {
            MapSpec m = s.map(e.getKey()).orElseThrow();
            byte[] data = e.getValue().toArray(ValueLayout.JAVA_BYTE);
            if (!Arrays.equals(data, m.data())) {
                s = s.withMap(m.withData(data));
            }
        }
        return s;
    }

    /** Loads the object on {@code backend}. */
    public void load(BpfBackend backend) {
        requireState(State.OPEN, "load");
        spec = withInitialGlobals();
        collection = Objects.requireNonNull(backend.load(spec), "backend returned no collection");
        initialGlobals.clear();
        state = State.LOADED;
    }

    /**
     * Attaches every loaded program whose section names its hook (kprobes, tracepoints, raw
     * tracepoints, fentry/fexit, LSM, iterators...), as libbpf's skeleton attach does; programs
     * that need a target (XDP, tc, cgroups) are left for {@link SkeletonProgram#attach(String)}.
     */
    public void attach() {
        requireState(State.LOADED, "attach");
        for (ProgramSpec p : spec.programs()) {
            if (collection.programs().containsKey(p.name()) && !links.containsKey(p.name()) && BpfLink.attachesBySection(p)) {
                attach(p.name(), "");
            }
        }
    }

    BpfLink attach(String program, String target) {
        requireState(State.LOADED, "attach a program of");
        if (links.containsKey(program)) {
            throw new IllegalStateException("program '" + program + "' of " + spec.name() + " is attached already");
        }
        loadedProgram(program);
        BpfLink link = collection.attach(program, target);
        links.put(program, link);
        return link;
    }

    Optional<BpfLink> link(String program) {
        return Optional.ofNullable(links.get(program));
    }

    /** Detaches every program attached through this skeleton; they stay loaded. */
    public void detach() {
        links.values().forEach(BpfLink::close);
        links.clear();
    }

    /** The program called {@code name}, loaded or not. */
    public SkeletonProgram program(String name) {
        spec.program(name).orElseThrow(() -> new IllegalArgumentException("object " + spec.name() + " has no program '" + name
                + "'"));
        return new SkeletonProgram(this, name);
    }

    BpfProgram loadedProgram(String name) {
        requireState(State.LOADED, "use a program of");
        BpfProgram p = collection.programs().get(name);
        if (p == null) {
            throw new IllegalStateException("program '" + name + "' of " + spec.name() + " was not loaded (autoload is off)");
        }
        return p;
    }

    /** The loaded map called {@code name}. */
    public BpfMap map(String name) {
        requireState(State.LOADED, "use a map of");
        BpfMap m = collection.maps().get(name);
        if (m == null) {
            throw new IllegalArgumentException("object " + spec.name() + " has no map '" + name + "'");
        }
        return m;
    }

    /**
     * The loaded ring buffer or perf event array {@code name}, with its reader, which opens now
     * (once per map): a perf event array drops what programs send before it is read.
     */
    public EventMap events(String name) {
        BpfMap map = map(name);
        return new EventMap(map, readers.computeIfAbsent(name, collection::events));
    }

    /**
     * The bytes of global data map {@code mapName} to read: before load the initial values,
     * after load the live memory.
     */
    public MemorySegment globals(String mapName) {
        if (state == State.OPEN) {
            MemorySegment s = initialGlobals.get(mapName);
            if (s == null) {
                throw new IllegalArgumentException("object " + spec.name() + " has no global data map '" + mapName + "'");
            }
            return s;
        }
        requireState(State.LOADED, "read the globals of");
        return collection.globalData(mapName);
    }

    /**
     * The bytes of global data map {@code mapName} to write: the initial values before load;
     * the live memory after load, except for {@code .rodata}, which is read-only once loaded.
     */
    public MemorySegment writableGlobals(String mapName) {
        MemorySegment s = globals(mapName);
        if (s.isReadOnly()) {
            throw new IllegalStateException("'" + mapName + "' of " + spec.name() + " is read-only once loaded; set it before load");
        }
        return s;
    }

    /** The live collection. */
    public BpfCollection collection() {
        requireState(State.LOADED, "use the collection of");
        return collection;
    }

    private void requireState(State wanted, String action) {
        if (state != wanted) {
            throw new IllegalStateException("cannot " + action + " " + spec.name() + ": it is " + state.name().toLowerCase(Locale.ROOT)
                    + (wanted == State.LOADED && state == State.OPEN ? " (call load first)" : ""));
        }
    }

    /** Detaches, closes readers, programs and maps. Closing twice is harmless. */
    @Override
    public void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        try {
            detach();
            readers.values().forEach(BpfEventReader::close);
            readers.clear();
        } finally {
            if (collection != null) {
                collection.close();
            }
        }
    }
}
