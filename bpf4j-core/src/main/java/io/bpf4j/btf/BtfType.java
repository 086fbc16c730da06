package io.bpf4j.btf;

import java.util.List;
import java.util.Objects;

/**
 * One BTF type: a closed set of records, one per {@link BtfKind}. Types refer to each
 * other by type id (0 is {@code void}); a {@link Btf} resolves the ids. Anonymous types
 * have the name {@code ""}.
 *
 * <pre>{@code
 * switch (btf.type(id)) {
 *     case BtfType.Struct s -> s.members().forEach(m -> System.out.println(m.name()));
 *     case BtfType.Typedef t -> System.out.println(t.name() + " -> " + t.type());
 *     default -> {}
 * }
 * }</pre>
 */
public sealed interface BtfType {

    /** The type's name, {@code ""} for an anonymous type. */
    String name();

    BtfKind kind();

    /** A type that refers to exactly one other type (pointer, modifier, typedef, func, var, tag). */
    sealed interface Ref extends BtfType permits Ptr, Typedef, Modifier, Func, Var, DeclTag {
        /** The referenced type id. */
        int type();
    }

    /** A qualifier that does not change layout: volatile, const, restrict, type tag. */
    sealed interface Modifier extends Ref permits Volatile, Const, Restrict, TypeTag {}

    /** A struct or a union. */
    sealed interface Composite extends BtfType permits Struct, Union {
        /** Size in bytes. */
        int size();

        List<Member> members();

        /** BTF's kind_flag: member offsets carry a bitfield size in their top 8 bits. */
        boolean kindFlag();
    }

    /** An enum of 32-bit ({@link Enum}) or 64-bit ({@link Enum64}) values. */
    sealed interface Enumeration extends BtfType permits Enum, Enum64 {
        /** Size in bytes. */
        int size();

        boolean signed();

        List<EnumValue> values();
    }

    /**
     * An integer: {@code encoding} is a set of {@link #SIGNED}, {@link #CHAR}, {@link #BOOL};
     * the value occupies {@code bits} bits starting {@code bitOffset} bits into {@code size} bytes.
     */
    record Int(String name, int size, int encoding, int bitOffset, int bits) implements BtfType {
        public static final int SIGNED = 1;
        public static final int CHAR = 2;
        public static final int BOOL = 4;

        public Int {
            Objects.requireNonNull(name);
        }

        public boolean isSigned() {
            return (encoding & SIGNED) != 0;
        }

        @Override
        public BtfKind kind() {
            return BtfKind.INT;
        }
    }

    record Ptr(int type) implements Ref {
        @Override
        public String name() {
            return "";
        }

        @Override
        public BtfKind kind() {
            return BtfKind.PTR;
        }
    }

    /** An array of {@code length} elements of {@code type}, indexed by {@code indexType}. */
    record Array(int type, int indexType, int length) implements BtfType {
        @Override
        public String name() {
            return "";
        }

        @Override
        public BtfKind kind() {
            return BtfKind.ARRAY;
        }
    }

    /** A struct or union member; {@code bitfieldSize} is 0 for a member that is not a bitfield. */
    record Member(String name, int type, int bitOffset, int bitfieldSize) {
        public Member {
            Objects.requireNonNull(name);
        }
    }

    record Struct(String name, int size, List<Member> members, boolean kindFlag) implements Composite {
        public Struct {
            Objects.requireNonNull(name);
            members = List.copyOf(members);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.STRUCT;
        }
    }

    record Union(String name, int size, List<Member> members, boolean kindFlag) implements Composite {
        public Union {
            Objects.requireNonNull(name);
            members = List.copyOf(members);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.UNION;
        }
    }

    /** An enumerator; for {@link Enum} the value is the 32-bit value, sign-extended if the enum is signed. */
    record EnumValue(String name, long value) {
        public EnumValue {
            Objects.requireNonNull(name);
        }
    }

    record Enum(String name, int size, boolean signed, List<EnumValue> values) implements Enumeration {
        public Enum {
            Objects.requireNonNull(name);
            values = List.copyOf(values);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.ENUM;
        }
    }

    record Enum64(String name, int size, boolean signed, List<EnumValue> values) implements Enumeration {
        public Enum64 {
            Objects.requireNonNull(name);
            values = List.copyOf(values);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.ENUM64;
        }
    }

    /** A forward declaration of a struct (or, if {@code union}, a union). */
    record Fwd(String name, boolean union) implements BtfType {
        public Fwd {
            Objects.requireNonNull(name);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.FWD;
        }
    }

    record Typedef(String name, int type) implements Ref {
        public Typedef {
            Objects.requireNonNull(name);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.TYPEDEF;
        }
    }

    record Volatile(int type) implements Modifier {
        @Override
        public String name() {
            return "";
        }

        @Override
        public BtfKind kind() {
            return BtfKind.VOLATILE;
        }
    }

    record Const(int type) implements Modifier {
        @Override
        public String name() {
            return "";
        }

        @Override
        public BtfKind kind() {
            return BtfKind.CONST;
        }
    }

    record Restrict(int type) implements Modifier {
        @Override
        public String name() {
            return "";
        }

        @Override
        public BtfKind kind() {
            return BtfKind.RESTRICT;
        }
    }

    /**
     * {@code btf_type_tag("name")} on {@code type}; {@code attribute} (kind_flag, kernel 6.14+)
     * means the tag is a plain {@code __attribute__((name))} instead.
     */
    record TypeTag(String name, int type, boolean attribute) implements Modifier {
        public TypeTag {
            Objects.requireNonNull(name);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.TYPE_TAG;
        }
    }

    /** Linkage of a {@link Func} or a {@link Var} (BTF_FUNC_* and BTF_VAR_* share the values). */
    enum Linkage {
        STATIC("static"),
        GLOBAL("global"),
        EXTERN("extern");

        private final String bpftoolName;

        Linkage(String bpftoolName) {
            this.bpftoolName = bpftoolName;
        }

        /** The name bpftool prints. */
        public String bpftoolName() {
            return bpftoolName;
        }
    }

    /** A function; {@code type} is its {@link FuncProto}. */
    record Func(String name, int type, Linkage linkage) implements Ref {
        public Func {
            Objects.requireNonNull(name);
            Objects.requireNonNull(linkage);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.FUNC;
        }
    }

    /** A parameter of a {@link FuncProto}; a last parameter of type 0 means {@code ...}. */
    record Param(String name, int type) {
        public Param {
            Objects.requireNonNull(name);
        }
    }

    record FuncProto(int returnType, List<Param> params) implements BtfType {
        public FuncProto {
            params = List.copyOf(params);
        }

        @Override
        public String name() {
            return "";
        }

        @Override
        public BtfKind kind() {
            return BtfKind.FUNC_PROTO;
        }
    }

    /** A global or static variable. */
    record Var(String name, int type, Linkage linkage) implements Ref {
        public Var {
            Objects.requireNonNull(name);
            Objects.requireNonNull(linkage);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.VAR;
        }
    }

    /** A variable's place in a {@link Datasec}: {@code type} is a {@link Var} (or a {@link Func}). */
    record VarSecinfo(int type, int offset, int size) {}

    /** A data section ({@code .data}, {@code .bss}, {@code .maps}, ...) and the variables in it. */
    record Datasec(String name, int size, List<VarSecinfo> vars) implements BtfType {
        public Datasec {
            Objects.requireNonNull(name);
            vars = List.copyOf(vars);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.DATASEC;
        }
    }

    record Float(String name, int size) implements BtfType {
        public Float {
            Objects.requireNonNull(name);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.FLOAT;
        }
    }

    /**
     * {@code btf_decl_tag("name")} on {@code type}, or on its member or parameter number
     * {@code componentIdx} (-1 for the type itself); {@code attribute} as in {@link TypeTag}.
     */
    record DeclTag(String name, int type, int componentIdx, boolean attribute) implements Ref {
        public DeclTag {
            Objects.requireNonNull(name);
        }

        @Override
        public BtfKind kind() {
            return BtfKind.DECL_TAG;
        }
    }
}
