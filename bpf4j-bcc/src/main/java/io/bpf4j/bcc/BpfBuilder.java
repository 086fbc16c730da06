package io.bpf4j.bcc;

import io.bpf4j.BpfException;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.VariableSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link Bpf} is made from, said before it is loaded: C source text or file (or a
 * prebuilt object), clang flags, global constants ({@code const volatile} values in
 * {@code .rodata}, set before load as libbpf skeletons do), map sizes and which programs load.
 *
 * <pre>{@code
 * try (Bpf bpf = Bpf.builder().source("filter.bpf.c", source)
 *         .define("MAX_ARGS", 20)
 *         .variable("target_pid", 1234)
 *         .maxEntries("events", 1 << 20)
 *         .load()) { ... }
 * }</pre>
 */
public final class BpfBuilder {
    private String name;
    private String text;
    private Path file;
    private Path objectFile;
    private BpfCompiler compiler;
    private final List<String> flags = new ArrayList<>();
    private final Map<String, Object> variables = new LinkedHashMap<>();
    private final Map<String, Integer> maxEntries = new LinkedHashMap<>();
    private final Map<String, Boolean> autoload = new LinkedHashMap<>();

    BpfBuilder() {}

    /** C source text; {@code name} (e.g. {@code "hello.bpf.c"}) names it in clang's messages and names the object. */
    public BpfBuilder source(String sourceName, String source) {
        this.name = Objects.requireNonNull(sourceName);
        this.text = Objects.requireNonNull(source);
        this.file = null;
        this.objectFile = null;
        return this;
    }

    /** A C source file. */
    public BpfBuilder file(Path cFile) {
        this.file = Objects.requireNonNull(cFile);
        this.text = null;
        this.objectFile = null;
        return this;
    }

    /** A prebuilt BPF object file (ELF): nothing is compiled. */
    public BpfBuilder object(Path elfFile) {
        this.objectFile = Objects.requireNonNull(elfFile);
        this.text = null;
        this.file = null;
        return this;
    }

    /** The compiler to use instead of {@link BpfCompiler#find()}. */
    public BpfBuilder compiler(BpfCompiler c) {
        this.compiler = Objects.requireNonNull(c);
        return this;
    }

    /** {@code -DNAME=VALUE} for clang. */
    public BpfBuilder define(String macro, Object value) {
        flags.add("-D" + macro + "=" + value);
        return this;
    }

    /** Other clang arguments. */
    public BpfBuilder flags(String... clangArgs) {
        flags.addAll(List.of(clangArgs));
        return this;
    }

    /** Initial value of global variable {@code variable}: an integer of the variable's size (1, 2, 4 or 8 bytes). */
    public BpfBuilder variable(String variable, long value) {
        variables.put(variable, value);
        return this;
    }

    /** Initial bytes of global variable {@code variable}, exactly its size. */
    public BpfBuilder variable(String variable, byte[] value) {
        variables.put(variable, value.clone());
        return this;
    }

    /** Map {@code map} with {@code entries} as its {@code max_entries}. */
    public BpfBuilder maxEntries(String map, int entries) {
        maxEntries.put(map, entries);
        return this;
    }

    /** Whether program {@code program} is loaded ({@code SEC("?...")} programs are not, unless asked). */
    public BpfBuilder autoload(String program, boolean load) {
        autoload.put(program, load);
        return this;
    }

    /**
     * Compiles (or reads) the object, applies the settings and loads it.
     *
     * @throws CompileException when clang rejects the source
     * @throws io.bpf4j.kernel.VerifierException when the kernel rejects a program
     */
    public Bpf load() {
        BpfCompiler.Result compiled = null;
        ObjectSpec spec;
        try {
            if (objectFile != null) {
                spec = ObjectSpec.read(objectFile);
            } else if (text != null || file != null) {
                BpfCompiler cc = (compiler != null ? compiler : BpfCompiler.find()).withFlags(flags);
                compiled = text != null ? cc.compile(name, text) : cc.compile(file);
                String objectName = (text != null ? name : file.getFileName().toString()).replaceFirst("\\.c$", "") + ".o";
                spec = ObjectSpec.parse(objectName, compiled.object());
            } else {
                throw new IllegalStateException("no source: call source, file or object first");
            }
        } catch (IOException e) {
            throw new BpfException("cannot read " + objectFile + ": " + e.getMessage(), e);
        }
        for (Map.Entry<String, Object> v : variables.entrySet()) {
            spec = spec.withVariable(v.getKey(), bytes(spec, v.getKey(), v.getValue()));
        }
        for (Map.Entry<String, Integer> m : maxEntries.entrySet()) {
            spec = spec.withMap(spec.map(m.getKey()).orElseThrow(() -> new IllegalArgumentException("no map '" + m.getKey()
                    + "' to size")).withMaxEntries(m.getValue()));
        }
        for (Map.Entry<String, Boolean> a : autoload.entrySet()) {
            spec = spec.withAutoload(a.getKey(), a.getValue());
        }
        return Bpf.load(spec, compiled);
    }

    private static byte[] bytes(ObjectSpec spec, String variable, Object value) {
        if (value instanceof byte[] b) {
            return b;
        }
        VariableSpec v = spec.variable(variable).orElseThrow(() -> new IllegalArgumentException("no global variable '"
                + variable + "'; there are " + spec.variables().stream().map(VariableSpec::name).toList()));
        long n = (Long) value;
        ByteBuffer b = ByteBuffer.allocate(v.size()).order(ByteOrder.nativeOrder());
        switch (v.size()) {
            case 1 -> b.put((byte) n);
            case 2 -> b.putShort((short) n);
            case 4 -> b.putInt((int) n);
            case 8 -> b.putLong(n);
            default -> throw new IllegalArgumentException("variable '" + variable + "' has " + v.size()
                    + " bytes, not an integer's: set it with variable(name, byte[])");
        }
        return b.array();
    }
}
