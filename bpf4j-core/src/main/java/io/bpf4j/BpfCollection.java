package io.bpf4j;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Optional;

/**
 * The live maps and programs of one object, as a {@link BpfBackend} loaded them. Closing it
 * closes every map, program, link and event reader it handed out.
 *
 * <pre>{@code
 * try (BpfCollection c = backend.load(spec)) {
 *     MemorySegment bss = c.globalData("xdp_coun.bss");      // shared with the programs
 *     try (BpfLink link = c.attach("handle_exec", "")) {     // the hook its section names
 *         long packets = bss.get(ValueLayout.JAVA_LONG, 0);
 *     }
 * }
 * }</pre>
 */
public interface BpfCollection extends AutoCloseable {
    /** The object's name ({@code xdp_counter} for {@code xdp_counter.bpf.o}). */
    String name();

    /** Every map of the object by name, in the object's order (global data maps by libbpf's names). */
    Map<String, ? extends BpfMap> maps();

    /** The loaded programs by name, in the object's order (programs that do not autoload are absent). */
    Map<String, ? extends BpfProgram> programs();

    default Optional<BpfMap> map(String mapName) {
        return Optional.ofNullable(maps().get(mapName));
    }

    default Optional<BpfProgram> program(String programName) {
        return Optional.ofNullable(programs().get(programName));
    }

    /**
     * The value of global data map {@code mapName} ({@code .data}, {@code .bss}, {@code .rodata}
     * and their named variants) as memory shared with the programs: what a program writes is
     * read here at once and what is written here the programs see (in the kernel the map is
     * mmapped). Read-only for {@code .rodata}. Valid until the collection closes.
     *
     * @throws BpfException if there is no such map or it is not global data
     */
    MemorySegment globalData(String mapName);

    /**
     * Attaches program {@code programName} to a hook: with {@code target} empty, the one its
     * section names ({@code tracepoint/syscalls/sys_enter_execve}, {@code kprobe/do_unlinkat},
     * {@code fentry/...}); for programs whose section names no hook (XDP, tc), the network
     * device {@code target}. The link detaches when closed or when the collection closes.
     *
     * @throws BpfException if the program is not loaded, its section names no hook and no
     *     target is given, or the backend cannot attach it
     */
    BpfLink attach(String programName, String target);

    /**
     * A reader of the records programs send through ring buffer or perf event array map
     * {@code mapName}. Closed with the collection if not before.
     *
     * @throws BpfException if there is no such map or it is of another type
     */
    BpfEventReader events(String mapName);

    /** Detaches every link and closes every reader, program and map. Closing twice is harmless. */
    @Override
    void close();
}
