package io.bpf4j.bcc;

import io.bpf4j.BpfCollection;
import io.bpf4j.BpfException;
import io.bpf4j.BpfMap;
import io.bpf4j.BpfProgram;
import io.bpf4j.kernel.KernelBackend;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.object.ObjectSpec;
import java.lang.foreign.MemorySegment;

/** An object loaded into the kernel by the kernel backend, with its maps and programs by name and errors that list them. */
final class LoadedObject implements AutoCloseable {
    private final ObjectSpec spec;
    private final BpfCollection collection;

    private LoadedObject(ObjectSpec spec, BpfCollection collection) {
        this.spec = spec;
        this.collection = collection;
    }

    static LoadedObject load(ObjectSpec spec) {
        return new LoadedObject(spec, KernelBackend.create().load(spec));
    }

    /** The object as it was given (before CO-RE relocation, which changes no name or type). */
    ObjectSpec spec() {
        return spec;
    }

    /** The map called {@code name} (global data maps by their libbpf name, e.g. {@code "hello.bss"}). */
    KernelMap map(String name) {
        BpfMap m = collection.maps().get(name);
        if (m == null) {
            throw new BpfException(spec.name() + " has no map '" + name + "'; its maps are " + collection.maps().keySet());
        }
        return (KernelMap) m;
    }

    /** The loaded program called {@code name}. */
    KernelProgram program(String name) {
        BpfProgram p = collection.programs().get(name);
        if (p == null) {
            boolean exists = spec.program(name).isPresent();
            throw new BpfException(spec.name() + (exists ? ": program '" + name + "' was not loaded (autoload off)"
                    : " has no program '" + name + "'; its programs are " + collection.programs().keySet()));
        }
        return (KernelProgram) p;
    }

    /** The value of global data map {@code name}, mapped: shared with the programs. */
    MemorySegment globalData(String name) {
        return collection.globalData(name);
    }

    @Override
    public void close() {
        collection.close();
    }
}
