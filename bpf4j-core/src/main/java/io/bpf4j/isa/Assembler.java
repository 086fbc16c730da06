package io.bpf4j.isa;

import io.bpf4j.BpfFormatException;
import io.bpf4j.isa.Instruction.AluImm;
import io.bpf4j.isa.Instruction.AluReg;
import io.bpf4j.isa.Instruction.Atomic;
import io.bpf4j.isa.Instruction.ByteSwap;
import io.bpf4j.isa.Instruction.CallHelper;
import io.bpf4j.isa.Instruction.CallIndirect;
import io.bpf4j.isa.Instruction.CallKfunc;
import io.bpf4j.isa.Instruction.CallLocal;
import io.bpf4j.isa.Instruction.Exit;
import io.bpf4j.isa.Instruction.Jump;
import io.bpf4j.isa.Instruction.JumpImm;
import io.bpf4j.isa.Instruction.JumpLong;
import io.bpf4j.isa.Instruction.JumpReg;
import io.bpf4j.isa.Instruction.Load;
import io.bpf4j.isa.Instruction.LoadImm64;
import io.bpf4j.isa.Instruction.LoadPacket;
import io.bpf4j.isa.Instruction.MoveSignExtend;
import io.bpf4j.isa.Instruction.Store;
import io.bpf4j.isa.Instruction.StoreImm;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Assembler for the syntax of the bpf_conformance suite (and uBPF): one instruction per line,
 * {@code %r0} to {@code %r10}, memory operands {@code [%r10-8]}, jump targets {@code +3},
 * {@code -2} or a label ({@code name:} on its own line; {@code exit} names the first exit),
 * {@code #} comments.
 *
 * <pre>{@code
 * mov %r0, 1              add32 %r1, 0x10        lddw %r2, 0x1122334455667788
 * ldxw %r3, [%r1+4]       stdw [%r10-8], 7       stxb [%r10-1], %r3
 * jne %r0, %r1, done      jslt32 %r1, -1, +2     ja32 done
 * be16 %r0   le32 %r0   bswap64 %r0             movsx1664 %r0, %r1    sdiv %r0, %r1
 * lock add [%r10-8], %r1  lock fetch xor32 [%r1], %r2   lock xchg [%r1+8], %r2   lock cmpxchg [%r1], %r2
 * call 1   call local func   call runtime 5   call %r2     ldabsh 12   ldindw %r1, 4    exit
 * }</pre>
 *
 * Errors are {@link BpfFormatException}s that say what is wrong and on which line.
 */
public final class Assembler {
    private static final Map<String, AluOp> ALU_OPS = new HashMap<>();
    private static final Map<String, JumpOp> JUMP_OPS = new HashMap<>();
    private static final Map<String, AtomicOp> ATOMIC_OPS = Map.of(
            "add", AtomicOp.ADD, "or", AtomicOp.OR, "and", AtomicOp.AND, "xor", AtomicOp.XOR,
            "xchg", AtomicOp.XCHG, "cmpxchg", AtomicOp.CMPXCHG);
    private static final Map<String, Size> SIZES = Map.of("b", Size.B, "h", Size.H, "w", Size.W, "dw", Size.DW);

    static {
        for (AluOp op : AluOp.values()) {
            ALU_OPS.put(op.name().toLowerCase(Locale.ROOT), op);
        }
        for (JumpOp op : JumpOp.values()) {
            if (op.isConditional()) {
                JUMP_OPS.put(op.name().toLowerCase(Locale.ROOT), op);
            }
        }
    }

    private final List<Instruction> program = new ArrayList<>();
    /** Per instruction: the label its jump or call refers to, with the line, or null. */
    private final List<Fixup> fixups = new ArrayList<>();
    private final Map<String, Integer> labels = new HashMap<>();
    private int slots;
    private int line;

    private record Fixup(String label, int line) {}

    private Assembler() {}

    /** Assembles a program; line numbers in errors count the lines of {@code source} from 1. */
    public static List<Instruction> assemble(String source) {
        Assembler asm = new Assembler();
        String[] lines = source.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            asm.line = i + 1;
            asm.assembleLine(lines[i]);
        }
        return asm.resolve();
    }

    private void assembleLine(String text) {
        int comment = text.indexOf('#');
        String code = (comment >= 0 ? text.substring(0, comment) : text).strip();
        if (code.isEmpty()) {
            return;
        }
        List<String> tokens = new ArrayList<>(Arrays.asList(code.split("\\s+")));
        String first = tokens.getFirst();
        if (first.endsWith(":")) {
            String label = first.substring(0, first.length() - 1);
            if (label.isEmpty() || labels.containsKey(label)) {
                throw error(label.isEmpty() ? "empty label" : "duplicate label '" + label + "'");
            }
            labels.put(label, slots);
            tokens.removeFirst();
            if (tokens.isEmpty()) {
                return;
            }
        }
        String mnemonic = tokens.removeFirst().toLowerCase(Locale.ROOT);
        List<String> operands = new ArrayList<>();
        for (String token : String.join(" ", tokens).split(",")) {
            if (!token.isBlank()) {
                operands.add(token.strip());
            }
        }
        if (mnemonic.equals("exit")) {
            labels.putIfAbsent("exit", slots);
        }
        fixups.add(null);
        Instruction insn = instruction(mnemonic, operands);
        program.add(insn);
        slots += insn.slots();
    }

    private Instruction instruction(String mnemonic, List<String> ops) {
        if (mnemonic.equals("lock")) {
            return atomic(ops);
        }
        if (mnemonic.equals("exit")) {
            count(mnemonic, ops, 0);
            return new Exit();
        }
        if (mnemonic.equals("call")) {
            return call(ops);
        }
        if (mnemonic.equals("ja") || mnemonic.equals("ja32")) {
            count(mnemonic, ops, 1);
            long target = target(ops.getFirst(), mnemonic.equals("ja32"));
            return mnemonic.equals("ja") ? new Jump((short) target) : new JumpLong((int) target);
        }
        if (mnemonic.equals("lddw")) {
            count(mnemonic, ops, 2);
            return new LoadImm64(register(ops.get(0)), imm64(ops.get(1)));
        }
        if (mnemonic.startsWith("ldabs") || mnemonic.startsWith("ldind")) {
            Size size = SIZES.get(mnemonic.substring(5));
            if (size == null || size == Size.DW) {
                throw unknown(mnemonic);
            }
            boolean indirect = mnemonic.startsWith("ldind");
            count(mnemonic, ops, indirect ? 2 : 1);
            return new LoadPacket(size, indirect, indirect ? register(ops.get(0)) : 0, imm32(ops.get(indirect ? 1 : 0)));
        }
        if (mnemonic.startsWith("ldx")) {
            boolean signed = mnemonic.startsWith("ldxs") && !mnemonic.equals("ldxs");
            Size size = SIZES.get(mnemonic.substring(signed ? 4 : 3));
            if (size == null || (signed && size == Size.DW)) {
                throw unknown(mnemonic);
            }
            count(mnemonic, ops, 2);
            Memory m = memory(ops.get(1));
            return new Load(size, signed, register(ops.get(0)), m.register(), m.offset());
        }
        if (mnemonic.startsWith("stx") && SIZES.containsKey(mnemonic.substring(3))) {
            count(mnemonic, ops, 2);
            Memory m = memory(ops.get(0));
            return new Store(SIZES.get(mnemonic.substring(3)), m.register(), register(ops.get(1)), m.offset());
        }
        if (mnemonic.startsWith("st") && SIZES.containsKey(mnemonic.substring(2))) {
            count(mnemonic, ops, 2);
            Memory m = memory(ops.get(0));
            return new StoreImm(SIZES.get(mnemonic.substring(2)), m.register(), m.offset(), imm32(ops.get(1)));
        }
        Instruction swap = byteSwap(mnemonic, ops);
        if (swap != null) {
            return swap;
        }
        boolean wide32 = mnemonic.endsWith("32");
        String base = wide32 || mnemonic.endsWith("64") ? mnemonic.substring(0, mnemonic.length() - 2) : mnemonic;
        if (JUMP_OPS.containsKey(base) && !mnemonic.endsWith("64")) {
            count(mnemonic, ops, 3);
            JumpOp op = JUMP_OPS.get(base);
            int dst = register(ops.get(0));
            short offset = (short) target(ops.get(2), false);
            return isRegister(ops.get(1)) ? new JumpReg(wide32, op, dst, register(ops.get(1)), offset)
                    : new JumpImm(wide32, op, dst, imm32(ops.get(1)), offset);
        }
        if (base.startsWith("movsx")) {
            Size from = switch (base) {
                case "movsx8" -> Size.B;
                case "movsx16" -> Size.H;
                case "movsx32" -> wide32 ? null : Size.W;
                default -> null;
            };
            if (from == null) {
                throw unknown(mnemonic);
            }
            count(mnemonic, ops, 2);
            return new MoveSignExtend(!wide32, register(ops.get(0)), register(ops.get(1)), from);
        }
        AluOp op = ALU_OPS.get(base);
        if (op == null) {
            throw unknown(mnemonic);
        }
        if (op == AluOp.NEG) {
            count(mnemonic, ops, 1);
            return new AluImm(!wide32, op, register(ops.get(0)), 0);
        }
        count(mnemonic, ops, 2);
        int dst = register(ops.get(0));
        return isRegister(ops.get(1)) ? new AluReg(!wide32, op, dst, register(ops.get(1)))
                : new AluImm(!wide32, op, dst, imm32(ops.get(1)));
    }

    private Instruction byteSwap(String mnemonic, List<String> ops) {
        ByteSwap.Kind kind;
        String width;
        if (mnemonic.startsWith("be") || mnemonic.startsWith("le")) {
            kind = mnemonic.startsWith("be") ? ByteSwap.Kind.BE : ByteSwap.Kind.LE;
            width = mnemonic.substring(2);
        } else if (mnemonic.startsWith("bswap") || mnemonic.startsWith("swap")) {
            kind = ByteSwap.Kind.BSWAP;
            width = mnemonic.substring(mnemonic.indexOf("swap") + 4);
        } else {
            return null;
        }
        if (!width.equals("16") && !width.equals("32") && !width.equals("64")) {
            throw unknown(mnemonic);
        }
        count(mnemonic, ops, 1);
        return new ByteSwap(kind, register(ops.getFirst()), Integer.parseInt(width));
    }

    private Instruction call(List<String> ops) {
        if (ops.isEmpty()) {
            throw error("invalid number of operands for call: expected a target");
        }
        String[] words = ops.getFirst().split("\\s+");
        if (ops.size() != 1 || words.length > 2) {
            throw error("invalid number of operands for call: expected 'call N', 'call local LABEL', 'call runtime N' or 'call %rN'");
        }
        String kind = words.length == 2 ? words[0] : "helper";
        String target = words[words.length - 1];
        return switch (kind) {
            case "helper" -> isRegister(target) ? new CallIndirect(register(target)) : new CallHelper(imm32(target));
            case "local" -> new CallLocal((int) target(target, true));
            case "runtime" -> new CallKfunc(imm32(target), (short) 0);
            default -> throw error("invalid call mode '" + kind + "': expected helper, local or runtime");
        };
    }

    private Instruction atomic(List<String> ops) {
        // lock [fetch] OP[32] [%rD+off], %rS
        String[] words = ops.isEmpty() ? new String[0] : ops.getFirst().split("\\s+");
        if (ops.size() != 2 || words.length < 2 || words.length > 3) {
            throw error("invalid number of operands for lock: expected 'lock [fetch] OP [%rD+off], %rS'");
        }
        boolean fetch = words.length == 3;
        if (fetch && !words[0].equalsIgnoreCase("fetch")) {
            throw error("expected 'fetch' after lock, got '" + words[0] + "'");
        }
        String name = words[words.length - 2].toLowerCase(Locale.ROOT);
        boolean wide32 = name.endsWith("32");
        AtomicOp op = ATOMIC_OPS.get(wide32 ? name.substring(0, name.length() - 2) : name);
        if (op == null) {
            throw error("invalid atomic operation '" + name + "'");
        }
        if (fetch) {
            op = switch (op) {
                case ADD -> AtomicOp.FETCH_ADD;
                case OR -> AtomicOp.FETCH_OR;
                case AND -> AtomicOp.FETCH_AND;
                case XOR -> AtomicOp.FETCH_XOR;
                default -> op; // xchg and cmpxchg always fetch
            };
        }
        Memory m = memory(words[words.length - 1]);
        return new Atomic(wide32 ? Size.W : Size.DW, op, m.register(), register(ops.get(1)), m.offset());
    }

    private record Memory(int register, short offset) {}

    private Memory memory(String operand) {
        if (!operand.startsWith("[") || !operand.endsWith("]")) {
            throw error("expected a memory operand like [%r1+8], got '" + operand + "'");
        }
        String inner = operand.substring(1, operand.length() - 1).strip();
        int sign = Math.max(inner.indexOf('+'), inner.indexOf('-'));
        if (sign < 0) {
            return new Memory(register(inner), (short) 0);
        }
        return new Memory(register(inner.substring(0, sign).strip()), offset(inner.substring(sign).replace(" ", "")));
    }

    private static boolean isRegister(String operand) {
        return operand.startsWith("%");
    }

    private int register(String operand) {
        if (operand.matches("%r(10|[0-9])")) {
            return Integer.parseInt(operand.substring(2));
        }
        throw error("invalid register '" + operand + "' (registers are %r0 to %r10)");
    }

    private void count(String mnemonic, List<String> ops, int expected) {
        if (ops.size() != expected) {
            throw error("invalid number of operands for " + mnemonic + ": expected " + expected + ", got " + ops.size());
        }
    }

    /** A 32-bit immediate: signed decimal, or hex up to 0xffffffff. */
    private int imm32(String text) {
        BigInteger value = number(text, "immediate");
        boolean hex = text.toLowerCase(Locale.ROOT).contains("0x");
        BigInteger min = hex ? BigInteger.ZERO : BigInteger.valueOf(Integer.MIN_VALUE);
        BigInteger max = hex ? BigInteger.valueOf(0xffffffffL) : BigInteger.valueOf(Integer.MAX_VALUE);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw error("immediate " + text + " is out of 32-bit range");
        }
        return value.intValue();
    }

    /** A 64-bit immediate: hex or unsigned decimal up to 2^64-1, or negative decimal. */
    private long imm64(String text) {
        BigInteger value = number(text, "immediate");
        if (value.compareTo(BigInteger.valueOf(Long.MIN_VALUE)) < 0 || value.bitLength() > 64) {
            throw error("immediate " + text + " is out of 64-bit range");
        }
        return value.longValue();
    }

    /** A 16-bit offset: signed decimal, or hex up to 0xffff. */
    private short offset(String text) {
        BigInteger value = number(text, "offset");
        boolean hex = text.toLowerCase(Locale.ROOT).contains("0x");
        long v = value.longValue();
        if (value.bitLength() > 32 || (hex ? v < -0xffff || v > 0xffff : v < Short.MIN_VALUE || v > Short.MAX_VALUE)) {
            throw error("offset " + text + " is out of 16-bit range");
        }
        return (short) v;
    }

    /** A jump or call target: a relative {@code +N}/{@code -N}, or a label resolved at the end. */
    private long target(String text, boolean wide) {
        if (text.startsWith("+") || text.startsWith("-")) {
            return wide ? imm32(text) : offset(text);
        }
        if (!text.matches("[A-Za-z_.$][A-Za-z0-9_.$]*")) {
            throw error("invalid jump target '" + text + "': expected +N, -N or a label");
        }
        fixups.set(fixups.size() - 1, new Fixup(text, line));
        return 0;
    }

    private BigInteger number(String text, String what) {
        String t = text.strip();
        boolean negative = t.startsWith("-");
        String digits = negative || t.startsWith("+") ? t.substring(1) : t;
        try {
            if (digits.length() > 40) {
                throw new NumberFormatException();
            }
            BigInteger magnitude = digits.toLowerCase(Locale.ROOT).startsWith("0x")
                    ? new BigInteger(digits.substring(2), 16) : new BigInteger(digits, 10);
            return negative ? magnitude.negate() : magnitude;
        } catch (NumberFormatException e) {
            throw error("invalid " + what + " '" + text + "'");
        }
    }

    private List<Instruction> resolve() {
        SlotMap map = SlotMap.of(program);
        for (int i = 0; i < program.size(); i++) {
            Fixup fixup = fixups.get(i);
            if (fixup == null) {
                continue;
            }
            Integer target = labels.get(fixup.label());
            if (target == null) {
                line = fixup.line();
                throw error("invalid label '" + fixup.label() + "': no such label");
            }
            long relative = (long) target - map.slot(i) - 1;
            Instruction insn = program.get(i);
            if (!(insn instanceof CallLocal || insn instanceof JumpLong) && (relative < Short.MIN_VALUE || relative > Short.MAX_VALUE)) {
                line = fixup.line();
                throw error("label '" + fixup.label() + "' is " + relative + " slots away, out of a 16-bit offset's reach");
            }
            program.set(i, switch (insn) {
                case Jump j -> new Jump((short) relative);
                case JumpLong j -> new JumpLong((int) relative);
                case JumpImm j -> new JumpImm(j.jmp32(), j.op(), j.dst(), j.imm(), (short) relative);
                case JumpReg j -> new JumpReg(j.jmp32(), j.op(), j.dst(), j.src(), (short) relative);
                case CallLocal c -> new CallLocal((int) relative);
                default -> throw new IllegalStateException("no target in " + insn);
            });
        }
        return List.copyOf(program);
    }

    private BpfFormatException unknown(String mnemonic) {
        return error("invalid mnemonic '" + mnemonic + "'");
    }

    private BpfFormatException error(String message) {
        return new BpfFormatException("line " + line + ": " + message);
    }
}
