package io.bpf4j.gen;

/**
 * The Java type a C type is read as, and the code that reads and writes it at an offset of a
 * memory segment in the object's layout and byte order.
 */
sealed interface JavaType {
    /** The type as declared in Java ({@code int}, {@code String}, {@code FlowKey}, {@code int[][]}). */
    String name();

    /** The type as a type argument ({@code Integer} for {@code int}). */
    default String boxed() {
        return name();
    }

    /** Bytes of the C value. */
    int size();

    /** Alignment of the C value. */
    int alignment();

    /** An expression reading the value at {@code off} of segment {@code seg}. */
    String read(Code code, String seg, String off);

    /** A statement (without its semicolon) writing {@code value} at {@code off} of {@code seg}; {@code what} names it in errors. */
    String write(Code code, String seg, String off, String value, String what);

    /** Whether the Java value is an array, whose record component needs array-aware equality. */
    default boolean isArray() {
        return false;
    }

    /** Whether the Java value is a reference that must not be null. */
    default boolean isReference() {
        return true;
    }

    /** A Java primitive with its C integer or float of the same size. */
    enum Primitive {
        BYTE("byte", "Byte", 1, "OfByte", "JAVA_BYTE"),
        SHORT("short", "Short", 2, "OfShort", "JAVA_SHORT_UNALIGNED"),
        INT("int", "Integer", 4, "OfInt", "JAVA_INT_UNALIGNED"),
        LONG("long", "Long", 8, "OfLong", "JAVA_LONG_UNALIGNED"),
        FLOAT("float", "Float", 4, "OfFloat", "JAVA_FLOAT_UNALIGNED"),
        DOUBLE("double", "Double", 8, "OfDouble", "JAVA_DOUBLE_UNALIGNED"),
        BOOLEAN("boolean", "Boolean", 1, "OfByte", "JAVA_BYTE");

        final String java;
        final String boxed;
        final int size;
        final String layoutClass;
        final String javaLayout;

        Primitive(String java, String boxed, int size, String layoutClass, String javaLayout) {
            this.java = java;
            this.boxed = boxed;
            this.size = size;
            this.layoutClass = layoutClass;
            this.javaLayout = javaLayout;
        }

        /** The name of the skeleton's layout constant for this primitive. */
        String layout() {
            return this == BOOLEAN ? "BYTE" : name();
        }

        /** The integer primitive of {@code size} bytes. */
        static Primitive ofSize(int size) {
            return switch (size) {
                case 1 -> BYTE;
                case 2 -> SHORT;
                case 4 -> INT;
                case 8 -> LONG;
                default -> throw new IllegalArgumentException("no integer of " + size + " bytes");
            };
        }
    }

    /** An integer, float or bool. */
    record Scalar(Primitive primitive) implements JavaType {
        @Override
        public String name() {
            return primitive.java;
        }

        @Override
        public String boxed() {
            return primitive.boxed;
        }

        @Override
        public int size() {
            return primitive.size;
        }

        @Override
        public int alignment() {
            return primitive.size;
        }

        @Override
        public boolean isReference() {
            return false;
        }

        @Override
        public String read(Code code, String seg, String off) {
            String get = seg + ".get(" + code.layout(primitive) + ", " + off + ")";
            return primitive == Primitive.BOOLEAN ? get + " != 0" : get;
        }

        @Override
        public String write(Code code, String seg, String off, String value, String what) {
            String v = primitive == Primitive.BOOLEAN ? "(byte) (" + value + " ? 1 : 0)" : value;
            return seg + ".set(" + code.layout(primitive) + ", " + off + ", " + v + ")";
        }
    }

    /** {@code char name[size]} as a string. */
    record Text(int size) implements JavaType {
        @Override
        public String name() {
            return "String";
        }

        @Override
        public int alignment() {
            return 1;
        }

        @Override
        public String read(Code code, String seg, String off) {
            return "CLayout.getString(" + seg + ", " + off + ", " + size + ")";
        }

        @Override
        public String write(Code code, String seg, String off, String value, String what) {
            return "CLayout.putString(" + seg + ", " + off + ", " + size + ", " + value + ", " + Code.literal(what) + ")";
        }
    }

    /** Bytes without a finer Java type: {@code __u8 mac[6]}, {@code __int128}, {@code long double}. */
    record Raw(int size, int alignment) implements JavaType {
        @Override
        public String name() {
            return "byte[]";
        }

        @Override
        public boolean isArray() {
            return true;
        }

        @Override
        public String read(Code code, String seg, String off) {
            return "CLayout.getBytes(" + seg + ", " + off + ", " + size + ")";
        }

        @Override
        public String write(Code code, String seg, String off, String value, String what) {
            return "CLayout.putBytes(" + seg + ", " + off + ", " + size + ", " + value + ", " + Code.literal(what) + ")";
        }
    }

    /** A struct or union, as the generated record {@code model}. */
    record Composite(RecordModel model) implements JavaType {
        @Override
        public String name() {
            return model.javaName();
        }

        @Override
        public int size() {
            return model.size();
        }

        @Override
        public int alignment() {
            return model.alignment();
        }

        @Override
        public String read(Code code, String seg, String off) {
            return model.javaName() + ".decode(" + seg + ", " + off + ")";
        }

        @Override
        public String write(Code code, String seg, String off, String value, String what) {
            return value + ".encode(" + seg + ", " + off + ")";
        }
    }

    /** A C array of {@code length} elements other than bytes and chars: a Java array. */
    record ArrayOf(JavaType element, int length) implements JavaType {
        @Override
        public String name() {
            return element.name() + "[]";
        }

        @Override
        public int size() {
            return element.size() * length;
        }

        @Override
        public int alignment() {
            return element.alignment();
        }

        @Override
        public boolean isArray() {
            return true;
        }

        /** Whether Java holds it as an array of primitives (compared with {@code Arrays.equals}, not {@code deepEquals}). */
        boolean primitive() {
            return element instanceof Scalar;
        }

        @Override
        public String read(Code code, String seg, String off) {
            if (element instanceof Scalar s) {
                return seg + ".asSlice(" + off + ", " + size() + ").toArray(" + code.layout(s.primitive()) + ")";
            }
            String reader;
            if (element instanceof Composite c) {
                reader = c.model().javaName() + "::decode";
            } else {
                int depth = code.enterLambda();
                String s = Code.variable("s", depth);
                String o = Code.variable("o", depth);
                reader = "(" + s + ", " + o + ") -> " + element.read(code, s, o);
                code.leaveLambda();
            }
            return "CLayout.getArray(" + seg + ", " + off + ", " + length + ", " + element.size() + ", " + newArray() + ", " + reader
                    + ")";
        }

        private String newArray() {
            return name() + "::new";
        }

        @Override
        public String write(Code code, String seg, String off, String value, String what) {
            if (element instanceof Scalar s) {
                return "CLayout.putPrimitives(" + seg + ", " + off + ", " + code.layout(s.primitive()) + ", " + value + ", " + length
                        + ", " + Code.literal(what) + ")";
            }
            int depth = code.enterLambda();
            String s = Code.variable("s", depth);
            String o = Code.variable("o", depth);
            String v = Code.variable("v", depth);
            String body = element.write(code, s, o, v, what + "[]");
            code.leaveLambda();
            return "CLayout.putArray(" + seg + ", " + off + ", " + length + ", " + element.size() + ", " + value + ", (" + s + ", "
                    + o + ", " + v + ") -> " + body + ", " + Code.literal(what) + ")";
        }
    }
}
