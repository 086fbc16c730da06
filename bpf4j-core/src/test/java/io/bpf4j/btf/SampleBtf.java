package io.bpf4j.btf;

import io.bpf4j.btf.BtfType.EnumValue;
import io.bpf4j.btf.BtfType.Linkage;
import io.bpf4j.btf.BtfType.Member;
import io.bpf4j.btf.BtfType.Param;
import io.bpf4j.btf.BtfType.VarSecinfo;
import java.util.List;

/** Hand-built BTF covering every kind and the tricky C layouts (bitfields, packing, anonymous members, function pointers). */
final class SampleBtf {
    private SampleBtf() {}

    static Btf everyKind() {
        BtfBuilder b = new BtfBuilder();
        int i32 = b.add(new BtfType.Int("int", 4, BtfType.Int.SIGNED, 0, 32));
        int u8 = b.add(new BtfType.Int("unsigned char", 1, 0, 0, 8));
        int chr = b.add(new BtfType.Int("char", 1, BtfType.Int.SIGNED | 0, 0, 8));
        int boolT = b.add(new BtfType.Int("_Bool", 1, BtfType.Int.BOOL, 0, 8));
        int u64 = b.add(new BtfType.Int("long long unsigned int", 8, 0, 0, 64));
        int lng = b.add(new BtfType.Int("long int", 8, BtfType.Int.SIGNED, 0, 64));
        int dbl = b.add(new BtfType.Float("double", 8));
        int cint = b.add(new BtfType.Const(i32));
        int vint = b.add(new BtfType.Volatile(cint));
        int pchar = b.add(new BtfType.Ptr(chr));
        int rpchar = b.add(new BtfType.Restrict(pchar));
        int cpchar = b.add(new BtfType.Const(pchar));
        int u64t = b.add(new BtfType.Typedef("__u64", u64));
        int color = b.add(new BtfType.Enum("color", 4, false, List.of(new EnumValue("RED", 0), new EnumValue("GREEN", 1), new EnumValue("BLUE", 0xffffffffL))));
        int sign = b.add(new BtfType.Enum("sign", 4, true, List.of(new EnumValue("NEG", -5), new EnumValue("POS", 5))));
        int big = b.add(new BtfType.Enum64("big", 8, false, List.of(new EnumValue("HUGE", 0xfedcba9876543210L), new EnumValue("SMALL", 1))));
        int sbig = b.add(new BtfType.Enum64("sbig", 8, true, List.of(new EnumValue("MINUS", -1L << 40), new EnumValue("PLUS", 1L << 40))));
        b.add(new BtfType.Enum("", 4, false, List.of(new EnumValue("TOP_LEVEL_CONST", 42))));
        int fwdS = b.add(new BtfType.Fwd("opaque", false));
        int fwdU = b.add(new BtfType.Fwd("opaque_u", true));
        int pfwdS = b.add(new BtfType.Ptr(fwdS));
        int pfwdU = b.add(new BtfType.Ptr(fwdU));
        int arr = b.add(new BtfType.Array(i32, i32, 4));
        int arr2 = b.add(new BtfType.Array(arr, i32, 3));
        int proto = b.add(new BtfType.FuncProto(i32, List.of(new Param("a", i32), new Param("s", cpchar), new Param("", 0))));
        int pproto = b.add(new BtfType.Ptr(proto));
        int voidProto = b.add(new BtfType.FuncProto(0, List.of()));
        int pvoidProto = b.add(new BtfType.Ptr(voidProto));
        int fnArr = b.add(new BtfType.Array(pproto, i32, 2));
        int tagged = b.add(new BtfType.TypeTag("user", i32, false));
        int ptagged = b.add(new BtfType.Ptr(tagged));
        // struct node { int v; struct node *next; union { int i; char c; }; unsigned a:3, b:5; ... }
        int node = b.nextId();
        int pnode = b.add(new BtfType.Ptr(node + 2));
        int anonUnion = b.add(new BtfType.Union("", 4, List.of(new Member("i", i32, 0, 0), new Member("c", chr, 0, 0)), false));
        int nodeId = b.add(new BtfType.Struct("node", 96, List.of(
                new Member("v", vint, 0, 0),
                new Member("", anonUnion, 32, 0),
                new Member("next", pnode, 64, 0),
                new Member("a", u8, 128, 3),
                new Member("b", u8, 131, 5),
                new Member("flag", boolT, 160, 0),
                new Member("grid", arr2, 192, 0),
                new Member("fns", fnArr, 576, 0),
                new Member("cb", pvoidProto, 704, 0)), true));
        int packed = b.add(new BtfType.Struct("packed_pair", 9, List.of(new Member("c", chr, 0, 0), new Member("x", u64t, 8, 0)), false));
        int empty = b.add(new BtfType.Struct("empty", 0, List.of(), false));
        int holder = b.add(new BtfType.Struct("holder", 104, List.of(
                new Member("n", nodeId, 0, 0),
                new Member("c", color, 768, 0)), false));
        int mixed = b.add(new BtfType.Struct("mixed", 56, List.of(
                new Member("s", sign, 0, 0),
                new Member("b", big, 64, 0),
                new Member("sb", sbig, 128, 0),
                new Member("d", dbl, 192, 0),
                new Member("o", pfwdS, 256, 0),
                new Member("ou", pfwdU, 320, 0),
                new Member("t", ptagged, 384, 0)), false));
        int un = b.add(new BtfType.Union("either", 8, List.of(new Member("l", lng, 0, 0), new Member("p", rpchar, 0, 0), new Member("e", empty, 0, 0)), false));
        int fproto = b.add(new BtfType.FuncProto(i32, List.of(new Param("h", b.add(new BtfType.Ptr(holder))), new Param("m", b.add(new BtfType.Ptr(mixed))))));
        int func = b.add(new BtfType.Func("handler", fproto, Linkage.GLOBAL));
        b.add(new BtfType.Func("helper", fproto, Linkage.STATIC));
        b.add(new BtfType.DeclTag("kfunc", func, -1, false));
        b.add(new BtfType.DeclTag("arg_tag", func, 1, false));
        b.add(new BtfType.DeclTag("member_tag", nodeId, 2, false));
        int var = b.add(new BtfType.Var("counter", u64t, Linkage.GLOBAL));
        int svar = b.add(new BtfType.Var("pp", packed, Linkage.STATIC));
        int uvar = b.add(new BtfType.Var("either_v", un, Linkage.EXTERN));
        b.add(new BtfType.Datasec(".data", 32, List.of(new VarSecinfo(var, 0, 8), new VarSecinfo(svar, 8, 9), new VarSecinfo(uvar, 24, 8))));
        return b.build();
    }

    /** Split BTF on a vmlinux base, using some of its types. */
    static Btf split(Btf base) {
        BtfBuilder b = BtfBuilder.split(base);
        int i32 = base.findId("int", BtfKind.INT).orElseThrow();
        int task = base.findId("task_struct", BtfKind.STRUCT).orElseThrow();
        int listHead = base.findId("list_head", BtfKind.STRUCT).orElseThrow();
        int ptask = b.add(new BtfType.Ptr(task));
        int mod = b.add(new BtfType.Struct("bpf4j_module_state", 32, List.of(
                new Member("owner", ptask, 0, 0),
                new Member("list", listHead, 64, 0),
                new Member("refs", i32, 192, 0)), false));
        int tdef = b.add(new BtfType.Typedef("bpf4j_state_t", mod));
        int proto = b.add(new BtfType.FuncProto(i32, List.of(new Param("s", b.add(new BtfType.Ptr(tdef))))));
        b.add(new BtfType.Func("bpf4j_module_init", proto, Linkage.GLOBAL));
        b.add(new BtfType.Enum("bpf4j_mode", 4, false, List.of(new EnumValue("BPF4J_OFF", 0), new EnumValue("BPF4J_ON", 1))));
        return b.build();
    }
}
