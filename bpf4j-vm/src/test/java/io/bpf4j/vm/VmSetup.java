package io.bpf4j.vm;

/** The ways tests run programs: each engine, and the JIT with every function split over many small methods. */
enum VmSetup {
    INTERPRETER,
    JIT,
    /** Segments of a few instructions: jumps between methods, as big programs need them, everywhere. */
    JIT_SPLIT;

    Vm.Builder builder() {
        return switch (this) {
            case INTERPRETER -> Vm.builder().engine(Vm.Engine.INTERPRETER);
            case JIT -> Vm.builder().engine(Vm.Engine.JIT);
            case JIT_SPLIT -> Vm.builder().engine(Vm.Engine.JIT).jitSegmentBytes(200);
        };
    }

    Vm build() {
        return builder().build();
    }
}
