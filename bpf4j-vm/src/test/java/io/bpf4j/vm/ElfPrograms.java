package io.bpf4j.vm;

import io.bpf4j.elf.ElfFile;
import io.bpf4j.elf.ElfSection;
import io.bpf4j.elf.ElfSymbol;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The functions of a clang-built BPF object whose code needs no relocation (no maps, no
 * globals, no calls), by symbol name, as instruction bytes. Until the object model loads
 * whole objects into the VM, this is how tests and the benchmark take programs from
 * {@code testdata/}.
 */
final class ElfPrograms {
    private ElfPrograms() {}

    static Path testdata(String name) {
        return Path.of(System.getProperty("bpf4j.repo.root", ".")).resolve("testdata").resolve(name);
    }

    static Map<String, byte[]> functions(Path object) {
        ElfFile elf;
        try {
            elf = ElfFile.read(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (ElfSymbol symbol : elf.symbols()) {
            if (symbol.type() != ElfSymbol.STT_FUNC || symbol.bind() != ElfSymbol.STB_GLOBAL) {
                continue;
            }
            ElfSection section = elf.section(symbol.sectionIndex());
            if (!section.isExecutable() || !elf.relocationsFor(section).isEmpty()) {
                continue;
            }
            byte[] code = section.bytes();
            out.put(symbol.name(), Arrays.copyOfRange(code, (int) symbol.value(), (int) (symbol.value() + symbol.size())));
        }
        return out;
    }
}
