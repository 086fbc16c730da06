package io.bpf4j.kernel;

import io.bpf4j.BpfException;
import io.bpf4j.elf.ElfFile;
import io.bpf4j.elf.ElfSection;
import io.bpf4j.elf.ElfSymbol;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where a function of an executable or shared library lies in its file, which is what the
 * uprobe PMU takes: its symbol's address ({@code .symtab}, else {@code .dynsym}) turned into a
 * file offset through the section that holds it, so PIE, non-PIE and libraries all work.
 */
final class ElfSymbols {
    private static final int STT_GNU_IFUNC = 10;

    private ElfSymbols() {}

    /** The file offset of function {@code symbol} ({@code name} or {@code name@VERSION}) in {@code elf}. */
    static long functionOffset(ElfFile elf, String symbol) {
        String name = symbol.contains("@") ? symbol.substring(0, symbol.indexOf('@')) : symbol;
        ElfSymbol found = null;
        for (ElfSection table : symbolTables(elf)) {
            for (ElfSymbol s : elf.symbols(table)) {
                if (!s.name().equals(name) || !s.isInSection()
                        || (s.type() != ElfSymbol.STT_FUNC && s.type() != STT_GNU_IFUNC)) {
                    continue;
                }
                if (s.type() == STT_GNU_IFUNC) {
                    throw new BpfException(elf.name() + ": " + name + " is an indirect function (IFUNC): a uprobe on it "
                            + "would trace its resolver; probe the implementation it resolves to instead");
                }
                if (found != null && found.value() != s.value() && s.bind() == found.bind()) {
                    throw new BpfException(elf.name() + ": function " + name + " is defined twice, at 0x"
                            + Long.toHexString(found.value()) + " and 0x" + Long.toHexString(s.value()));
                }
                if (found == null || (found.bind() == ElfSymbol.STB_WEAK && s.bind() == ElfSymbol.STB_GLOBAL)) {
                    found = s;
                }
            }
            if (found != null) {
                return fileOffset(elf, found.value(), "function " + name);
            }
        }
        throw new BpfException(elf.name() + ": no function " + name + " in its symbol tables"
                + (symbolTables(elf).isEmpty() ? " (it has none: stripped?)" : ""));
    }

    /** .symtab before .dynsym, as libbpf searches them. */
    private static List<ElfSection> symbolTables(ElfFile elf) {
        List<ElfSection> tables = new ArrayList<>();
        elf.sections().stream().filter(s -> s.type() == ElfSection.SHT_SYMTAB).forEach(tables::add);
        elf.sections().stream().filter(s -> s.type() == ElfSection.SHT_DYNSYM).forEach(tables::add);
        return tables;
    }

    /** The file offset of virtual address {@code address}, through the allocated section that contains it. */
    static long fileOffset(ElfFile elf, long address, String what) {
        for (ElfSection s : elf.sections()) {
            if ((s.flags() & ElfSection.SHF_ALLOC) != 0 && s.type() != ElfSection.SHT_NOBITS && address >= s.addr()
                    && address < s.addr() + s.size()) {
                return address - s.addr() + s.offset();
            }
        }
        throw new BpfException(elf.name() + ": " + what + " at 0x" + Long.toHexString(address)
                + " is in no section of the file");
    }

    /** Reads an ELF file, with a clear error when it cannot. */
    static ElfFile read(Path binary) {
        try {
            return ElfFile.read(binary);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + binary, e);
        }
    }

    /**
     * The file a uprobe target names: a path as is; a bare library name ({@code libc.so.6}) from
     * LD_LIBRARY_PATH and the system library directories; a bare program name from PATH.
     */
    static Path resolve(String target) {
        if (target.contains("/")) {
            Path p = Path.of(target);
            if (!Files.isRegularFile(p)) {
                throw new BpfException("uprobe target " + target + " does not exist");
            }
            return p.toAbsolutePath().normalize();
        }
        List<String> dirs = new ArrayList<>();
        boolean library = target.contains(".so");
        String env = System.getenv(library ? "LD_LIBRARY_PATH" : "PATH");
        if (env != null) {
            dirs.addAll(List.of(env.split(":")));
        }
        if (library) {
            String triple = switch (System.getProperty("os.arch").toLowerCase(Locale.ROOT)) {
                case "amd64", "x86_64" -> "x86_64-linux-gnu";
                case "aarch64" -> "aarch64-linux-gnu";
                default -> System.getProperty("os.arch") + "-linux-gnu";
            };
            dirs.addAll(List.of("/lib64", "/usr/lib64", "/lib/" + triple, "/usr/lib/" + triple, "/lib", "/usr/lib"));
        }
        for (String d : dirs) {
            if (!d.isEmpty()) {
                Path p = Path.of(d, target);
                if (Files.isRegularFile(p)) {
                    return p.toAbsolutePath().normalize();
                }
            }
        }
        throw new BpfException("uprobe target " + target + " not found in " + (library ? "LD_LIBRARY_PATH or the "
                + "system library directories" : "PATH") + ": give its path");
    }
}
