package io.bpf4j.cli;

import io.bpf4j.BpfException;
import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.TestRunResult;
import io.bpf4j.btf.CoreTarget;
import io.bpf4j.kernel.BpfSyscallException;
import io.bpf4j.kernel.Kernel;
import io.bpf4j.kernel.KernelBackend;
import io.bpf4j.kernel.KernelCollection;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.object.ObjectSpec;
import io.bpf4j.object.ProgramSpec;
import io.bpf4j.vm.Vm;
import io.bpf4j.vm.VmObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bpf4j prog run}: bpftool's test run of a loaded program, and of a program of an
 * object file, loaded into the kernel where BPF is allowed, else run in bpf4j's VM.
 */
@Command(
        name = "run",
        description = {
            "Run a program once or REPEAT times on the given input (BPF_PROG_TEST_RUN) and print",
            "what bpftool prints: data or context out as a hex dump for FILE '-', then",
            "'Return value: N, duration: Mns'. PROG is a loaded program; OBJ an object file, whose",
            "program (the only runnable one, or 'program NAME') is loaded with its maps as libbpf loads",
            "it and runs in the kernel where BPF is allowed, else (or with --vm) in bpf4j's userspace VM,",
            "compiled to JVM bytecode by the VM's JIT unless --engine interp asks for its interpreter;",
            "relocated for the running kernel's BTF when there is one (--btf to choose another).",
            "FILE '-' means standard input for data_in and ctx_in, standard output for the outputs."
        })
final class ProgRun implements Callable<Integer> {
    /** bpftool's room for data and context out when no size is given. */
    private static final int DEFAULT_SIZE = 32 * 1024;
    private static final String[] DATA = {"data_in", "data_out", "data_size_out"};
    private static final String[] CTX = {"ctx_in", "ctx_out", "ctx_size_out"};

    /** Where '-' inputs come from; standard input unless a test sets it. */
    static InputStream input = System.in;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    JsonOptions json;

    @Parameters(paramLabel = "ARGS", description = {"PROG|OBJ [program NAME] data_in FILE [data_out FILE [data_size_out L]]",
        "[ctx_in FILE [ctx_out FILE [ctx_size_out M]]] [repeat N]"})
    List<String> args = new ArrayList<>();

    @Option(names = "--vm", description = "Run an object's program in bpf4j's VM even where the kernel allows BPF.")
    boolean vm;

    @Mixin
    VmEngineOption engine;

    @Option(names = "--btf", paramLabel = "FILE", description = "BTF to CO-RE-relocate an object for, or 'none' "
            + "(default: /sys/kernel/btf/vmlinux when it exists).")
    String btf;

    @Override
    public Integer call() throws IOException {
        boolean handle = !args.isEmpty()
                && List.of("id", "pinned", "tag", "name").stream().anyMatch(k -> Bpftool.isPrefix(args.get(0), k));
        int needed = handle ? 4 : 3;
        if (args.size() < needed) {
            throw new BpfException("'run' needs at least " + needed + " arguments, " + args.size() + " found");
        }
        int i = handle ? 2 : 1;
        String programName = null;
        if (!handle && Bpftool.isPrefix(args.get(1), "program")) {
            programName = args.get(2);
            i = 3;
        }
        Request request = parse(i);
        TestRun run = request.testRun();
        TestRunResult result;
        if (handle) {
            if (vm || engine.given()) {
                throw new BpfException((vm ? "--vm" : "--engine") + " runs programs of object files in the VM; a loaded "
                        + "program runs in the kernel");
            }
            try (KernelProgram program = Handles.program(args, 0).objects().getFirst()) {
                result = program.testRun(run);
            } catch (BpfSyscallException e) {
                throw new BpfException("failed to run program: " + Bpftool.strerror(e));
            }
        } else if (!vm && !engine.given() && Kernel.availability().available()) {
            result = runInKernel(Path.of(args.get(0)), programName, run);
        } else {
            result = runInVm(Path.of(args.get(0)), programName, run);
        }
        print(result, request);
        return 0;
    }

    /** The arguments after the program, as bpftool reads them. */
    private record Request(String dataIn, String dataOut, Long dataSizeOut, String ctxIn, String ctxOut, Long ctxSizeOut,
            long repeat) {
        TestRun testRun() throws IOException {
            if ("-".equals(dataIn) && "-".equals(ctxIn)) {
                throw new BpfException("cannot use standard input for both data_in and ctx_in");
            }
            byte[] data = read(dataIn);
            byte[] ctx = read(ctxIn);
            int dataRoom = dataIn == null ? 0 : (int) (dataSizeOut == null || dataSizeOut == 0 ? DEFAULT_SIZE : dataSizeOut);
            int ctxRoom = ctxIn == null ? 0 : (int) (ctxSizeOut == null || ctxSizeOut == 0 ? DEFAULT_SIZE : ctxSizeOut);
            return new TestRun(data, dataRoom, ctx, ctxRoom, (int) repeat, 0, 0);
        }

        private static byte[] read(String file) throws IOException {
            if (file == null) {
                return new byte[0];
            }
            if (file.equals("-")) {
                return input.readAllBytes();
            }
            try {
                return Files.readAllBytes(Path.of(file));
            } catch (IOException e) {
                throw new BpfException("failed to open " + file + ": " + describe(e));
            }
        }
    }

    private Request parse(int start) {
        String dataIn = null;
        String dataOut = null;
        String ctxIn = null;
        String ctxOut = null;
        Long dataSize = null;
        Long ctxSize = null;
        long repeat = 0;
        for (int i = start; i < args.size(); i += 2) {
            String kw = args.get(i);
            ambiguous(kw, DATA);
            ambiguous(kw, CTX);
            boolean known = Bpftool.isPrefix(kw, "repeat") || List.of(DATA).stream().anyMatch(k -> Bpftool.isPrefix(kw, k))
                    || List.of(CTX).stream().anyMatch(k -> Bpftool.isPrefix(kw, k));
            if (!known) {
                throw new BpfException("expected no more arguments, 'data_in', 'data_out', 'data_size_out', 'ctx_in', "
                        + "'ctx_out', 'ctx_size_out' or 'repeat', got: '" + kw + "'?");
            }
            if (i + 1 >= args.size()) {
                throw new BpfException("'" + kw + "' needs at least 1 arguments, 0 found");
            }
            String value = args.get(i + 1);
            if (Bpftool.isPrefix(kw, "data_in")) {
                dataIn = value;
            } else if (Bpftool.isPrefix(kw, "data_out")) {
                dataOut = value;
            } else if (Bpftool.isPrefix(kw, "data_size_out")) {
                dataSize = number(value, "output data size");
            } else if (Bpftool.isPrefix(kw, "ctx_in")) {
                ctxIn = value;
            } else if (Bpftool.isPrefix(kw, "ctx_out")) {
                ctxOut = value;
            } else if (Bpftool.isPrefix(kw, "ctx_size_out")) {
                ctxSize = number(value, "output context size");
            } else {
                repeat = number(value, "repeat number");
            }
        }
        return new Request(dataIn, dataOut, dataSize, ctxIn, ctxOut, ctxSize, repeat);
    }

    /** bpftool's detect_common_prefix: a keyword that could be several of a group is an error. */
    private static void ambiguous(String kw, String[] group) {
        List<String> matches = List.of(group).stream().filter(k -> Bpftool.isPrefix(kw, k)).toList();
        if (matches.size() > 1) {
            throw new BpfException("ambiguous prefix: '" + kw + "' could be '" + String.join("' or '", matches) + "'");
        }
    }

    private static long number(String value, String what) {
        Long n = Bpftool.parseUnsigned(value);
        if (n == null || n > 0xffff_ffffL) {
            throw new BpfException("can't parse " + value + " as " + what);
        }
        return n;
    }

    /** The object with only the program to run (named, or the only runnable one) loading. */
    private static ObjectSpec onlyProgram(Path file, String programName) {
        ObjectSpec spec;
        try {
            spec = ObjectSpec.read(file);
        } catch (IOException e) {
            throw new BpfException("failed to open " + file + ": " + describe(e));
        }
        ProgramSpec chosen = choose(spec, programName);
        for (ProgramSpec p : spec.programs()) {
            spec = spec.withAutoload(p.name(), p.name().equals(chosen.name()));
        }
        return spec;
    }

    private TestRunResult runInKernel(Path file, String programName, TestRun run) {
        ObjectSpec spec = onlyProgram(file, programName);
        KernelBackend kernel = KernelBackend.create();
        if (btf != null && !"none".equals(btf)) {
            kernel = kernel.withCoreTarget(CoreTarget.read(Path.of(btf)));
        }
        try (KernelCollection object = kernel.load(spec)) {
            return object.programs().values().iterator().next().testRun(run);
        } catch (BpfSyscallException e) {
            throw new BpfException("failed to run program: " + Bpftool.strerror(e));
        }
    }

    private TestRunResult runInVm(Path file, String programName, TestRun run) {
        ObjectSpec spec = onlyProgram(file, programName);
        CoreTarget target = coreTarget();
        try (Vm machine = engine.vm().build(); VmObject object = target == null ? machine.load(spec) : machine.load(spec, target)) {
            return object.programs().values().iterator().next().testRun(run);
        }
    }

    private CoreTarget coreTarget() {
        if ("none".equals(btf)) {
            return null;
        }
        if (btf != null) {
            return CoreTarget.read(Path.of(btf));
        }
        return Files.exists(CoreTarget.KERNEL_BTF_DIR.resolve("vmlinux")) ? CoreTarget.kernel() : null;
    }

    /** The program named, or the object's only program the VM can test-run. */
    private static ProgramSpec choose(ObjectSpec spec, String name) {
        if (name != null) {
            return spec.program(name).orElseThrow(() -> new BpfException("object " + spec.name() + " has no program '"
                    + name + "' (it has: " + names(spec.programs()) + ")"));
        }
        List<ProgramSpec> runnable = spec.programs().stream().filter(p -> p.autoload() && p.type() != ProgramType.UNSPEC)
                .toList();
        if (runnable.size() != 1) {
            throw new BpfException("object " + spec.name() + " has " + runnable.size() + " programs to run ("
                    + names(runnable) + "): choose one with 'program NAME'");
        }
        return runnable.getFirst();
    }

    private static String names(List<ProgramSpec> programs) {
        return programs.isEmpty() ? "none" : String.join(", ", programs.stream().map(ProgramSpec::name).toList());
    }

    private static String describe(IOException e) {
        return e instanceof java.nio.file.NoSuchFileException ? "No such file or directory" : e.getMessage();
    }

    private void print(TestRunResult r, Request request) throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        long repeat = request.repeat();
        if (json.enabled()) {
            StringBuilder sb = new StringBuilder();
            JsonWriter w = json.writer(sb);
            w.startObject();
            output(w, r.dataOut(), request.dataOut(), "data_out", out);
            output(w, r.ctxOut(), request.ctxOut(), "ctx_out", out);
            w.name("retval").unsigned(r.returnValue());
            w.name("duration").unsigned(r.averageDurationNs());
            w.endObject();
            w.finish();
            out.append(sb).flush();
            return;
        }
        output(null, r.dataOut(), request.dataOut(), "data_out", out);
        output(null, r.ctxOut(), request.ctxOut(), "ctx_out", out);
        out.printf("Return value: %d, duration%s: %dns%n", r.returnValue(), repeat > 1 ? " (average)" : "",
                r.averageDurationNs());
        out.flush();
    }

    /** print_run_output: '-' prints (hex dump or JSON array), another name is a file to write, none prints nothing. */
    private static void output(JsonWriter w, byte[] bytes, String file, String key, PrintWriter out) throws IOException {
        if (file == null || bytes.length == 0) {
            return;
        }
        if (!file.equals("-")) {
            Files.write(Path.of(file), bytes);
            return;
        }
        if (w != null) {
            w.name(key).startArray();
            for (byte b : bytes) {
                w.value(b & 0xff);
            }
            w.endArray();
            return;
        }
        out.print(hexDump(bytes));
    }

    /** bpftool's hex_print: offset, 16 bytes in pairs, then the printable characters. */
    static String hexDump(byte[] data) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < data.length; i += 16) {
            sb.append(String.format("%07x\t", i));
            int j = i;
            for (; j < i + 16 && j < data.length; j++) {
                sb.append(String.format("%02x", data[j] & 0xff)).append(j % 2 == 1 ? " " : "");
            }
            for (; j < i + 16; j++) {
                sb.append("  ").append(j % 2 == 1 ? " " : "");
            }
            sb.append("| ");
            for (j = i; j < i + 16 && j < data.length; j++) {
                char c = (char) (data[j] & 0xff);
                sb.append(c < ' ' || c > '~' ? '.' : c).append(j == i + 7 ? " " : "");
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
