package io.bpf4j.vm;

import static java.lang.constant.ConstantDescs.CD_Class;
import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_String;
import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_byte;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_short;
import static java.lang.constant.ConstantDescs.CD_void;

import io.bpf4j.isa.Helpers;
import java.lang.classfile.ClassBuilder;
import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes the JVM class of a program as {@link JitPlan} lays it out: per BPF function a
 * static method {@code f<pc>(Execution, depth, tailCalled, r0..r9)} returning r0, with the
 * registers in JVM locals, jumps as JVM branches, loads and stores through
 * {@link JitRuntime}'s region checks (or straight into the frame's stack array for
 * {@code r10}-relative constant offsets), helpers as direct static calls, and one
 * exception handler that locates a fault at the instruction in the {@code pc} local. A
 * split function's method is a loop over its segments' methods, which keep the registers
 * in {@link Execution#jitFrames} between them. Each taken jump backwards charges the loop
 * it closes to the instruction budget.
 */
final class JitEmitter {
    /** Slots of a frame of a split function in {@link Execution#jitFrames}: r0..r9, then the may_goto count. */
    static final int FRAME_SLOTS = 12;
    private static final int MAY_GOTO_SLOT = 10;
    private static final long MASK32 = 0xffff_ffffL;
    private static final long REGION_MASK = 0xffff_ffff_0000_0000L;
    /** Helpers that call back into BPF code: they see the caller's registers in {@code ex.regs}. */
    private static final Set<Integer> CALLBACK_HELPERS = Set.of(164, 181);
    /** Segments of a split function dispatched by one method. */
    private static final int GROUP_BITS = 8;
    private static final int GROUP = 1 << GROUP_BITS;
    /** Distinct constants beyond which the rest are built by arithmetic instead of from the constant pool. */
    private static final int CONSTANT_POOL_CONSTANTS = 30_000;

    static final ClassDesc CD_EXECUTION = desc(Execution.class);
    private static final ClassDesc CD_MEMORY = desc(Memory.class);
    private static final ClassDesc CD_REGION = desc(Region.class);
    private static final ClassDesc CD_CODE = desc(Code.class);
    private static final ClassDesc CD_COMPILED = desc(CompiledCode.class);
    private static final ClassDesc CD_RUNTIME = desc(JitRuntime.class);
    private static final ClassDesc CD_ABORT = desc(JitRuntime.Abort.class);
    private static final ClassDesc CD_HELPERS = desc(VmHelpers.class);
    private static final ClassDesc CD_INTERPRETER = desc(Interpreter.class);
    private static final ClassDesc CD_EXCEPTION = desc(VmException.class);
    private static final ClassDesc CD_LOOKUP = desc(MethodHandles.Lookup.class);
    private static final ClassDesc CD_HANDLES = desc(MethodHandles.class);
    private static final ClassDesc CD_LONG_ARRAY = CD_long.arrayType();
    private static final ClassDesc CD_BYTE_ARRAY = CD_byte.arrayType();

    private static final ClassDesc[] REGISTER_ARGS = new ClassDesc[10];

    static {
        java.util.Arrays.fill(REGISTER_ARGS, CD_long);
    }

    private static final MethodTypeDesc MTD_FUNCTION = MethodTypeDesc.of(CD_long, concat(
            new ClassDesc[] {CD_EXECUTION, CD_int, CD_boolean}, REGISTER_ARGS));
    private static final MethodTypeDesc MTD_SEGMENT = MethodTypeDesc.of(CD_int, CD_EXECUTION, CD_int, CD_boolean, CD_int);
    private static final MethodTypeDesc MTD_CALLX = MethodTypeDesc.of(CD_long, concat(
            new ClassDesc[] {CD_EXECUTION, CD_int, CD_boolean, CD_int, CD_long}, REGISTER_ARGS));
    private static final MethodTypeDesc MTD_RUNTIME_CALLX = MethodTypeDesc.of(CD_long, concat(
            new ClassDesc[] {CD_CODE, CD_EXECUTION, CD_int, CD_int, CD_long}, REGISTER_ARGS));
    private static final MethodTypeDesc MTD_TAIL_CALL = MethodTypeDesc.of(CD_long, concat(
            new ClassDesc[] {CD_CODE, CD_EXECUTION, CD_int}, REGISTER_ARGS));
    private static final MethodTypeDesc MTD_MAIN = MTD_FUNCTION;
    private static final MethodTypeDesc MTD_FUNCTION_AT = MethodTypeDesc.of(CD_long, concat(
            new ClassDesc[] {CD_int, CD_EXECUTION, CD_int}, REGISTER_ARGS));
    private static final MethodTypeDesc MTD_HELPER = MethodTypeDesc.of(CD_long,
            CD_EXECUTION, CD_long, CD_long, CD_long, CD_long, CD_long);
    private static final MethodTypeDesc MTD_HELPER_BY_ID = MethodTypeDesc.of(CD_long,
            CD_int, CD_EXECUTION, CD_long, CD_long, CD_long, CD_long, CD_long);
    private static final MethodTypeDesc MTD_HINT_LOAD = MethodTypeDesc.of(CD_long, CD_REGION, CD_long, CD_long, CD_MEMORY);
    private static final MethodTypeDesc MTD_HINT_STORE = MethodTypeDesc.of(CD_void, CD_REGION, CD_long, CD_long, CD_long,
            CD_MEMORY);
    private static final MethodTypeDesc MTD_LOAD = MethodTypeDesc.of(CD_long, CD_long);
    private static final MethodTypeDesc MTD_WHOLE = MethodTypeDesc.of(CD_REGION, CD_REGION);
    private static final MethodTypeDesc MTD_STORE = MethodTypeDesc.of(CD_void, CD_long, CD_long);
    private static final MethodTypeDesc MTD_LL_L = MethodTypeDesc.of(CD_long, CD_long, CD_long);
    private static final MethodTypeDesc MTD_II_J = MethodTypeDesc.of(CD_long, CD_int, CD_int);
    private static final MethodTypeDesc MTD_II_I = MethodTypeDesc.of(CD_int, CD_int, CD_int);
    private static final MethodTypeDesc MTD_LL_I = MethodTypeDesc.of(CD_int, CD_long, CD_long);

    private final Code code;
    private final JitPlan plan;
    private final Region[] regions;
    private final ClassDesc self;
    private final Set<Long> constants = new HashSet<>();
    private boolean usesCallx;

    private JitEmitter(Code code, JitPlan plan, Region[] regions, ClassDesc self) {
        this.code = code;
        this.plan = plan;
        this.regions = regions;
        this.self = self;
    }

    /** The class file of {@code code}, named {@code self}, whose class data is the {@link Code}. */
    static byte[] emit(Code code, JitPlan plan, Region[] regions, ClassDesc self) {
        return new JitEmitter(code, plan, regions, self).build();
    }

    private static ClassDesc desc(Class<?> c) {
        return c.describeConstable().orElseThrow();
    }

    private static ClassDesc[] concat(ClassDesc[] a, ClassDesc[] b) {
        ClassDesc[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private byte[] build() {
        for (long insn : code.insns) {
            usesCallx |= Op.op(insn) == Op.CALLX;
        }
        return ClassFile.of().build(self, cb -> {
            cb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SUPER | ClassFile.ACC_SYNTHETIC);
            cb.withSuperclass(CD_COMPILED);
            cb.withField("CODE", CD_CODE, ClassFile.ACC_STATIC | ClassFile.ACC_FINAL | ClassFile.ACC_PRIVATE);
            cb.withMethodBody("<clinit>", MethodTypeDesc.of(CD_void), ClassFile.ACC_STATIC, b -> b
                    .invokestatic(CD_HANDLES, "lookup", MethodTypeDesc.of(CD_LOOKUP))
                    .ldc("_")
                    .ldc(CD_CODE)
                    .invokestatic(CD_HANDLES, "classData", MethodTypeDesc.of(CD_Object, CD_LOOKUP, CD_String, CD_Class))
                    .checkcast(CD_CODE)
                    .putstatic(self, "CODE", CD_CODE)
                    .return_());
            cb.withMethodBody("<init>", MethodTypeDesc.of(CD_void, CD_CODE), 0, b -> b
                    .aload(0)
                    .aload(1)
                    .invokespecial(CD_COMPILED, "<init>", MethodTypeDesc.of(CD_void, CD_CODE))
                    .return_());
            entryPoints(cb);
            for (JitPlan.Function f : plan.functions) {
                JitHints hints = JitHints.of(code, f, regions);
                if (f.split()) {
                    dispatcher(cb, f);
                    for (JitPlan.Segment s : f.segments()) {
                        cb.withMethodBody("s" + f.start() + "_" + s.index(), MTD_SEGMENT,
                                ClassFile.ACC_STATIC | ClassFile.ACC_PRIVATE,
                                b -> new Body(b, f, s, hints).emit());
                    }
                } else {
                    cb.withMethodBody(functionName(f.start()), MTD_FUNCTION, ClassFile.ACC_STATIC | ClassFile.ACC_PRIVATE,
                            b -> new Body(b, f, null, hints).emit());
                }
            }
            if (usesCallx) {
                callx(cb);
            }
        });
    }

    private static String functionName(int pc) {
        return "f" + pc;
    }

    /** main, isFunction and function: the overrides of {@link CompiledCode}. */
    private void entryPoints(ClassBuilder cb) {
        cb.withMethodBody("main", MTD_MAIN, ClassFile.ACC_FINAL, b -> {
            b.aload(1).iload(2).iload(3);
            loadArguments(b, 4);
            b.invokestatic(self, functionName(0), MTD_FUNCTION);
            b.lreturn();
        });
        cb.withMethodBody("isFunction", MethodTypeDesc.of(CD_boolean, CD_int), ClassFile.ACC_FINAL, b -> {
            Label yes = b.newLabel();
            Label no = b.newLabel();
            List<SwitchCase> cases = new ArrayList<>();
            for (JitPlan.Function f : plan.functions) {
                cases.add(SwitchCase.of(f.start(), yes));
            }
            b.iload(1);
            b.lookupswitch(no, cases);
            b.labelBinding(yes);
            b.iconst_1();
            b.ireturn();
            b.labelBinding(no);
            b.iconst_0();
            b.ireturn();
        });
        cb.withMethodBody("function", MTD_FUNCTION_AT, ClassFile.ACC_FINAL, b -> {
            Label none = b.newLabel();
            b.iload(1);
            Map<Label, Integer> targets = switchOnFunctions(b, none);
            for (Map.Entry<Label, Integer> t : targets.entrySet()) {
                b.labelBinding(t.getKey());
                b.aload(2);
                b.iload(3);
                b.iconst_0();
                loadArguments(b, 4);
                b.invokestatic(self, functionName(t.getValue()), MTD_FUNCTION);
                b.lreturn();
            }
            b.labelBinding(none);
            b.new_(desc(IllegalStateException.class));
            b.dup();
            b.invokespecial(desc(IllegalStateException.class), "<init>", MethodTypeDesc.of(CD_void));
            b.athrow();
        });
    }

    /**
     * A lookupswitch on the int on the stack over the first instructions of the functions;
     * returns each case's label, to be bound, with its function's first instruction.
     */
    private Map<Label, Integer> switchOnFunctions(CodeBuilder b, Label otherwise) {
        List<SwitchCase> cases = new ArrayList<>();
        Map<Label, Integer> targets = new LinkedHashMap<>();
        for (JitPlan.Function f : plan.functions) {
            Label l = b.newLabel();
            cases.add(SwitchCase.of(f.start(), l));
            targets.put(l, f.start());
        }
        b.lookupswitch(otherwise, cases);
        return targets;
    }

    /** Pushes ten long arguments starting at {@code slot}. */
    private static void loadArguments(CodeBuilder b, int slot) {
        for (int i = 0; i < 10; i++) {
            b.lload(slot + 2 * i);
        }
    }

    /**
     * The method of a split function: saves the registers in its frame's slots and runs
     * segment after segment, each returning the entry to go on at ({@link JitPlan#entryIndex}),
     * or -1 at exit with r0 in {@code ex.regs[0]}. Past {@link #GROUP} segments, the switch
     * goes through a method per group of them, so that no method outgrows the JVM's limit.
     */
    private void dispatcher(ClassBuilder cb, JitPlan.Function f) {
        int groups = (f.segments().size() + GROUP - 1) / GROUP;
        cb.withMethodBody(functionName(f.start()), MTD_FUNCTION, ClassFile.ACC_STATIC | ClassFile.ACC_PRIVATE, b -> {
            int frames = 23;
            int base = 24;
            int entry = 25;
            b.aload(0).getfield(CD_EXECUTION, "jitFrames", CD_LONG_ARRAY).astore(frames);
            b.iload(1).loadConstant(FRAME_SLOTS).imul().istore(base);
            for (int i = 0; i < 10; i++) {
                b.aload(frames).iload(base).loadConstant(i).iadd().lload(3 + 2 * i).lastore();
            }
            b.aload(frames).iload(base).loadConstant(MAY_GOTO_SLOT).iadd().loadConstant(Interpreter.MAY_GOTO_BUDGET)
                    .lastore();
            b.iconst_0().istore(entry);
            Label loop = b.newBoundLabel();
            Label done = b.newLabel();
            b.iload(entry).iflt(done);
            if (groups == 1) {
                segmentSwitch(b, f, 0, entry);
                b.istore(entry);
                b.goto_(loop);
            } else {
                List<SwitchCase> cases = new ArrayList<>();
                List<Label> calls = new ArrayList<>();
                for (int g = 0; g < groups; g++) {
                    calls.add(b.newLabel());
                    cases.add(SwitchCase.of(g, calls.get(g)));
                }
                b.iload(entry).loadConstant(16 + GROUP_BITS).iushr();
                b.tableswitch(0, groups - 1, done, cases);
                for (int g = 0; g < groups; g++) {
                    b.labelBinding(calls.get(g));
                    b.aload(0).iload(1).iload(2).iload(entry);
                    b.invokestatic(self, "d" + f.start() + "_" + g, MTD_SEGMENT);
                    b.istore(entry);
                    b.goto_(loop);
                }
            }
            b.labelBinding(done);
            b.aload(0).getfield(CD_EXECUTION, "regs", CD_LONG_ARRAY).iconst_0().laload();
            b.lreturn();
        });
        for (int g = 0; g < groups && groups > 1; g++) {
            int group = g;
            cb.withMethodBody("d" + f.start() + "_" + g, MTD_SEGMENT, ClassFile.ACC_STATIC | ClassFile.ACC_PRIVATE, b -> {
                segmentSwitch(b, f, group, 3);
                b.ireturn();
            });
        }
    }

    /**
     * Calls the segment of group {@code group} that entry (in local {@code entry}) names,
     * leaving the entry it returns on the stack.
     */
    private void segmentSwitch(CodeBuilder b, JitPlan.Function f, int group, int entry) {
        List<JitPlan.Segment> segments = f.segments().subList(group * GROUP,
                Math.min(f.segments().size(), (group + 1) * GROUP));
        List<SwitchCase> cases = new ArrayList<>();
        List<Label> calls = new ArrayList<>();
        for (int i = 0; i < segments.size(); i++) {
            calls.add(b.newLabel());
            cases.add(SwitchCase.of(i, calls.get(i)));
        }
        Label bad = b.newLabel();
        Label next = b.newLabel();
        b.iload(entry).loadConstant(16).iushr().loadConstant(GROUP - 1).iand();
        b.tableswitch(0, segments.size() - 1, bad, cases);
        for (int i = 0; i < segments.size(); i++) {
            b.labelBinding(calls.get(i));
            b.aload(0).iload(1).iload(2).iload(entry).loadConstant(0xffff).iand();
            b.invokestatic(self, "s" + f.start() + "_" + segments.get(i).index(), MTD_SEGMENT);
            b.goto_(next);
        }
        b.labelBinding(bad);
        b.new_(desc(IllegalStateException.class)).dup()
                .invokespecial(desc(IllegalStateException.class), "<init>", MethodTypeDesc.of(CD_void)).athrow();
        b.labelBinding(next);
    }

    /** callx(ex, depth, tail, dst, target, r0..r9): a known function directly, anything else through the runtime. */
    private void callx(ClassBuilder cb) {
        cb.withMethodBody("callx", MTD_CALLX, ClassFile.ACC_STATIC | ClassFile.ACC_PRIVATE, b -> {
            Label other = b.newLabel();
            int target = 4;
            int regs = 6;
            b.lload(target).loadConstant(32).lushr().l2i().loadConstant(Memory.FUNCTIONS).if_icmpne(other);
            b.lload(target).l2i();
            Map<Label, Integer> functions = switchOnFunctions(b, other);
            for (Map.Entry<Label, Integer> e : functions.entrySet()) {
                b.labelBinding(e.getKey());
                b.iload(1).invokestatic(CD_RUNTIME, "checkCall", MethodTypeDesc.of(CD_void, CD_int));
                b.aload(0).iload(1).iconst_1().iadd().iload(2);
                loadArguments(b, regs);
                b.invokestatic(self, functionName(e.getValue()), MTD_FUNCTION);
                b.lreturn();
            }
            b.labelBinding(other);
            b.getstatic(self, "CODE", CD_CODE).aload(0).iload(1).iload(3).lload(target);
            loadArguments(b, regs);
            b.invokestatic(CD_RUNTIME, "callx", MTD_RUNTIME_CALLX);
            b.lreturn();
        });
    }

    /** The direct static method of a helper, {@code VmHelpers.<camelCaseName>(Execution, long x5)}, or null. */
    private static String helperMethod(int id) {
        String name = Helpers.name(id).orElse(null);
        if (name == null || !VmHelpers.exists(id)) {
            return null;
        }
        StringBuilder camel = new StringBuilder();
        boolean upper = false;
        for (char c : name.substring("bpf_".length()).toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                camel.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        try {
            Method m = VmHelpers.class.getDeclaredMethod(camel.toString(), Execution.class, long.class, long.class,
                    long.class, long.class, long.class);
            return Modifier.isStatic(m.getModifiers()) && m.getReturnType() == long.class ? m.getName() : null;
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    /** The body of one JVM method: a whole function, or one segment of a split function. */
    private final class Body {
        private final CodeBuilder b;
        private final JitPlan.Function f;
        private final JitPlan.Segment segment;
        private final JitHints hints;
        private final int from;
        private final int to;
        private final Label[] labels;
        // Local slots.
        private final int r0;
        private final int fuel;
        private final int mayGoto;
        private final int pcSlot;
        private final int mem;
        private final int stackRegion;
        private final int stack;
        private final int stackBase;
        private final int frames;
        private final int frameBase;
        private int nextSlot;
        private final Map<Integer, Integer> regionSlots = new HashMap<>();
        private final Map<Integer, Integer> defSlots = new HashMap<>();

        Body(CodeBuilder b, JitPlan.Function f, JitPlan.Segment segment, JitHints hints) {
            this.b = b;
            this.f = f;
            this.segment = segment;
            this.hints = hints;
            this.from = segment == null ? f.start() : segment.start();
            this.to = segment == null ? f.end() : segment.end();
            this.labels = new Label[to - from];
            this.r0 = segment == null ? 3 : 4;
            int next = r0 + 2 * Interpreter.REGISTERS;
            this.fuel = next;
            this.mayGoto = next + 2;
            this.pcSlot = next + 4;
            this.mem = next + 5;
            this.stackRegion = next + 6;
            this.stack = next + 7;
            this.stackBase = next + 8;
            this.frames = next + 10;
            this.frameBase = next + 11;
            this.nextSlot = next + 12;
        }

        private int reg(int r) {
            return r0 + 2 * r;
        }

        private Label label(int pc) {
            int i = pc - from;
            if (labels[i] == null) {
                labels[i] = b.newLabel();
            }
            return labels[i];
        }

        private boolean reachable(int pc) {
            return f.reachable()[pc - f.start()];
        }

        void emit() {
            collectHints();
            prologue();
            Label start = b.newBoundLabel();
            if (segment != null) {
                entrySwitch();
            }
            long[] insns = code.insns;
            for (int pc = from; pc < to; pc = JitPlan.fallThrough(insns, pc)) {
                if (!reachable(pc)) {
                    continue;
                }
                b.labelBinding(label(pc));
                instruction(pc, insns[pc]);
            }
            Label end = b.newBoundLabel();
            // Execution never gets here: the last reachable instruction of a function jumps or exits.
            b.new_(desc(IllegalStateException.class)).dup()
                    .invokespecial(desc(IllegalStateException.class), "<init>", MethodTypeDesc.of(CD_void)).athrow();
            Label handler = b.newBoundLabel();
            b.iload(pcSlot).getstatic(self, "CODE", CD_CODE).iload(2).aload(0).lload(fuel);
            b.invokestatic(CD_RUNTIME, "locate", MethodTypeDesc.of(CD_EXCEPTION, CD_EXCEPTION, CD_int, CD_CODE, CD_boolean,
                    CD_EXECUTION, CD_long));
            b.athrow();
            b.exceptionCatch(start, end, handler, CD_EXCEPTION);
        }

        /** Finds the regions the method's accesses expect, and gives each its locals. */
        private void collectHints() {
            for (int pc = from; pc < to; pc = JitPlan.fallThrough(code.insns, pc)) {
                if (!reachable(pc) || !isHintedAccess(Op.op(code.insns[pc])) || directStack(pc)) {
                    continue;
                }
                int h = hints.baseAt(pc);
                if (JitHints.isRegion(h) && !regionSlots.containsKey(h)) {
                    regionSlots.put(h, nextSlot++);
                } else if (JitHints.isDef(h) && !defSlots.containsKey(h) && inMethod(JitHints.defPc(h))) {
                    defSlots.put(h, nextSlot);
                    nextSlot += 3;
                }
            }
        }

        private boolean inMethod(int pc) {
            return pc >= from && pc < to;
        }

        private void prologue() {
            if (segment != null) {
                b.aload(0).getfield(CD_EXECUTION, "jitFrames", CD_LONG_ARRAY).astore(frames);
                b.iload(1).loadConstant(FRAME_SLOTS).imul().istore(frameBase);
                for (int i = 0; i < 10; i++) {
                    b.aload(frames).iload(frameBase).loadConstant(i).iadd().laload().lstore(reg(i));
                }
                b.aload(frames).iload(frameBase).loadConstant(MAY_GOTO_SLOT).iadd().laload().lstore(mayGoto);
            } else {
                b.loadConstant(Interpreter.MAY_GOTO_BUDGET).lstore(mayGoto);
            }
            // r10, the frame's stack region and its bytes.
            b.iload(1).loadConstant(Memory.FIRST_STACK).iadd().i2l().loadConstant(32).lshl().lstore(stackBase);
            b.lload(stackBase).loadConstant((long) Memory.STACK_SIZE).ladd().lstore(reg(10));
            b.aload(0).getfield(CD_EXECUTION, "mem", CD_MEMORY).astore(mem);
            b.aload(mem).lload(stackBase).invokevirtual(CD_MEMORY, "region", MethodTypeDesc.of(CD_REGION, CD_long))
                    .astore(stackRegion);
            b.aload(stackRegion).getfield(CD_REGION, "bytes", CD_BYTE_ARRAY).astore(stack);
            b.aload(0).getfield(CD_EXECUTION, "fuel", CD_long).lstore(fuel);
            b.loadConstant(from).istore(pcSlot);
            for (Map.Entry<Integer, Integer> e : regionSlots.entrySet()) {
                b.aload(mem).loadConstant((long) JitHints.regionId(e.getKey()) << 32)
                        .invokevirtual(CD_MEMORY, "region", MethodTypeDesc.of(CD_REGION, CD_long));
                if (!isWindow(e.getKey())) {
                    b.invokestatic(CD_RUNTIME, "whole", MTD_WHOLE);
                }
                b.astore(e.getValue());
            }
            for (int slot : defSlots.values()) {
                b.getstatic(CD_RUNTIME, "NO_REGION", CD_REGION).astore(slot);
                b.lconst_0().lstore(slot + 1);
            }
        }

        /** A segment starts at the entry the dispatcher gives (parameter 3, its index among the segment's). */
        private void entrySwitch() {
            List<SwitchCase> cases = new ArrayList<>();
            for (int i = 0; i < segment.entries().length; i++) {
                cases.add(SwitchCase.of(i, label(segment.entries()[i])));
            }
            Label bad = b.newLabel();
            b.iload(3);
            b.tableswitch(0, segment.entries().length - 1, bad, cases);
            b.labelBinding(bad);
            b.new_(desc(IllegalStateException.class)).dup()
                    .invokespecial(desc(IllegalStateException.class), "<init>", MethodTypeDesc.of(CD_void)).athrow();
        }

        // ---- constants ----

        private void iconst(int v) {
            if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE || constant(v)) {
                b.loadConstant(v);
            } else {
                // The pool is full: build the number from two halves.
                b.loadConstant(v >> 16).loadConstant(16).ishl().loadConstant((v >>> 8) & 0xff).loadConstant(8).ishl().ior()
                        .loadConstant(v & 0xff).ior();
            }
        }

        private void lconst(long v) {
            if (v == (int) v) {
                if (v == 0) {
                    b.lconst_0();
                } else if (v == 1) {
                    b.lconst_1();
                } else {
                    iconst((int) v);
                    b.i2l();
                }
            } else if (constant(v)) {
                b.loadConstant(v);
            } else {
                iconst((int) (v >>> 32));
                b.i2l().loadConstant(32).lshl();
                iconst((int) v);
                b.i2l().loadConstant(MASK32).land().lor();
            }
        }

        /** Whether {@code v} may take a constant pool entry. */
        private boolean constant(long v) {
            return constants.contains(v) || constants.size() < CONSTANT_POOL_CONSTANTS && constants.add(v);
        }

        private void setPc(int pc) {
            iconst(pc);
            b.istore(pcSlot);
        }

        // ---- registers ----

        private void load(int r) {
            b.lload(reg(r));
        }

        private void store(int r) {
            b.lstore(reg(r));
        }

        private void zeroExtend() {
            b.i2l().loadConstant(MASK32).land();
        }

        // ---- instructions ----

        private void instruction(int pc, long insn) {
            int op = Op.op(insn);
            int dst = Op.dst(insn);
            int src = Op.src(insn);
            int off = Op.off(insn);
            int imm = Op.imm(insn);
            if (op < Op.JA) {
                alu(op, dst, src, imm);
            } else if (op == Op.JA) {
                jump(pc, pc + 1 + off);
            } else if (op == Op.JA32) {
                jump(pc, pc + 1 + imm);
            } else if (op <= Op.JSLE32_REG) {
                condition(pc, op, dst, src, imm, pc + 1 + off);
            } else if (op == Op.CALL_HELPER) {
                helper(pc, imm);
            } else if (op == Op.CALL_LOCAL) {
                callLocal(pc, pc + 1 + imm);
            } else if (op == Op.CALLX) {
                callx(pc, dst);
            } else if (op == Op.EXIT) {
                exit();
            } else if (op == Op.MAY_GOTO) {
                mayGoto(pc, pc + 1 + off);
            } else if (op == Op.LDDW) {
                lconst(code.insns[pc + 1]);
                store(dst);
            } else if (op >= Op.LD_ABS_B) {
                legacyLoad(pc, op, src, imm);
            } else {
                memory(pc, op, dst, src, off, imm);
            }
            int fall = JitPlan.fallThrough(code.insns, pc);
            if (segment != null && fall >= to && fallsThrough(op)) {
                leave(fall);
            }
        }

        private boolean fallsThrough(int op) {
            return op != Op.JA && op != Op.JA32 && op != Op.EXIT;
        }

        private void alu(int op, int dst, int src, int imm) {
            if (op >= Op.ZEXT16) {
                byteOrder(op, dst);
                return;
            }
            // Each 32-bit operation sits at a fixed distance from its 64-bit one (Op).
            boolean wide = op < Op.ADD32_IMM;
            int kind = wide ? op : op - (Op.ADD32_IMM - Op.ADD64_IMM);
            switch (kind) {
                case Op.ADD64_IMM, Op.ADD64_REG -> arithmetic(wide, op, dst, src, imm, Opcode.LADD, Opcode.IADD);
                case Op.SUB64_IMM, Op.SUB64_REG -> arithmetic(wide, op, dst, src, imm, Opcode.LSUB, Opcode.ISUB);
                case Op.MUL64_IMM, Op.MUL64_REG -> arithmetic(wide, op, dst, src, imm, Opcode.LMUL, Opcode.IMUL);
                case Op.OR64_IMM, Op.OR64_REG -> arithmetic(wide, op, dst, src, imm, Opcode.LOR, Opcode.IOR);
                case Op.AND64_IMM, Op.AND64_REG -> arithmetic(wide, op, dst, src, imm, Opcode.LAND, Opcode.IAND);
                case Op.XOR64_IMM, Op.XOR64_REG -> arithmetic(wide, op, dst, src, imm, Opcode.LXOR, Opcode.IXOR);
                case Op.LSH64_IMM, Op.LSH64_REG -> arithmetic(wide, op, dst, src, imm, Opcode.LSHL, Opcode.ISHL);
                case Op.RSH64_IMM, Op.RSH64_REG -> arithmetic(wide, op, dst, src, imm, Opcode.LUSHR, Opcode.IUSHR);
                case Op.ARSH64_IMM, Op.ARSH64_REG -> arithmetic(wide, op, dst, src, imm, Opcode.LSHR, Opcode.ISHR);
                case Op.DIV64_IMM -> byConstant(wide, dst, imm, false, "divideUnsigned");
                case Op.SDIV64_IMM -> byConstant(wide, dst, imm, false, null);
                case Op.MOD64_IMM -> byConstant(wide, dst, imm, true, "remainderUnsigned");
                case Op.SMOD64_IMM -> byConstant(wide, dst, imm, true, null);
                case Op.DIV64_REG -> byRegister(wide, dst, src, "div");
                case Op.SDIV64_REG -> byRegister(wide, dst, src, "sdiv");
                case Op.MOD64_REG -> byRegister(wide, dst, src, "mod");
                case Op.SMOD64_REG -> byRegister(wide, dst, src, "smod");
                case Op.NEG64 -> {
                    load(dst);
                    if (wide) {
                        b.lneg();
                    } else {
                        b.l2i().ineg();
                        zeroExtend();
                    }
                    store(dst);
                }
                case Op.MOV64_IMM -> {
                    lconst(wide ? imm : imm & MASK32);
                    store(dst);
                }
                case Op.MOV64_REG, Op.MOVSX64_8, Op.MOVSX64_16, Op.MOVSX64_32 -> {
                    load(src);
                    if (kind != Op.MOV64_REG || !wide) {
                        b.l2i();
                        if (kind == Op.MOVSX64_8) {
                            b.i2b();
                        } else if (kind == Op.MOVSX64_16) {
                            b.i2s();
                        }
                        if (wide) {
                            b.i2l();
                        } else {
                            zeroExtend();
                        }
                    }
                    store(dst);
                }
                default -> throw new IllegalStateException("undecoded operation " + op);
            }
        }

        /** Byte order: truncation to little-endian, byte swaps. */
        private void byteOrder(int op, int dst) {
            load(dst);
            switch (op) {
                case Op.ZEXT16 -> b.loadConstant(0xffffL).land();
                case Op.ZEXT32 -> b.loadConstant(MASK32).land();
                case Op.NOP -> { }
                case Op.BSWAP16 -> {
                    b.l2i().i2s().invokestatic(desc(Short.class), "reverseBytes", MethodTypeDesc.of(CD_short, CD_short));
                    b.i2l().loadConstant(0xffffL).land();
                }
                case Op.BSWAP32 -> {
                    b.l2i().invokestatic(desc(Integer.class), "reverseBytes", MethodTypeDesc.of(CD_int, CD_int));
                    zeroExtend();
                }
                case Op.BSWAP64 -> b.invokestatic(desc(Long.class), "reverseBytes", MethodTypeDesc.of(CD_long, CD_long));
                default -> throw new IllegalStateException("undecoded operation " + op);
            }
            store(dst);
        }

        /** Whether an ALU operation takes a register operand: the REG form of each IMM/REG pair. */
        private boolean isRegisterForm(int op) {
            int o = op & 31;
            return o < Op.NEG64 || o >= Op.ARSH64_IMM ? (o & 1) == 1 : (o & 1) == 0;
        }

        /**
         * dst = dst op operand, in 64 bits or in 32 (zero-extended); shift counts are ints in
         * both, and the JVM masks them as BPF does.
         */
        private void arithmetic(boolean wide, int op, int dst, int src, int imm, Opcode op64, Opcode op32) {
            boolean shift = op64 == Opcode.LSHL || op64 == Opcode.LUSHR || op64 == Opcode.LSHR;
            load(dst);
            if (!wide) {
                b.l2i();
            }
            if (isRegisterForm(op)) {
                load(src);
                if (!wide || shift) {
                    b.l2i();
                }
            } else if (wide && !shift) {
                lconst(imm);
            } else {
                iconst(imm);
            }
            b.with(java.lang.classfile.instruction.OperatorInstruction.of(wide ? op64 : op32));
            if (!wide) {
                zeroExtend();
            }
            store(dst);
        }

        /** Division or modulo by an immediate; by zero, division gives 0 and modulo keeps the dividend. */
        private void byConstant(boolean wide, int dst, int imm, boolean modulo, String unsigned) {
            if (imm == 0) {
                if (modulo && !wide) {
                    load(dst);
                    b.l2i();
                    zeroExtend();
                    store(dst);
                } else if (!modulo) {
                    b.lconst_0();
                    store(dst);
                }
                return;
            }
            load(dst);
            if (wide) {
                lconst(imm);
            } else {
                b.l2i();
                iconst(imm);
            }
            if (unsigned != null) {
                b.invokestatic(desc(wide ? Long.class : Integer.class), unsigned, wide ? MTD_LL_L : MTD_II_I);
            } else {
                b.with(java.lang.classfile.instruction.OperatorInstruction.of(modulo ? (wide ? Opcode.LREM : Opcode.IREM)
                        : (wide ? Opcode.LDIV : Opcode.IDIV)));
            }
            if (!wide) {
                zeroExtend();
            }
            store(dst);
        }

        /** Division or modulo by a register: JitRuntime's 64-bit and the interpreter's 32-bit methods, {@code name} + width. */
        private void byRegister(boolean wide, int dst, int src, String name) {
            load(dst);
            if (!wide) {
                b.l2i();
            }
            load(src);
            if (wide) {
                b.invokestatic(CD_RUNTIME, name + "64", MTD_LL_L);
            } else {
                b.l2i();
                b.invokestatic(CD_INTERPRETER, name + "32", MTD_II_J);
            }
            store(dst);
        }

        // ---- control flow ----

        /** An unconditional jump from {@code pc}; backwards it charges the loop to the budget. */
        private void jump(int pc, int target) {
            if (target <= pc) {
                chargeLoop(pc, target);
            }
            if (inMethod(target)) {
                b.goto_(label(target));
            } else {
                leave(target);
            }
        }

        /** Takes {@code pc - target + 1} instructions off the fuel; out of fuel, the run stops at {@code pc}. */
        private void chargeLoop(int pc, int target) {
            Label ok = b.newLabel();
            b.lload(fuel);
            lconst(pc - target + 1);
            b.lsub().lstore(fuel);
            b.lload(fuel).lconst_0().lcmp().ifge(ok);
            setPc(pc);
            b.aload(0).invokestatic(CD_INTERPRETER, "budgetExhausted", MethodTypeDesc.of(CD_EXCEPTION, CD_EXECUTION));
            b.athrow();
            b.labelBinding(ok);
        }

        private void condition(int pc, int op, int dst, int src, int imm, int target) {
            boolean is32 = op >= Op.JEQ32_IMM;
            int rel = op - (is32 ? Op.JEQ32_IMM : Op.JEQ_IMM);
            int kind = rel >> 1;
            boolean reg = (rel & 1) != 0;
            Opcode taken = compare(kind, is32, dst, src, imm, reg);
            if (target > pc && inMethod(target)) {
                b.branch(taken, label(target));
                return;
            }
            // Backwards or out of this method: branch around the charge (or the exit) when not taken.
            Label notTaken = b.newLabel();
            b.branch(invert(taken), notTaken);
            jump(pc, target);
            b.labelBinding(notTaken);
        }

        /**
         * Pushes what the branch opcode returned tests: the kinds are jeq, jgt, jge, jset,
         * jne, jsgt, jsge, jlt, jle, jslt, jsle.
         */
        private Opcode compare(int kind, boolean is32, int dst, int src, int imm, boolean reg) {
            boolean unsigned = kind == 1 || kind == 2 || kind == 7 || kind == 8;
            load(dst);
            if (is32) {
                b.l2i();
                if (reg) {
                    load(src);
                    b.l2i();
                } else {
                    iconst(imm);
                }
                if (kind == 3) {
                    b.iand();
                    return Opcode.IFNE;
                }
                if (unsigned) {
                    b.invokestatic(desc(Integer.class), "compareUnsigned", MTD_II_I);
                    return signOf(kind);
                }
                return switch (kind) {
                    case 0 -> Opcode.IF_ICMPEQ;
                    case 4 -> Opcode.IF_ICMPNE;
                    case 5 -> Opcode.IF_ICMPGT;
                    case 6 -> Opcode.IF_ICMPGE;
                    case 9 -> Opcode.IF_ICMPLT;
                    default -> Opcode.IF_ICMPLE;
                };
            }
            if (reg) {
                load(src);
            } else {
                lconst(imm);
            }
            if (kind == 3) {
                b.land().lconst_0().lcmp();
                return Opcode.IFNE;
            }
            if (unsigned) {
                b.invokestatic(desc(Long.class), "compareUnsigned", MTD_LL_I);
            } else {
                b.lcmp();
            }
            return signOf(kind);
        }

        /** The branch on a comparison result (-1, 0, 1) for a jump kind. */
        private Opcode signOf(int kind) {
            return switch (kind) {
                case 0 -> Opcode.IFEQ;
                case 4 -> Opcode.IFNE;
                case 1, 5 -> Opcode.IFGT;
                case 2, 6 -> Opcode.IFGE;
                case 7, 9 -> Opcode.IFLT;
                default -> Opcode.IFLE;
            };
        }

        private Opcode invert(Opcode op) {
            return switch (op) {
                case IFEQ -> Opcode.IFNE;
                case IFNE -> Opcode.IFEQ;
                case IFGT -> Opcode.IFLE;
                case IFLE -> Opcode.IFGT;
                case IFGE -> Opcode.IFLT;
                case IFLT -> Opcode.IFGE;
                case IF_ICMPEQ -> Opcode.IF_ICMPNE;
                case IF_ICMPNE -> Opcode.IF_ICMPEQ;
                case IF_ICMPGT -> Opcode.IF_ICMPLE;
                case IF_ICMPLE -> Opcode.IF_ICMPGT;
                case IF_ICMPGE -> Opcode.IF_ICMPLT;
                case IF_ICMPLT -> Opcode.IF_ICMPGE;
                default -> throw new IllegalStateException(op.toString());
            };
        }

        /** may_goto: jumps when this frame's count is spent, else counts down and falls through. */
        private void mayGoto(int pc, int target) {
            Label count = b.newLabel();
            b.lload(mayGoto).lconst_0().lcmp().ifne(count);
            jump(pc, target);
            b.labelBinding(count);
            b.lload(mayGoto).lconst_1().lsub().lstore(mayGoto);
        }

        /** Leaves a segment for the entry at {@code target}: the registers go to the frame's slots. */
        private void leave(int target) {
            saveFrame();
            b.loadConstant(JitPlan.entryIndex(f, target));
            b.ireturn();
        }

        private void saveFrame() {
            for (int i = 0; i < 10; i++) {
                b.aload(frames).iload(frameBase).loadConstant(i).iadd();
                load(i);
                b.lastore();
            }
            b.aload(frames).iload(frameBase).loadConstant(MAY_GOTO_SLOT).iadd().lload(mayGoto).lastore();
            syncFuel();
        }

        private void syncFuel() {
            b.aload(0).lload(fuel).putfield(CD_EXECUTION, "fuel", CD_long);
        }

        private void reloadFuel() {
            b.aload(0).getfield(CD_EXECUTION, "fuel", CD_long).lstore(fuel);
        }

        /**
         * exit: r0 returned. In a called frame r1..r5 go to {@code ex.regs} too, where the
         * caller finds them as the interpreter leaves them.
         */
        private void exit() {
            syncFuel();
            Label top = b.newLabel();
            b.iload(1).ifeq(top);
            storeRegisters(1, 5);
            b.labelBinding(top);
            returnValue(() -> load(0));
        }

        /** Returns the long {@code value} pushes from this function (or, in a segment, through ex.regs[0]). */
        private void returnValue(Runnable value) {
            if (segment == null) {
                value.run();
                b.lreturn();
            } else {
                b.aload(0).getfield(CD_EXECUTION, "regs", CD_LONG_ARRAY).iconst_0();
                value.run();
                b.lastore();
                b.iconst_m1().ireturn();
            }
        }

        private void storeRegisters(int first, int last) {
            for (int i = first; i <= last; i++) {
                b.aload(0).getfield(CD_EXECUTION, "regs", CD_LONG_ARRAY);
                iconst(i);
                load(i);
                b.lastore();
            }
        }

        private void reloadArguments() {
            for (int i = 1; i <= 5; i++) {
                b.aload(0).getfield(CD_EXECUTION, "regs", CD_LONG_ARRAY);
                iconst(i);
                b.laload();
                store(i);
            }
        }

        private void pushRegisters() {
            for (int i = 0; i < 10; i++) {
                load(i);
            }
        }

        private void callLocal(int pc, int target) {
            setPc(pc);
            b.iload(1).invokestatic(CD_RUNTIME, "checkCall", MethodTypeDesc.of(CD_void, CD_int));
            syncFuel();
            b.aload(0).iload(1).iconst_1().iadd().iload(2);
            pushRegisters();
            b.invokestatic(self, functionName(target), MTD_FUNCTION);
            store(0);
            reloadFuel();
            reloadArguments();
            defined(pc, 0);
        }

        private void callx(int pc, int dst) {
            setPc(pc);
            helperState();
            b.aload(0).iload(1).iload(2);
            iconst(dst);
            load(dst);
            pushRegisters();
            b.invokestatic(self, "callx", MTD_CALLX);
            store(0);
            reloadFuel();
            reloadArguments();
            defined(pc, 0);
        }

        /** What a helper may look at: the calling code, the frame, the fuel. */
        private void helperState() {
            b.aload(0).getstatic(self, "CODE", CD_CODE).putfield(CD_EXECUTION, "code", CD_CODE);
            b.aload(0).iload(1).putfield(CD_EXECUTION, "depth", CD_int);
            syncFuel();
        }

        private void helper(int pc, int id) {
            setPc(pc);
            helperState();
            if (id == Interpreter.TAIL_CALL_HELPER) {
                tailCall();
                return;
            }
            if (CALLBACK_HELPERS.contains(id)) {
                storeRegisters(0, 10);
            }
            String method = helperMethod(id);
            if (method == null) {
                iconst(id);
            }
            b.aload(0);
            for (int r = 1; r <= 5; r++) {
                load(r);
            }
            if (method != null) {
                b.invokestatic(CD_HELPERS, method, MTD_HELPER);
            } else {
                b.invokestatic(CD_HELPERS, "call", MTD_HELPER_BY_ID);
            }
            store(0);
            reloadFuel();
            defined(pc, 0);
        }

        /** bpf_tail_call: on success the target's result is this frame's; on failure execution goes on. */
        private void tailCall() {
            Label failed = b.newLabel();
            b.aload(0);
            load(2);
            load(3);
            b.invokevirtual(CD_EXECUTION, "tailCall", MethodTypeDesc.of(CD_CODE, CD_long, CD_long));
            b.dup().ifnull(failed);
            int target = nextSlot;
            b.astore(target);
            returnValue(() -> {
                b.aload(target).aload(0).iload(1);
                pushRegisters();
                b.invokestatic(CD_RUNTIME, "tailCall", MTD_TAIL_CALL);
            });
            b.labelBinding(failed);
            b.pop();
        }

        private void legacyLoad(int pc, int op, int src, int imm) {
            setPc(pc);
            b.aload(0);
            if (op >= Op.LD_IND_B) {
                load(src);
                lconst(imm);
                b.ladd().l2i().i2l();
            } else {
                lconst(imm);
            }
            int size = switch (op) {
                case Op.LD_ABS_B, Op.LD_IND_B -> 1;
                case Op.LD_ABS_H, Op.LD_IND_H -> 2;
                default -> 4;
            };
            iconst(size);
            b.invokevirtual(CD_EXECUTION, "loadPacketBigEndian", MethodTypeDesc.of(CD_long, CD_long, CD_int));
            Label inside = b.newLabel();
            b.dup2().lconst_0().lcmp().ifge(inside);
            b.aload(0).lload(fuel).invokestatic(CD_RUNTIME, "abort", MethodTypeDesc.of(CD_ABORT, CD_EXECUTION, CD_long));
            b.athrow();
            b.labelBinding(inside);
            store(0);
        }

        // ---- memory ----

        private boolean isHintedAccess(int op) {
            return op >= Op.LDX_B && op <= Op.STX_DW;
        }

        /** An access at a constant offset of r10 inside the frame: straight into the stack array. */
        private boolean directStack(int pc) {
            long insn = code.insns[pc];
            int op = Op.op(insn);
            int baseReg = op <= Op.LDXS_W ? Op.src(insn) : Op.dst(insn);
            int off = Op.off(insn);
            return isHintedAccess(op) && baseReg == 10 && off >= -Memory.STACK_SIZE && off + size(op) <= 0;
        }

        private int size(int op) {
            if (op >= Op.LDX_B && op <= Op.LDX_DW) {
                return 1 << (op - Op.LDX_B);
            }
            if (op >= Op.LDXS_B && op <= Op.LDXS_W) {
                return 1 << (op - Op.LDXS_B);
            }
            return 1 << ((op - Op.ST_B) & 3);
        }

        private void address(int r, int off) {
            load(r);
            if (off != 0) {
                lconst(off);
                b.ladd();
            }
        }

        private void memory(int pc, int op, int dst, int src, int off, int imm) {
            switch (op) {
                case Op.LDX_B, Op.LDX_H, Op.LDX_W, Op.LDX_DW, Op.LDXS_B, Op.LDXS_H, Op.LDXS_W -> {
                    int size = size(op);
                    if (directStack(pc)) {
                        stackLoad(size, off);
                    } else {
                        setPc(pc);
                        hintedLoad(pc, size, src, off);
                    }
                    if (op >= Op.LDXS_B) {
                        b.l2i();
                        if (size == 1) {
                            b.i2b();
                        } else if (size == 2) {
                            b.i2s();
                        }
                        b.i2l();
                    }
                    store(dst);
                    if (op == Op.LDX_DW) {
                        defined(pc, dst);
                    }
                }
                case Op.ST_B, Op.ST_H, Op.ST_W, Op.ST_DW, Op.STX_B, Op.STX_H, Op.STX_W, Op.STX_DW -> {
                    int size = size(op);
                    boolean immediate = op <= Op.ST_DW;
                    if (directStack(pc)) {
                        stackStore(size, off, immediate, src, imm);
                    } else {
                        setPc(pc);
                        hintedStore(pc, size, dst, off, immediate, src, imm);
                    }
                }
                case Op.ATOMIC_W, Op.ATOMIC_DW -> {
                    setPc(pc);
                    b.aload(mem);
                    address(dst, off);
                    iconst(op == Op.ATOMIC_W ? 4 : 8);
                    iconst(imm & ~Op.ATOMIC_FETCH);
                    load(src);
                    b.invokevirtual(CD_MEMORY, "atomic", MethodTypeDesc.of(CD_long, CD_long, CD_int, CD_int, CD_long));
                    if ((imm & Op.ATOMIC_FETCH) != 0) {
                        store(src);
                    } else {
                        b.pop2();
                    }
                }
                case Op.CMPXCHG_W, Op.CMPXCHG_DW -> {
                    setPc(pc);
                    b.aload(mem);
                    address(dst, off);
                    iconst(op == Op.CMPXCHG_W ? 4 : 8);
                    load(0);
                    load(src);
                    b.invokevirtual(CD_MEMORY, "compareExchange",
                            MethodTypeDesc.of(CD_long, CD_long, CD_int, CD_long, CD_long));
                    store(0);
                }
                case Op.LOAD_ACQ_B, Op.LOAD_ACQ_H, Op.LOAD_ACQ_W, Op.LOAD_ACQ_DW -> {
                    setPc(pc);
                    b.aload(mem);
                    address(src, off);
                    iconst(1 << (op - Op.LOAD_ACQ_B));
                    b.invokevirtual(CD_MEMORY, "loadAcquire", MethodTypeDesc.of(CD_long, CD_long, CD_int));
                    store(dst);
                }
                case Op.STORE_REL_B, Op.STORE_REL_H, Op.STORE_REL_W, Op.STORE_REL_DW -> {
                    setPc(pc);
                    b.aload(mem);
                    address(dst, off);
                    iconst(1 << (op - Op.STORE_REL_B));
                    load(src);
                    b.invokevirtual(CD_MEMORY, "storeRelease", MethodTypeDesc.of(CD_void, CD_long, CD_int, CD_long));
                }
                default -> throw new IllegalStateException("undecoded operation " + op);
            }
        }

        private void stackLoad(int size, int off) {
            b.aload(stack);
            iconst(Memory.STACK_SIZE + off);
            switch (size) {
                case 1 -> b.baload().loadConstant(0xff).iand().i2l();
                case 2 -> {
                    b.invokestatic(CD_MEMORY, "getShort", MethodTypeDesc.of(CD_short, CD_BYTE_ARRAY, CD_int));
                    b.loadConstant(0xffff).iand().i2l();
                }
                case 4 -> {
                    b.invokestatic(CD_MEMORY, "getInt", MethodTypeDesc.of(CD_int, CD_BYTE_ARRAY, CD_int));
                    zeroExtend();
                }
                default -> b.invokestatic(CD_MEMORY, "getLong", MethodTypeDesc.of(CD_long, CD_BYTE_ARRAY, CD_int));
            }
        }

        private void stackStore(int size, int off, boolean immediate, int src, int imm) {
            b.aload(stack);
            iconst(Memory.STACK_SIZE + off);
            if (size == 8) {
                if (immediate) {
                    lconst(imm);
                } else {
                    load(src);
                }
                b.invokestatic(CD_MEMORY, "putLong", MethodTypeDesc.of(CD_void, CD_BYTE_ARRAY, CD_int, CD_long));
                return;
            }
            if (immediate) {
                iconst(imm);
            } else {
                load(src);
                b.l2i();
            }
            switch (size) {
                case 1 -> b.bastore();
                case 2 -> b.i2s().invokestatic(CD_MEMORY, "putShort",
                        MethodTypeDesc.of(CD_void, CD_BYTE_ARRAY, CD_int, CD_short));
                default -> b.invokestatic(CD_MEMORY, "putInt", MethodTypeDesc.of(CD_void, CD_BYTE_ARRAY, CD_int, CD_int));
            }
        }

        private static final String[] LOADS = {"load8", "load16", "load32", "load64"};
        private static final String[] STORES = {"store8", "store16", "store32", "store64"};

        /** The packet: a window that moves in its array, checked at both ends (JitRuntime's window methods). */
        private static boolean isWindow(int hint) {
            return hint == JitHints.region(Memory.PACKET);
        }

        private static String windowed(String method, int hint) {
            return isWindow(hint) ? "window" + Character.toUpperCase(method.charAt(0)) + method.substring(1) : method;
        }

        private static int sizeIndex(int size) {
            return Integer.numberOfTrailingZeros(size);
        }

        /** Pushes the expected region and its base for the access at {@code pc}; false when there is none. */
        private boolean expectedRegion(int pc) {
            int h = hints.baseAt(pc);
            if (h == JitHints.FRAME) {
                b.aload(stackRegion).lload(stackBase);
                return true;
            }
            Integer slot = regionSlots.get(h);
            if (slot != null) {
                b.aload(slot);
                lconst((long) JitHints.regionId(h) << 32);
                return true;
            }
            slot = defSlots.get(h);
            if (slot != null) {
                b.aload(slot).lload(slot + 1);
                return true;
            }
            return false;
        }

        private void hintedLoad(int pc, int size, int src, int off) {
            if (expectedRegion(pc)) {
                address(src, off);
                b.aload(mem);
                b.invokestatic(CD_RUNTIME, windowed(LOADS[sizeIndex(size)], hints.baseAt(pc)), MTD_HINT_LOAD);
            } else {
                b.aload(mem);
                address(src, off);
                b.invokevirtual(CD_MEMORY, LOADS[sizeIndex(size)], MTD_LOAD);
            }
        }

        private void hintedStore(int pc, int size, int dst, int off, boolean immediate, int src, int imm) {
            boolean hinted = expectedRegion(pc);
            if (!hinted) {
                b.aload(mem);
            }
            address(dst, off);
            if (immediate) {
                lconst(imm);
            } else {
                load(src);
            }
            if (hinted) {
                b.aload(mem);
                b.invokestatic(CD_RUNTIME, windowed(STORES[sizeIndex(size)], hints.baseAt(pc)), MTD_HINT_STORE);
            } else {
                b.invokevirtual(CD_MEMORY, STORES[sizeIndex(size)], MTD_STORE);
            }
        }

        /** After an instruction whose result accesses expect: looks its region up once. */
        private void defined(int pc, int r) {
            Integer slot = defSlots.get(JitHints.def(pc));
            if (slot == null) {
                return;
            }
            b.aload(mem);
            load(r);
            b.invokevirtual(CD_MEMORY, "region", MethodTypeDesc.of(CD_REGION, CD_long));
            b.invokestatic(CD_RUNTIME, "whole", MTD_WHOLE).astore(slot);
            load(r);
            b.loadConstant(REGION_MASK).land().lstore(slot + 1);
        }
    }
}
