package io.bpf4j.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfFormatException;
import io.bpf4j.ProgramType;
import io.bpf4j.isa.ConformanceCase;
import io.bpf4j.isa.Instructions;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The bpf_conformance suite, read in place from {@code ../shared/conformance}: every program
 * of {@code tests/} must return its expected r0 (all 64 bits) on its memory, and every case
 * of {@code negative/} must not pass (it is refused, faults, or returns something else). In
 * the interpreter, and compiled by the JIT whole and split over many methods.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(VmSetup.class)
class ConformanceTest {
    private final VmSetup setup;

    ConformanceTest(VmSetup setup) {
        this.setup = setup;
    }

    private static final Path SUITE = Path.of(System.getProperty("bpf4j.repo.root", "."))
            .resolve("../shared/conformance").normalize();
    private static final int TESTS = 313;

    private static List<Path> cases(String dir) throws IOException {
        try (Stream<Path> files = Files.list(SUITE.resolve(dir))) {
            return files.filter(p -> p.toString().endsWith(".data")).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicTest> everyTestGivesItsResult() throws IOException {
        List<Path> cases = cases("tests");
        assertEquals(TESTS, cases.size(), "tests in " + SUITE.resolve("tests"));
        Vm vm = setup.build();
        return cases.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), file.toUri(), () -> {
            ConformanceCase c = ConformanceCase.parse(Files.readString(file));
            byte[] program = Instructions.encode(c.program(), ByteOrder.LITTLE_ENDIAN);
            VmProgram p = vm.load(file.getFileName().toString(), ProgramType.UNSPEC, program);
            assertEquals(vm.engine(), p.engine(), () -> "the JIT declined: " + p.jitFallbackReason().orElse(""));
            long r0 = p.run(c.memory());
            assertEquals(c.result().orElseThrow(), r0, () -> "r0 = 0x" + Long.toHexString(r0) + ", expected 0x"
                    + Long.toHexString(c.result().getAsLong()));
        }));
    }

    @TestFactory
    Stream<DynamicTest> negativeCasesDoNotPass() throws IOException {
        Vm vm = setup.build();
        return cases("negative").stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), file.toUri(),
                () -> assertTrue(fails(vm, file), file + " passed, but it is a negative case")));
    }

    /** Whether the case fails: it cannot be assembled or loaded, it faults, or r0 is not what it expects. */
    private static boolean fails(Vm vm, Path file) throws IOException {
        try {
            ConformanceCase c = ConformanceCase.parse(Files.readString(file));
            byte[] program = Instructions.encode(c.program(), ByteOrder.LITTLE_ENDIAN);
            long r0 = vm.load("negative", ProgramType.UNSPEC, program).run(c.memory());
            return c.error().isPresent() || c.result().isEmpty() || c.result().getAsLong() != r0;
        } catch (BpfFormatException | VmException refused) {
            return true;
        }
    }
}
