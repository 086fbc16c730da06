package io.bpf4j.gen;

import io.bpf4j.BpfFormatException;
import io.bpf4j.BpfLink;
import io.bpf4j.MapType;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfType;
import io.bpf4j.object.MapSpec;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import io.bpf4j.object.VariableSpec;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Generates the Java skeleton of a BPF object: one source file with a class that opens,
 * loads (on the kernel or the VM), attaches and closes the object, with a typed accessor per
 * map, per program and per global variable, and a record per struct the maps, globals and
 * events use, whose {@code decode}/{@code encode} follow the C layout.
 *
 * <pre>{@code
 * byte[] object = Files.readAllBytes(Path.of("xdp_counter.bpf.o"));
 * String java = SkeletonGenerator.generate("xdp_counter.bpf.o", object, SkeletonGenerator.Options.of("com.example"));
 * Files.writeString(Path.of("src/main/java/com/example/XdpCounter.java"), java);
 * }</pre>
 */
public final class SkeletonGenerator {
    private static final int BASE64_LINE = 100;
    private static final int BASE64_LINES_PER_CONSTANT = 600;

    /** Simple names the generated file imports or uses from java.lang: no generated type may take them. */
    private static final Map<String, String> IMPORTS = imports();
    private static final Set<String> JAVA_LANG = Set.of("Object", "String", "Integer", "Long", "Short", "Byte", "Boolean", "Float",
            "Double", "Override", "Math", "System", "Character", "Record", "Enum", "Class", "Void", "Number", "Iterable",
            "AutoCloseable", "Exception", "RuntimeException", "Error", "Throwable", "Thread", "Runnable");

    private SkeletonGenerator() {}

    private static Map<String, String> imports() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String q : List.of("io.bpf4j.BpfBackend", "io.bpf4j.BpfMap", "io.bpf4j.codec.Codec", "io.bpf4j.object.ObjectSpec",
                "io.bpf4j.skeleton.CLayout", "io.bpf4j.skeleton.EventMap", "io.bpf4j.skeleton.MapView",
                "io.bpf4j.skeleton.PerCpuMapView", "io.bpf4j.skeleton.Skeleton", "io.bpf4j.skeleton.SkeletonProgram",
                "java.lang.foreign.MemorySegment", "java.lang.foreign.ValueLayout", "java.nio.ByteOrder", "java.util.Arrays",
                "java.util.Base64", "java.util.Objects", "java.util.function.UnaryOperator")) {
            m.put(q.substring(q.lastIndexOf('.') + 1), q);
        }
        return m;
    }

    /**
     * What to generate.
     *
     * @param packageName the package of the generated class ("" for none)
     * @param className the class name, or null for the object's name in Pascal case ({@code XdpCounter})
     * @param resource null to embed the object in the source; else the name of a class-path
     *     resource next to the class that holds the object (as the Maven plugin arranges)
     * @param types names of further structs, unions or typedefs to generate records for, such
     *     as the events a ring buffer carries (which BTF does not tie to the map)
     */
    public record Options(String packageName, String className, String resource, List<String> types) {
        public Options {
            Objects.requireNonNull(packageName, "packageName");
            types = List.copyOf(types);
            if (!packageName.isEmpty() && !packageName.matches("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*")) {
                throw new IllegalArgumentException("'" + packageName + "' is not a Java package name");
            }
            if (className != null && !className.matches("[A-Za-z_$][A-Za-z0-9_$]*")) {
                throw new IllegalArgumentException("'" + className + "' is not a Java class name");
            }
        }

        /** The object embedded, the class named after it, in {@code packageName}. */
        public static Options of(String packageName) {
            return new Options(packageName, null, null, List.of());
        }

        public Options withClassName(String name) {
            return new Options(packageName, name, resource, types);
        }

        /** Loads the object from class-path resource {@code name} next to the class instead of embedding it. */
        public Options withResource(String name) {
            return new Options(packageName, className, name, types);
        }

        public Options withTypes(List<String> names) {
            return new Options(packageName, className, resource, names);
        }
    }

    /**
     * The class name a skeleton of object file {@code fileName} gets by default:
     * {@code xdp_counter.bpf.o} gives {@code XdpCounter}.
     */
    public static String defaultClassName(String fileName) {
        String base = fileName.substring(fileName.lastIndexOf('/') + 1).replaceFirst("(\\.bpf)?\\.o$", "");
        String name = Names.pascal(base, "BpfObject");
        return IMPORTS.containsKey(name) || JAVA_LANG.contains(name) ? name + "Object" : name;
    }

    /**
     * The skeleton of the object {@code fileName} holding {@code bytes}.
     *
     * @throws BpfFormatException if the object cannot be parsed or a type asked for is not in its BTF
     */
    public static String generate(String fileName, byte[] bytes, Options options) {
        ObjectSpec spec = ObjectSpec.parse(fileName, bytes);
        return new Generation(spec, fileName, bytes, options).source();
    }

    /** One skeleton being written. */
    private static final class Generation {
        private final ObjectSpec spec;
        private final String fileName;
        private final byte[] bytes;
        private final Options options;
        private final String className;
        private final Btf btf;
        private final Code code = new Code();
        private final TypeMapper types;
        private final Names.Scope typeNames;
        private final Map<String, String> codecs = new LinkedHashMap<>();
        private final SourceWriter body = new SourceWriter(1);

        Generation(ObjectSpec spec, String fileName, byte[] bytes, Options options) {
            this.spec = spec;
            this.fileName = fileName;
            this.bytes = bytes;
            this.options = options;
            this.className = options.className() != null ? options.className() : defaultClassName(fileName);
            if (IMPORTS.containsKey(className) || JAVA_LANG.contains(className)) {
                throw new IllegalArgumentException("class name '" + className + "' is taken by "
                        + IMPORTS.getOrDefault(className, "java.lang." + className) + ", which the skeleton uses; choose another");
            }
            this.btf = spec.btf().orElse(null);
            Set<String> reserved = new HashSet<>(IMPORTS.keySet());
            reserved.addAll(JAVA_LANG);
            reserved.addAll(List.of(className, "Maps", "Programs", "ObjectFile"));
            this.typeNames = new Names.Scope(reserved);
            this.types = btf == null ? null : new TypeMapper(btf, fileName, typeNames);
        }

        String source() {
            List<Section> sections = sections();
            List<MapAccessor> maps = new ArrayList<>();
            Names.Scope mapNames = new Names.Scope(Set.of("getClass", "hashCode", "toString", "equals", "notify", "notifyAll", "wait"));
            for (MapSpec m : spec.maps()) {
                maps.add(mapAccessor(m, mapNames));
            }
            for (String t : options.types()) {
                extraType(t);
            }
            body.line("");
            writeLifecycle(sections);
            writeMaps(maps);
            writePrograms();
            for (Section s : sections) {
                writeSection(s);
            }
            if (types != null) {
                for (RecordModel r : types.records()) {
                    writeRecord(r);
                }
            }
            if (options.resource() == null) {
                writeObjectFile();
            }
            return header() + body + "}\n";
        }

        // ---- global variables

        /** The variables of one global data map. */
        private record Section(MapSpec map, String className, String accessor, List<Variable> variables) {}

        private record Variable(VariableSpec spec, String javaName, JavaType type, String cType) {}

        private List<Section> sections() {
            List<Section> out = new ArrayList<>();
            Names.Scope accessors = new Names.Scope(Set.of("open", "spec", "load", "attach", "detach", "skeleton", "maps", "progs",
                    "close", "getClass", "hashCode", "toString", "equals", "notify", "notifyAll", "wait"));
            for (MapSpec m : spec.maps()) {
                if (m.kind() != MapSpec.Kind.DATA && m.kind() != MapSpec.Kind.RODATA && m.kind() != MapSpec.Kind.BSS) {
                    continue;
                }
                List<VariableSpec> vars = spec.variables().stream().filter(v -> v.map().equals(m.name()) && v.global()).toList();
                if (vars.isEmpty()) {
                    continue;
                }
                String sectionClass = typeNames.unique(Names.pascal(m.sectionName(), "Globals"), "Section");
                Names.Scope names = new Names.Scope(Set.of("getClass", "hashCode", "toString", "equals", "notify", "notifyAll", "wait"));
                List<Variable> variables = new ArrayList<>();
                for (VariableSpec v : vars) {
                    JavaType t = types == null ? new JavaType.Raw(v.size(), 1) : types.mapOrRaw(v.typeId(), Names.pascal(v.name(), "Var"), v.size());
                    variables.add(new Variable(v, names.unique(Names.camel(v.name(), "variable"), "_"), t,
                            btf == null ? "" : CTypes.name(btf, v.typeId())));
                }
                out.add(new Section(m, sectionClass, accessors.unique(Names.camel(m.sectionName(), "globals"), "Section"), variables));
            }
            return out;
        }

        private void writeSection(Section s) {
            String kind = s.map().sectionName();
            body.javadoc(switch (s.map().kind()) {
                case RODATA -> "The global variables of " + Code.docCode(kind) + " ({@code const volatile}): set them before load;"
                        + "\nonce loaded they are read-only.";
                default -> "The global variables of " + Code.docCode(kind) + ": before load, their initial values; once loaded,"
                        + "\nthe memory the programs read and write.";
            });
            body.open("public final class " + s.className());
            body.open("private " + s.className() + "()").close();
            String mapName = Code.literal(s.map().name());
            for (Variable v : s.variables()) {
                body.line("");
                String off = String.valueOf(v.spec().offset());
                body.javadoc(Code.docCode(v.cType() + " " + v.spec().name()) + ".");
                body.open("public " + v.type().name() + " " + v.javaName() + "()");
                body.line("return " + v.type().read(code, "skeleton.globals(" + mapName + ")", off) + ";");
                body.close();
                body.line("");
                body.javadoc("Sets " + Code.docCode(v.spec().name()) + (s.map().kind() == MapSpec.Kind.RODATA ? " (before load)." : "."));
                body.open("public " + s.className() + " " + v.javaName() + "(" + v.type().name() + " value)");
                body.line(v.type().write(code, "skeleton.writableGlobals(" + mapName + ")", off, "value",
                        s.map().sectionName() + " " + v.spec().name()) + ";");
                body.line("return this;");
                body.close();
            }
            body.close();
            body.line("");
        }

        // ---- maps

        /** One accessor of {@code Maps}. */
        private record MapAccessor(MapSpec map, String javaName, String returnType, String expression, String doc) {}

        private MapAccessor mapAccessor(MapSpec m, Names.Scope names) {
            String base = m.kind().isGlobalData() ? m.sectionName() : m.name();
            String javaName = names.unique(Names.camel(base, "map"), "Map");
            String literal = Code.literal(m.name());
            String what = m.type().bpftoolName() + " map " + Code.docCode(m.name());
            if (m.type() == MapType.RINGBUF || m.type() == MapType.PERF_EVENT_ARRAY) {
                return new MapAccessor(m, javaName, "EventMap", "skeleton.events(" + literal + ")",
                        "The " + what + ": the records its programs send.");
            }
            boolean perCpu = m.type() == MapType.PERCPU_HASH || m.type() == MapType.PERCPU_ARRAY || m.type() == MapType.LRU_PERCPU_HASH;
            boolean data = perCpu || switch (m.type()) {
                case HASH, ARRAY, LRU_HASH, LPM_TRIE, DEVMAP, DEVMAP_HASH, CPUMAP -> true;
                default -> false;
            };
            if (!data || m.kind() != MapSpec.Kind.BTF && m.kind() != MapSpec.Kind.LEGACY || m.keySize() <= 0 || m.valueSize() <= 0) {
                return new MapAccessor(m, javaName, "BpfMap", "skeleton.map(" + literal + ")", "The " + what + ".");
            }
            String hint = Names.pascal(m.name(), "Map");
            JavaType key = keyOrValue(m.keyTypeId(), hint + "Key", m.keySize());
            JavaType value = keyOrValue(m.valueTypeId(), hint + "Value", m.valueSize());
            String view = perCpu ? "PerCpuMapView" : "MapView";
            String doc = "The " + what + ": " + cType(m.keyTypeId(), m.keySize()) + " keys, " + cType(m.valueTypeId(), m.valueSize())
                    + " values" + (perCpu ? " (one per CPU)" : "") + ", " + m.maxEntries() + " entries.";
            return new MapAccessor(m, javaName, view + "<" + key.boxed() + ", " + value.boxed() + ">",
                    view + ".of(skeleton.map(" + literal + "), " + codec(key) + ", " + codec(value) + ")", doc);
        }

        private JavaType keyOrValue(int typeId, String hint, int size) {
            if (typeId != 0 && types != null) {
                return types.mapOrRaw(typeId, hint, size);
            }
            return switch (size) {
                case 1, 2, 4, 8 -> new JavaType.Scalar(JavaType.Primitive.ofSize(size));
                default -> new JavaType.Raw(size, 1);
            };
        }

        private String cType(int typeId, int size) {
            return typeId != 0 && btf != null ? Code.docCode(CTypes.name(btf, typeId)) : size + "-byte";
        }

        /** The expression of a codec of {@code t}: a record's own, or a constant of the skeleton. */
        private String codec(JavaType t) {
            if (t instanceof JavaType.Composite c) {
                return c.model().javaName() + ".CODEC";
            }
            String name = codecName(t) + "_CODEC";
            if (!codecs.containsKey(name)) {
                int depth = code.enterLambda();
                String s = Code.variable("s", depth);
                String o = Code.variable("o", depth);
                String v = Code.variable("v", depth);
                String read = t.read(code, s, o);
                String write = t.write(code, s, o, v, t.name());
                code.leaveLambda();
                codecs.put(name, "private static final Codec<" + t.boxed() + "> " + name + " = CLayout.codec(" + t.size() + ", "
                        + t.alignment() + ", (" + s + ", " + o + ") -> " + read + ", (" + s + ", " + o + ", " + v + ") -> " + write + ");");
            }
            return name;
        }

        private static String codecName(JavaType t) {
            return switch (t) {
                case JavaType.Scalar s -> s.primitive().name();
                case JavaType.Text x -> "STRING" + x.size();
                case JavaType.Raw r -> "BYTES" + r.size();
                case JavaType.Composite c -> Names.constant(c.model().javaName());
                case JavaType.ArrayOf a -> codecName(a.element()) + "_ARRAY" + a.length();
            };
        }

        private void writeMaps(List<MapAccessor> maps) {
            body.javadoc("The maps of " + Code.docCode(fileName) + ", usable once loaded.");
            body.open("public final class Maps");
            body.open("private Maps()").close();
            for (MapAccessor m : maps) {
                body.line("");
                body.javadoc(m.doc());
                body.open("public " + m.returnType() + " " + m.javaName() + "()");
                body.line("return " + m.expression() + ";");
                body.close();
            }
            body.close();
            body.line("");
        }

        // ---- programs

        private void writePrograms() {
            body.javadoc("The programs of " + Code.docCode(fileName) + ": test runs and attachment once loaded.");
            body.open("public final class Programs");
            body.open("private Programs()").close();
            Names.Scope names = new Names.Scope(Set.of("getClass", "hashCode", "toString", "equals", "notify", "notifyAll", "wait"));
            for (ProgramSpec p : spec.programs()) {
                body.line("");
                String attach = BpfLink.attachesBySection(p) ? "attached by {@link " + className + "#attach()}"
                        : "attached with {@code attach(target)}";
                body.javadoc("Program " + Code.docCode(p.name()) + " (" + p.type().bpftoolName() + ", section " + Code.docCode(p.sectionName())
                        + (p.autoload() ? "" : ", not loaded unless autoload is turned on") + "), " + attach + ".");
                body.open("public SkeletonProgram " + names.unique(Names.camel(p.name(), "program"), "Program") + "()");
                body.line("return skeleton.program(" + Code.literal(p.name()) + ");");
                body.close();
            }
            body.close();
            body.line("");
        }

        // ---- lifecycle

        private void writeLifecycle(List<Section> sections) {
            body.line("private final Skeleton skeleton;");
            body.line("private final Maps maps = new Maps();");
            body.line("private final Programs progs = new Programs();");
            for (Section s : sections) {
                body.line("private final " + s.className() + " " + s.accessor() + " = new " + s.className() + "();");
            }
            body.line("");
            body.open("private " + className + "(Skeleton skeleton)");
            body.line("this.skeleton = skeleton;");
            body.close();
            body.line("");
            body.javadoc("Opens the object: parsed, nothing created yet. Set global variables and change the spec now,\nthen {@link #load}.");
            body.open("public static " + className + " open()");
            body.line("return new " + className + "(" + (options.resource() == null ? "Skeleton.open(OBJECT, ObjectFile.bytes())"
                    : "Skeleton.open(" + className + ".class, " + Code.literal(options.resource()) + ")") + ");");
            body.close();
            body.line("");
            body.javadoc("The object as it will be loaded (or was), global variables' initial values included.");
            body.open("public ObjectSpec spec()");
            body.line("return skeleton.spec();");
            body.close();
            body.line("");
            body.javadoc("Changes the spec before load: map sizes, autoload, pinning.");
            body.open("public " + className + " spec(UnaryOperator<ObjectSpec> change)");
            body.line("skeleton.spec(change);");
            body.line("return this;");
            body.close();
            body.line("");
            body.javadoc("Creates the maps and loads the programs on {@code backend} (the kernel or the VM).");
            body.open("public " + className + " load(BpfBackend backend)");
            body.line("skeleton.load(backend);");
            body.line("return this;");
            body.close();
            body.line("");
            body.javadoc("Attaches every program whose section names its hook; others attach through {@link #progs()}.");
            body.open("public " + className + " attach()");
            body.line("skeleton.attach();");
            body.line("return this;");
            body.close();
            body.line("");
            body.javadoc("Detaches every attached program; they stay loaded.");
            body.open("public void detach()");
            body.line("skeleton.detach();");
            body.close();
            body.line("");
            body.javadoc("The lifecycle underneath: state, live collection.");
            body.open("public Skeleton skeleton()");
            body.line("return skeleton;");
            body.close();
            body.line("");
            body.open("public Maps maps()");
            body.line("return maps;");
            body.close();
            body.line("");
            body.open("public Programs progs()");
            body.line("return progs;");
            body.close();
            for (Section s : sections) {
                body.line("");
                body.open("public " + s.className() + " " + s.accessor() + "()");
                body.line("return " + s.accessor() + ";");
                body.close();
            }
            body.line("");
            body.javadoc("Detaches, then closes every program and map.");
            body.line("@Override");
            body.open("public void close()");
            body.line("skeleton.close();");
            body.close();
            body.line("");
        }

        // ---- records

        private void extraType(String name) {
            if (types == null) {
                throw new BpfFormatException(fileName + " has no BTF, so no type '" + name + "'");
            }
            for (int id : btf.idsByName(name)) {
                BtfType t = btf.type(id);
                if (t instanceof BtfType.Composite || t instanceof BtfType.Typedef) {
                    Optional<JavaType> j = types.map(id, Names.pascal(name, "Type"));
                    if (j.isPresent() && j.get() instanceof JavaType.Composite) {
                        return;
                    }
                }
            }
            TreeSet<String> known = new TreeSet<>();
            for (BtfType t : btf.types()) {
                if (t instanceof BtfType.Composite c && !c.name().isEmpty()) {
                    known.add(c.name());
                }
            }
            throw new BpfFormatException(fileName + ": no struct, union or typedef of one called '" + name + "' in its BTF"
                    + (known.isEmpty() ? " (it has none)" : " (it has: " + String.join(", ", known) + ")")
                    + "; clang emits a type's BTF only where the program's globals, maps or functions use it");
        }

        private void writeRecord(RecordModel r) {
            if (r.union()) {
                writeUnion(r);
            } else {
                writeStruct(r);
            }
            body.line("");
        }

        private void writeStruct(RecordModel r) {
            List<String> doc = new ArrayList<>();
            doc.add(Code.docCode(r.cName()) + ", " + r.size() + " bytes, as a record.");
            if (!r.fields().isEmpty()) {
                doc.add("");
            }
            for (RecordModel.Field f : r.fields()) {
                doc.add("@param " + f.javaName() + " " + Code.docCode(f.cDeclaration()) + (f.cName().isEmpty() ? " (anonymous member)" : "")
                        + " at offset " + f.offset() + (f.bitfield() ? " bit " + f.bitOffset() : ""));
            }
            body.javadoc(doc.toArray(String[]::new));
            List<String> components = new ArrayList<>();
            for (RecordModel.Field f : r.fields()) {
                components.add(f.type().name() + " " + f.javaName());
            }
            String header = "public record " + r.javaName() + "(" + String.join(", ", components) + ")";
            if (header.length() > 100) {
                body.line("public record " + r.javaName() + "(");
                for (int i = 0; i < components.size(); i++) {
                    body.line("        " + components.get(i) + (i + 1 < components.size() ? "," : ") {"));
                }
                body.indent();
            } else {
                body.open(header);
            }
            writeConstants(r);
            List<String> checks = new ArrayList<>();
            for (RecordModel.Field f : r.fields()) {
                if (f.type().isReference()) {
                    checks.add("Objects.requireNonNull(" + f.javaName() + ", " + Code.literal(f.javaName()) + ");");
                }
                if (f.type() instanceof JavaType.ArrayOf a) {
                    checks.add("CLayout.checkLength(" + f.javaName() + ".length, " + a.length() + ", "
                            + Code.literal(r.javaName() + "." + f.javaName()) + ");");
                } else if (f.type() instanceof JavaType.Raw raw) {
                    checks.add("CLayout.checkLength(" + f.javaName() + ".length, " + raw.size() + ", "
                            + Code.literal(r.javaName() + "." + f.javaName()) + ");");
                }
            }
            if (!checks.isEmpty()) {
                body.line("");
                body.open("public " + r.javaName());
                checks.forEach(body::line);
                body.close();
            }
            body.line("");
            body.javadoc("Reads one at {@code offset} of {@code segment}.");
            body.open("public static " + r.javaName() + " decode(MemorySegment segment, long offset)");
            if (r.fields().isEmpty()) {
                body.line("return new " + r.javaName() + "();");
            } else {
                body.line("return new " + r.javaName() + "(");
                for (int i = 0; i < r.fields().size(); i++) {
                    RecordModel.Field f = r.fields().get(i);
                    body.line("        " + read(f, "segment", "offset") + (i + 1 < r.fields().size() ? "," : ");"));
                }
            }
            body.close();
            body.line("");
            body.javadoc("Writes it at {@code offset} of {@code segment}, padding zeroed.");
            body.open("public void encode(MemorySegment segment, long offset)");
            body.line("segment.asSlice(offset, SIZE).fill((byte) 0);");
            for (RecordModel.Field f : r.fields()) {
                String value = f.javaName().equals("segment") || f.javaName().equals("offset") ? "this." + f.javaName() : f.javaName();
                body.line(write(f, "segment", "offset", value, r.javaName() + "." + f.javaName()) + ";");
            }
            body.close();
            if (r.hasArrays()) {
                writeValueMethods(r.javaName(), r.fields().stream().map(f -> new Component(f.javaName(), f.type())).toList());
            }
            body.close();
        }

        private void writeConstants(RecordModel r) {
            body.javadoc("Size of " + Code.docCode(r.cName()) + " in bytes.");
            body.line("public static final int SIZE = " + r.size() + ";");
            body.javadoc("Reads and writes it in maps, globals and events.");
            body.line("public static final Codec<" + r.javaName() + "> CODEC = CLayout.codec(SIZE, " + r.alignment() + ", "
                    + r.javaName() + "::decode, (s, o, v) -> v.encode(s, o));");
        }

        private void writeUnion(RecordModel r) {
            body.javadoc(Code.docCode(r.cName()) + ", " + r.size() + " bytes, held as its bytes: each member reads them its own way.\n\n"
                    + "@param bytes the union's " + r.size() + " bytes");
            body.open("public record " + r.javaName() + "(byte[] bytes)");
            writeConstants(r);
            body.line("");
            body.open("public " + r.javaName());
            body.line("CLayout.checkLength(bytes.length, SIZE, " + Code.literal(r.javaName() + ".bytes") + ");");
            body.close();
            body.line("");
            body.javadoc("Reads one at {@code offset} of {@code segment}.");
            body.open("public static " + r.javaName() + " decode(MemorySegment segment, long offset)");
            body.line("return new " + r.javaName() + "(CLayout.getBytes(segment, offset, SIZE));");
            body.close();
            body.line("");
            body.javadoc("Writes it at {@code offset} of {@code segment}.");
            body.open("public void encode(MemorySegment segment, long offset)");
            body.line("CLayout.putBytes(segment, offset, SIZE, bytes, " + Code.literal(r.javaName() + ".bytes") + ");");
            body.close();
            Names.Scope factories = new Names.Scope(Set.of());
            for (RecordModel.Field f : r.fields()) {
                body.line("");
                body.javadoc("Member " + Code.docCode(f.cDeclaration()) + (f.cName().isEmpty() ? " (anonymous)." : "."));
                body.open("public " + f.type().name() + " " + f.javaName() + "()");
                body.line("return " + read(f, "MemorySegment.ofArray(bytes)", "0") + ";");
                body.close();
                body.line("");
                body.javadoc("The union holding {@code value} as member " + Code.docCode(f.javaName()) + ", its other bytes zero.");
                body.open("public static " + r.javaName() + " " + factories.unique("of" + Names.pascal(f.javaName(), "Anon"), "_") + "("
                        + f.type().name() + " value)");
                body.line("byte[] bytes = new byte[SIZE];");
                body.line(write(f, "MemorySegment.ofArray(bytes)", "0", "value", r.javaName() + "." + f.javaName()) + ";");
                body.line("return new " + r.javaName() + "(bytes);");
                body.close();
            }
            writeValueMethods(r.javaName(), List.of(new Component("bytes", new JavaType.Raw(r.size(), 1))));
            body.close();
        }

        private record Component(String name, JavaType type) {}

        /** equals, hashCode and toString that compare arrays by content, as the record's others do. */
        private void writeValueMethods(String recordName, List<Component> components) {
            body.line("");
            body.line("@Override");
            body.open("public boolean equals(Object obj)");
            StringBuilder eq = new StringBuilder("return obj instanceof " + recordName + " other");
            for (Component c : components) {
                String a = "this." + c.name();
                String b = "other." + c.name();
                eq.append("\n        && ").append(switch (c.type()) {
                    case JavaType.Scalar s when s.primitive() == JavaType.Primitive.FLOAT -> "Float.compare(" + a + ", " + b + ") == 0";
                    case JavaType.Scalar s when s.primitive() == JavaType.Primitive.DOUBLE -> "Double.compare(" + a + ", " + b + ") == 0";
                    case JavaType.Scalar s -> a + " == " + b;
                    case JavaType.Raw r -> "Arrays.equals(" + a + ", " + b + ")";
                    case JavaType.ArrayOf arr -> (arr.primitive() ? "Arrays.equals(" : "Arrays.deepEquals(") + a + ", " + b + ")";
                    default -> a + ".equals(" + b + ")";
                });
            }
            String[] lines = (eq + ";").split("\n");
            for (String l : lines) {
                body.line(l);
            }
            body.close();
            body.line("");
            body.line("@Override");
            body.open("public int hashCode()");
            body.line("int h = 0;");
            for (Component c : components) {
                String a = "this." + c.name();
                body.line("h = 31 * h + " + switch (c.type()) {
                    case JavaType.Scalar s -> s.boxed().equals("Integer") ? "Integer.hashCode(" + a + ")" : s.boxed() + ".hashCode(" + a + ")";
                    case JavaType.Raw r -> "Arrays.hashCode(" + a + ")";
                    case JavaType.ArrayOf arr -> (arr.primitive() ? "Arrays.hashCode(" : "Arrays.deepHashCode(") + a + ")";
                    default -> a + ".hashCode()";
                } + ";");
            }
            body.line("return h;");
            body.close();
            body.line("");
            body.line("@Override");
            body.open("public String toString()");
            StringBuilder text = new StringBuilder("return \"" + recordName + "[");
            String separator = "";
            for (Component c : components) {
                String a = "this." + c.name();
                String shown = switch (c.type()) {
                    case JavaType.Raw r -> "Arrays.toString(" + a + ")";
                    case JavaType.ArrayOf arr -> (arr.primitive() ? "Arrays.toString(" : "Arrays.deepToString(") + a + ")";
                    default -> a;
                };
                text.append(separator).append(c.name()).append("=\" + ").append(shown);
                separator = "\n        + \", ";
            }
            text.append(components.isEmpty() ? "]\";" : " + \"]\";");
            for (String l : text.toString().split("\n")) {
                body.line(l);
            }
            body.close();
        }

        /** The expression that reads field {@code f} of a record at {@code base} of {@code seg}. */
        private String read(RecordModel.Field f, String seg, String base) {
            String off = plus(base, f.offset());
            if (!f.bitfield()) {
                return f.type().read(code, seg, off);
            }
            code.usesByteOrder();
            String bits = "CLayout.getBits(" + seg + ", " + off + ", " + f.bitOffset() + ", " + f.bits() + ", " + f.signed() + ", ORDER)";
            return switch (((JavaType.Scalar) f.type()).primitive()) {
                case BOOLEAN -> bits + " != 0";
                case LONG -> bits;
                default -> "(" + f.type().name() + ") " + bits;
            };
        }

        private String write(RecordModel.Field f, String seg, String base, String value, String what) {
            String off = plus(base, f.offset());
            if (!f.bitfield()) {
                return f.type().write(code, seg, off, value, what);
            }
            code.usesByteOrder();
            String v = ((JavaType.Scalar) f.type()).primitive() == JavaType.Primitive.BOOLEAN ? value + " ? 1 : 0" : value;
            return "CLayout.putBits(" + seg + ", " + off + ", " + f.bitOffset() + ", " + f.bits() + ", " + v + ", ORDER)";
        }

        private static String plus(String base, long n) {
            if (base.equals("0")) {
                return String.valueOf(n);
            }
            return n == 0 ? base : base + " + " + n;
        }

        // ---- the object itself

        private void writeObjectFile() {
            body.javadoc("The object file, in Base64.");
            body.open("private static final class ObjectFile");
            body.open("private static final String[] BASE64 =");
            String b64 = Base64.getEncoder().encodeToString(bytes);
            int perConstant = BASE64_LINE * BASE64_LINES_PER_CONSTANT;
            for (int start = 0; start < b64.length(); start += perConstant) {
                String chunk = b64.substring(start, Math.min(b64.length(), start + perConstant));
                for (int i = 0; i < chunk.length(); i += BASE64_LINE) {
                    String line = "\"" + chunk.substring(i, Math.min(chunk.length(), i + BASE64_LINE)) + "\"";
                    boolean last = i + BASE64_LINE >= chunk.length();
                    body.line((i == 0 ? "" : "        + ") + line + (last ? "," : ""));
                }
            }
            body.close(";");
            body.line("");
            body.open("private ObjectFile()").close();
            body.line("");
            body.open("static byte[] bytes()");
            body.line("return Base64.getDecoder().decode(String.join(\"\", BASE64));");
            body.close();
            body.close();
        }

        private String header() {
            SourceWriter h = new SourceWriter(0);
            h.line("// Generated by bpf4j gen skeleton from " + fileName.replace('\n', ' ') + ". Do not edit.");
            if (!options.packageName().isEmpty()) {
                h.line("package " + options.packageName() + ";");
            }
            h.line("");
            boolean order = !code.layouts().isEmpty() || code.byteOrderUsed();
            String text = body + String.join("\n", codecs.values()) + (order ? " ByteOrder" : "")
                    + (code.layouts().isEmpty() ? "" : " ValueLayout");
            Set<String> used = new TreeSet<>();
            for (Map.Entry<String, String> e : IMPORTS.entrySet()) {
                if (Pattern.compile("\\b" + e.getKey() + "\\b").matcher(text).find()) {
                    used.add(e.getValue());
                }
            }
            for (String i : used) {
                h.line("import " + i + ";");
            }
            h.line("");
            int globals = spec.variables().stream().filter(VariableSpec::global).mapToInt(v -> 1).sum();
            List<String> doc = new ArrayList<>();
            doc.add("The BPF object " + Code.docCode(fileName) + ": " + count(spec.maps().size(), "map") + ", "
                    + count(spec.programs().size(), "program") + ", " + count(globals, "global variable") + ", typed.");
            doc.add("");
            doc.add("<pre>{@code");
            doc.add("try (" + className + " skel = " + className + ".open()) {");
            doc.add("    skel.load(backend);             // the kernel's or the VM's");
            doc.add("    skel.attach();");
            doc.add("}");
            doc.add("}</pre>");
            h.javadoc(doc.toArray(String[]::new));
            h.open("public final class " + className + " implements AutoCloseable");
            h.javadoc("The object file's name, which names its global data maps.");
            h.line("public static final String OBJECT = " + Code.literal(fileName) + ";");
            if (order) {
                h.line("private static final ByteOrder ORDER = ByteOrder."
                        + (spec.byteOrder() == ByteOrder.BIG_ENDIAN ? "BIG_ENDIAN" : "LITTLE_ENDIAN") + ";");
            }
            for (JavaType.Primitive p : code.layouts()) {
                h.line("private static final ValueLayout." + p.layoutClass + " " + p.layout() + " = ValueLayout." + p.javaLayout
                        + ".withOrder(ORDER);");
            }
            for (String c : codecs.values()) {
                h.line(c);
            }
            return h.toString();
        }

        private static String count(int n, String noun) {
            return n + " " + noun + (n == 1 ? "" : "s");
        }
    }
}
