package io.bpf4j.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

/** The bpf_conformance suite through the JIT: whole functions, and functions split into many small methods. */
class JitConformanceTest {
    private static final Path SUITE = Path.of(System.getProperty("bpf4j.repo.root", "."))
            .resolve("../shared/conformance").normalize();

    private static List<Path> cases() throws IOException {
        try (Stream<Path> files = Files.list(SUITE.resolve("tests"))) {
            return files.filter(p -> p.toString().endsWith(".data")).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicTest> everyTestGivesItsResultCompiled() throws IOException {
        return run(Vm.builder().build());
    }

    @TestFactory
    Stream<DynamicTest> everyTestGivesItsResultInTinySegments() throws IOException {
        return run(Vm.builder().jitSegmentBytes(1).build());
    }

    private static Stream<DynamicTest> run(Vm vm) throws IOException {
        List<Path> cases = cases();
        assertEquals(313, cases.size());
        return cases.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), file.toUri(), () -> {
            ConformanceCase c = ConformanceCase.parse(Files.readString(file));
            byte[] program = Instructions.encode(c.program(), ByteOrder.LITTLE_ENDIAN);
            VmProgram p = vm.load(file.getFileName().toString(), ProgramType.UNSPEC, program);
            assertEquals(Vm.Engine.JIT, p.engine(), () -> p.jitFallbackReason().orElse(""));
            long r0 = p.run(c.memory());
            assertEquals(c.result().orElseThrow(), r0, () -> "r0 = 0x" + Long.toHexString(r0) + ", expected 0x"
                    + Long.toHexString(c.result().getAsLong()));
        }));
    }
}
