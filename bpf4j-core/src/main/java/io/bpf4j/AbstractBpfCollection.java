package io.bpf4j;

import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;

/**
 * What every backend's {@link BpfCollection} checks the same way, against the object's spec:
 * which maps are global data, what a program needs to attach, which maps carry events, and
 * whether the collection is still open. Backends extend it and add their live objects.
 *
 * <pre>{@code
 * final class MyCollection extends AbstractBpfCollection {
 *     public MemorySegment globalData(String mapName) {
 *         MapSpec m = globalDataSpec(mapName);
 *         ...
 *     }
 * }
 * }</pre>
 */
public abstract class AbstractBpfCollection implements BpfCollection {
    /** The object as it was loaded. */
    protected final ObjectSpec spec;
    private boolean closed;

    protected AbstractBpfCollection(ObjectSpec spec) {
        this.spec = spec;
    }

    @Override
    public String name() {
        return spec.name();
    }

    /**
     * The spec of global data map {@code mapName}.
     *
     * @throws BpfException if there is no such map or it is not global data
     */
    protected final MapSpec globalDataSpec(String mapName) {
        MapSpec m = spec.map(mapName).orElseThrow(() -> new BpfException(spec.name() + " has no map '" + mapName + "'"));
        if (!m.kind().isGlobalData()) {
            throw new BpfException("map '" + mapName + "' of " + spec.name() + " is " + m.kind() + ", not global data");
        }
        return m;
    }

    /**
     * The spec of loaded program {@code programName}, which is to attach to {@code target}.
     *
     * @throws BpfException if it is not loaded, or needs a target and has none
     */
    protected final ProgramSpec attachable(String programName, String target) {
        ProgramSpec p = spec.program(programName).orElseThrow(() -> new BpfException(spec.name() + " has no program '"
                + programName + "'"));
        if (!programs().containsKey(programName)) {
            throw new BpfException("program '" + programName + "' of " + spec.name() + " is not loaded");
        }
        if (target.isEmpty() && !BpfLink.attachesBySection(p)) {
            throw new BpfException("program '" + programName + "' of " + spec.name() + " (section '" + p.sectionName()
                    + "') does not say where it attaches: give a target, such as a network device");
        }
        return p;
    }

    /**
     * The map {@code mapName}, to read events from.
     *
     * @throws BpfException if there is no such map or it is neither a ring buffer nor a perf event array
     */
    protected final BpfMap eventMap(String mapName) {
        BpfMap map = maps().get(mapName);
        if (map == null) {
            throw new BpfException(spec.name() + " has no map '" + mapName + "'");
        }
        if (map.type() != MapType.RINGBUF && map.type() != MapType.PERF_EVENT_ARRAY) {
            throw new BpfException("map '" + mapName + "' of " + spec.name() + " is a " + map.type().bpftoolName()
                    + " map, not a ring buffer or perf event array");
        }
        return map;
    }

    /** Throws if the collection was closed. */
    protected final void checkOpen() {
        if (closed) {
            throw new IllegalStateException(spec.name() + " is closed");
        }
    }

    /** Marks the collection closed; true the first time, when the caller must release everything. */
    protected final boolean markClosed() {
        boolean first = !closed;
        closed = true;
        return first;
    }
}
