package io.bpf4j.cli;

import io.bpf4j.vm.Vm;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code --engine jit|interp}: which engine of the VM runs programs, mixed into the commands that run them. */
final class VmEngineOption {
    @Option(names = "--engine", paramLabel = "ENGINE", converter = Parser.class,
            description = "What runs programs in the VM: jit (compiled to JVM bytecode; the default) or interp (the "
                    + "interpreter). A program the JIT cannot compile runs in the interpreter either way.")
    Vm.Engine engine;

    /** Whether --engine was given. */
    boolean given() {
        return engine != null;
    }

    /** A VM builder with the chosen engine. */
    Vm.Builder vm() {
        return Vm.builder().engine(engine == null ? Vm.Engine.JIT : engine);
    }

    static final class Parser implements CommandLine.ITypeConverter<Vm.Engine> {
        @Override
        public Vm.Engine convert(String value) {
            return switch (value) {
                case "jit" -> Vm.Engine.JIT;
                case "interp", "interpreter" -> Vm.Engine.INTERPRETER;
                default -> throw new CommandLine.TypeConversionException("'" + value + "' is not jit or interp");
            };
        }
    }
}
