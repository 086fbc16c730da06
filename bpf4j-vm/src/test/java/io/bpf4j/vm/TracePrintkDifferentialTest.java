package io.bpf4j.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.ProgramDefinition;
import io.bpf4j.kernel.testing.KernelTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * bpf_trace_printk's formatting against the kernel's: the same program prints in the
 * kernel (found in the trace buffer by a unique tag) and in the VM, and the messages and
 * return values must be equal. {@code %p} and {@code %pK} are left out: the kernel prints
 * a hash of the pointer there.
 * Run in each engine of the VM.
 */
@KernelTest
@ParameterizedClass(name = "{0}")
@EnumSource(Vm.Engine.class)
class TracePrintkDifferentialTest {
    private static final Path TRACE = Path.of("/sys/kernel/tracing/trace");
    private static final String MARKER = "bpf_trace_printk: ";
    private final Vm.Engine engine;

    TracePrintkDifferentialTest(Vm.Engine engine) {
        this.engine = engine;
    }

    /** A format (at most 3 conversions) and its arguments; "s" and "ip" arguments point to data on the stack. */
    private record Case(String format, long a1, long a2, long a3) {}

    @Test
    void sameTextAsTheKernel() throws Exception {
        List<Case> cases = List.of(
                new Case("n=%d u=%u x=%x", -5, -5, -5),
                new Case("X=%X l=%ld ll=%lld", 0xabcdef, Long.MIN_VALUE, -1),
                new Case("lu=%lu llx=%llx lx=%lx", -1, 0x1234_5678_9abcL, -2),
                new Case("[%5d] [%-5d] [%05d]", 42, -42, 42),
                new Case("[%+d] [% d] [%08x]", 7, 7, 0xbeef),
                new Case("c=%c%c%c", 'o', 'k', '!'),
                new Case("px=%px %%done", 0xffff_8880_1234_5678L, 0, 0),
                new Case("s=%s|", 0, 0, 0),
                new Case("ip=%pI4 %pi4", 0, 0, 0),
                new Case("v6=%pI6", 0, 0, 0),
                new Case("v6=%pi6 i=%i", 0, -9, 0),
                new Case("bad=%q", 1, 2, 3),
                new Case("four=%d %d %d %d", 1, 2, 3),
                new Case("[%20s] [%-6s]", 0, 0, 0));
        List<String> vmMessages = new ArrayList<>();
        try (Vm vm = Vm.builder().engine(engine).tracePrintk(vmMessages::add).build()) {
            for (int i = 0; i < cases.size(); i++) {
                Case c = cases.get(i);
                String tag = "bpf4jvm" + ProcessHandle.current().pid() + "x" + i + " ";
                byte[] program = program(tag + c.format(), c);
                long kernelReturn;
                try (KernelProgram k = KernelProgram.load(ProgramDefinition.of(ProgramType.XDP, "printk", program, "GPL"))) {
                    kernelReturn = k.testRun(TestRun.ofData(new byte[64])).returnValue();
                }
                vmMessages.clear();
                long vmReturn = vm.load("printk", ProgramType.XDP, program).testRun(TestRun.ofData(new byte[64])).returnValue();
                assertEquals(kernelReturn, vmReturn, c.format());
                Optional<String> kernelMessage = traced(tag);
                assertEquals(kernelMessage.isPresent(), !vmMessages.isEmpty(), c.format());
                kernelMessage.ifPresent(m -> assertEquals(m, vmMessages.getFirst(), c.format()));
            }
        }
    }

    /** The message of the traced event carrying {@code tag}, as the trace file shows it. */
    private static Optional<String> traced(String tag) throws Exception {
        for (String line : Files.readAllLines(TRACE)) {
            int at = line.indexOf(MARKER + tag);
            if (at >= 0) {
                return Optional.of(line.substring(at + MARKER.length()));
            }
        }
        return Optional.empty();
    }

    /**
     * XDP program: the format at fp-128, "hello" at fp-16, 192.168.1.1 at fp-24, an IPv6
     * address at fp-48; arguments "s"-style ones point to those. Returns trace_printk's result.
     */
    private static byte[] program(String format, Case c) {
        assertTrue(format.length() < 110, format);
        Asm a = Asm.program().string(-16, "hello").st(Asm.W, 10, -24, 0x0101a8c0);
        for (int i = 0; i < 16; i += 4) {
            a.st(Asm.W, 10, -48 + i, 0x20010db8 + i * 0x01010101);
        }
        a.string(-128, format);
        long[] args = {c.a1(), c.a2(), c.a3()};
        String[] kinds = conversions(c.format());
        for (int i = 0; i < 3; i++) {
            int reg = 3 + i;
            String kind = i < kinds.length ? kinds[i] : "";
            if (kind.equals("s")) {
                a.movReg(reg, 10).alu64(Asm.ADD, reg, -16);
            } else if (kind.equals("I4") || kind.equals("i4")) {
                a.movReg(reg, 10).alu64(Asm.ADD, reg, -24);
            } else if (kind.equals("I6") || kind.equals("i6")) {
                a.movReg(reg, 10).alu64(Asm.ADD, reg, -48);
            } else {
                a.lddw(reg, 0, args[i]);
            }
        }
        return a.movReg(1, 10).alu64(Asm.ADD, 1, -128).mov(2, format.length() + 1).call(6).exit().bytes();
    }

    /** The conversions of a format, in order: "d", "s", "I4", ... */
    private static String[] conversions(String format) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < format.length(); i++) {
            if (format.charAt(i) != '%') {
                continue;
            }
            if (i + 1 < format.length() && format.charAt(i + 1) == '%') {
                i++;
                continue;
            }
            int j = i + 1;
            while (j < format.length() && "0123456789+- l".indexOf(format.charAt(j)) >= 0) {
                j++;
            }
            if (j < format.length() && format.charAt(j) == 'p') {
                out.add(format.substring(j + 1, Math.min(j + 3, format.length())));
            } else if (j < format.length()) {
                out.add(String.valueOf(format.charAt(j)));
            }
        }
        return out.toArray(String[]::new);
    }
}
