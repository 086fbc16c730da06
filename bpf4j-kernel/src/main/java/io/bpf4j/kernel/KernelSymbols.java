package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.btf.Btf;
import io.bpf4j.btf.BtfKind;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Kernel symbols for an object's {@code __ksym} externs and BTF attach targets: addresses
 * from {@code /proc/kallsyms}, BTF ids from vmlinux and, when vmlinux lacks a name, from the
 * loaded modules' BTF (opened by id, so their fds can be handed to the kernel). Holds the
 * module BTF fds it opened until closed.
 */
final class KernelSymbols implements AutoCloseable {
    /** A BTF id found in vmlinux ({@code module} null) or in a module's BTF. */
    record Found(int id, Btf btf, KernelBtf module) {}

    /** Module BTF objects opened for their fds, closed with this. */
    private final List<KernelBtf> opened = new ArrayList<>();

    /** The address of kernel symbol {@code name} in {@code /proc/kallsyms}, 0 if absent (or hidden from this user). */
    static long address(String name) {
        Map<String, Long> found = addresses(List.of(name));
        return found.getOrDefault(name, 0L);
    }

    /**
     * The addresses of {@code names} in {@code /proc/kallsyms}; absent names are missing.
     *
     * @throws BpfException if a name has two different addresses (libbpf's "resolution is ambiguous")
     */
    static Map<String, Long> addresses(Collection<String> names) {
        Map<String, Long> out = new HashMap<>();
        Path file = Path.of("/proc/kallsyms");
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                int a = line.indexOf(' ');
                int b = line.indexOf(' ', a + 1);
                if (a < 0 || b < 0) {
                    continue;
                }
                int end = line.indexOf('\t', b + 1);
                String name = end < 0 ? line.substring(b + 1) : line.substring(b + 1, end);
                if (!names.contains(name)) {
                    continue;
                }
                long addr = Long.parseUnsignedLong(line.substring(0, a), 16);
                Long old = out.putIfAbsent(name, addr);
                if (old != null && old != addr) {
                    throw new BpfException("extern (ksym) '" + name + "': resolution is ambiguous: 0x" + Long.toHexString(old)
                            + " or 0x" + Long.toHexString(addr));
                }
            }
        } catch (IOException e) {
            throw new BpfException("failed to read " + file + ": " + e.getMessage());
        }
        return out;
    }

    /** Type {@code name} of {@code kind} in vmlinux, else in the first module (by name) whose BTF has it. */
    Optional<Found> find(String name, BtfKind kind) {
        Btf vmlinux = VmlinuxBtf.get();
        Optional<Integer> id = vmlinux.findId(name, kind);
        if (id.isPresent()) {
            return Optional.of(new Found(id.get(), vmlinux, null));
        }
        for (Map.Entry<String, Btf> m : moduleBtfs().entrySet()) {
            for (int candidate : m.getValue().idsByName(name)) {
                if (candidate >= vmlinux.typeCount() && m.getValue().type(candidate).kind() == kind) {
                    return Optional.of(new Found(candidate, m.getValue(), moduleHandle(m.getKey())));
                }
            }
        }
        return Optional.empty();
    }

    private static Map<String, Btf> moduleBtfs;

    /** The loaded modules' BTF from {@code /sys/kernel/btf}, by module name, read once. */
    private static synchronized Map<String, Btf> moduleBtfs() {
        if (moduleBtfs == null) {
            Map<String, Btf> out = new java.util.TreeMap<>();
            Path dir = VmlinuxBtf.PATH.getParent();
            try (java.util.stream.Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    String module = f.getFileName().toString();
                    if (!module.equals("vmlinux")) {
                        out.put(module, Btf.read(f, VmlinuxBtf.get()));
                    }
                }
            } catch (IOException e) {
                throw new BpfException("cannot list " + dir + ": " + e.getMessage());
            }
            moduleBtfs = out;
        }
        return moduleBtfs;
    }

    /** An fd of module {@code module}'s BTF object, found among the kernel's BTF ids (ids that vanish meanwhile are skipped). */
    private KernelBtf moduleHandle(String module) {
        for (KernelBtf h : opened) {
            if (h.info().name().equals(module)) {
                return h;
            }
        }
        for (int id : Kernel.btfIds()) {
            KernelBtf h;
            try {
                h = KernelBtf.openById(id);
            } catch (BpfSyscallException e) {
                continue; // freed since it was listed
            }
            BtfInfo info = h.info();
            if (info.kernelBtf() && info.name().equals(module)) {
                opened.add(h);
                return h;
            }
            h.close();
        }
        throw new BpfException("the BTF of kernel module '" + module + "' is in " + VmlinuxBtf.PATH.getParent()
                + " but not among the kernel's BTF objects");
    }

    @Override
    public void close() {
        opened.forEach(KernelBtf::close);
        opened.clear();
    }
}
