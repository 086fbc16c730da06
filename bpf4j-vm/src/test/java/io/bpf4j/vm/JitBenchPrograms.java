package io.bpf4j.vm;

import io.bpf4j.BpfMap;
import io.bpf4j.BpfProgram;
import io.bpf4j.MapType;
import io.bpf4j.ProgramType;
import io.bpf4j.TestRun;
import io.bpf4j.elf.ElfFile;
import io.bpf4j.elf.ElfRelocation;
import io.bpf4j.elf.ElfSection;
import io.bpf4j.elf.ElfSymbol;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.KernelProgram;
import io.bpf4j.kernel.MapDefinition;
import io.bpf4j.kernel.ProgramDefinition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JIT benchmark's programs ({@code testdata/jit_bench.bpf.c}), each with its own maps,
 * in the VM (either engine) or in the kernel, and the packet each runs on. The map
 * definitions are those of the C source; their {@code ld_imm64} references are relocated
 * from the object's relocation records to the backend's map fds. (Until the object model
 * loads whole objects, this is how the benchmark takes programs with maps from testdata.)
 */
final class JitBenchPrograms {
    static final String[] PROGRAMS = {"prime_sieve", "log2_many", "memcpy_words", "strcmp_many", "switch_vm", "xdp_parse"};
    /** The maps of jit_bench.bpf.c, as its .maps section declares them. */
    private static final Map<String, MapDefinition> MAPS = Map.of(
            "scratch", MapDefinition.of(MapType.ARRAY, 4, 8192, 1),
            "flows", MapDefinition.of(MapType.PERCPU_HASH, 16, 24, 1024));
    private static final int STRINGS = 32;
    private static final int STRING_SIZE = 128;

    private JitBenchPrograms() {}

    /** A program and the maps it owns. */
    record Loaded(BpfProgram program, Map<String, BpfMap> maps, byte[] packet) implements AutoCloseable {
        TestRun run(int repeat) {
            return TestRun.ofData(packet).withRepeat(repeat);
        }

        @Override
        public void close() {
            program.close();
            maps.values().forEach(BpfMap::close);
        }
    }

    static Path object() {
        return Path.of(System.getProperty("bpf4j.repo.root", ".")).resolve("testdata").resolve("jit_bench.bpf.o");
    }

    /** Loads {@code name} into {@code vm}, with fresh maps. */
    static Loaded inVm(Vm vm, String name) {
        Map<String, BpfMap> maps = new LinkedHashMap<>();
        MAPS.forEach((map, d) -> maps.put(map, vm.createMap(VmMapSpec.of(map, d.type(), d.keySize(), d.valueSize(),
                d.maxEntries()))));
        initialize(name, maps.get("scratch"));
        return new Loaded(vm.load(name, ProgramType.XDP, code(name, fds(maps))), maps, packet(name));
    }

    /** Loads {@code name} into the kernel, with fresh maps. */
    static Loaded inKernel(String name) {
        Map<String, BpfMap> maps = new LinkedHashMap<>();
        MAPS.forEach((map, d) -> maps.put(map, KernelMap.create(d)));
        initialize(name, maps.get("scratch"));
        KernelProgram p = KernelProgram.load(ProgramDefinition.of(ProgramType.XDP, name, code(name, fds(maps)), "GPL"));
        return new Loaded(p, maps, packet(name));
    }

    private static Map<String, Integer> fds(Map<String, BpfMap> maps) {
        Map<String, Integer> fds = new LinkedHashMap<>();
        maps.forEach((name, m) -> fds.put(name, m instanceof VmMap v ? v.fd() : ((KernelMap) m).fd()));
        return fds;
    }

    /** strcmp_many compares strings it expects in the scratch area: long common prefixes, differing near the end. */
    private static void initialize(String name, BpfMap scratch) {
        if (!name.equals("strcmp_many")) {
            return;
        }
        byte[] value = new byte[8192];
        String prefix = "/usr/lib/x86_64-linux-gnu/bpf4j/benchmark/strings/that/share/a/long/prefix/";
        for (int k = 0; k < STRINGS; k++) {
            String s = prefix + "lib" + (char) ('a' + (k * 7) % 26) + (char) ('a' + k % 26) + "-" + (k % 5) + ".so";
            byte[] b = s.getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(b, 0, value, k * STRING_SIZE, Math.min(b.length, STRING_SIZE - 1));
        }
        scratch.update(new byte[4], value, BpfMap.UPDATE_ANY);
    }

    /** The instructions of program {@code name} with its map references set to {@code fds}. */
    static byte[] code(String name, Map<String, Integer> fds) {
        ElfFile elf;
        try {
            elf = ElfFile.read(object());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (ElfSymbol f : elf.symbols()) {
            if (f.type() != ElfSymbol.STT_FUNC || !f.name().equals(name)) {
                continue;
            }
            ElfSection section = elf.section(f.sectionIndex());
            byte[] code = Arrays.copyOfRange(section.bytes(), (int) f.value(), (int) (f.value() + f.size()));
            List<ElfSymbol> symbols = elf.symbols();
            for (ElfRelocation r : elf.relocationsFor(section)) {
                long at = r.offset() - f.value();
                if (at < 0 || at >= code.length) {
                    continue;
                }
                String target = symbols.get(r.symbol()).name();
                Integer fd = fds.get(target);
                if (fd == null) {
                    throw new IllegalStateException(name + " refers to " + target + ", which is not a map of the benchmark");
                }
                code[(int) at + 1] = (byte) (code[(int) at + 1] & 0x0f | 1 << 4); // src = BPF_PSEUDO_MAP_FD
                ByteBuffer.wrap(code).order(ByteOrder.LITTLE_ENDIAN).putInt((int) at + 4, fd);
            }
            return code;
        }
        throw new IllegalStateException("no program " + name + " in " + object());
    }

    /** The packet a program runs on: the parser's TCP SYN, or an Ethernet header and the program's parameters. */
    static byte[] packet(String name) {
        return switch (name) {
            case "prime_sieve" -> parameters(8192);
            case "log2_many" -> parameters(4096, 12345);
            case "memcpy_words" -> parameters(511, 8, 4242);
            case "strcmp_many" -> parameters(4);
            case "switch_vm" -> parameters(4096, 99);
            case "xdp_parse" -> tcpSyn();
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static byte[] parameters(int... values) {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[12]).putShort((short) 0x0008); // EtherType 0x0800, big-endian
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    /**
     * The first packet of a connection as Linux sends it: an Ethernet frame with a TCP SYN
     * from 192.168.1.100:54321 to 93.184.216.34:80 with the options MSS 1460, SACK
     * permitted, timestamps and window scale 7, and both checksums right.
     */
    static byte[] tcpSyn() {
        ByteBuffer p = ByteBuffer.allocate(74).order(ByteOrder.BIG_ENDIAN);
        p.put(new byte[] {0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x5c}).put(new byte[] {0x3c, 0x22, (byte) 0xfb, 0x12, 0x34, 0x56});
        p.putShort((short) 0x0800);
        int ip = p.position();
        p.put((byte) 0x45).put((byte) 0).putShort((short) 60).putShort((short) 0x1c46).putShort((short) 0x4000);
        p.put((byte) 64).put((byte) 6).putShort((short) 0);
        p.put(new byte[] {(byte) 192, (byte) 168, 1, 100}).put(new byte[] {93, (byte) 184, (byte) 216, 34});
        int tcp = p.position();
        p.putShort((short) 54321).putShort((short) 80).putInt(0x1a2b3c4d).putInt(0);
        p.put((byte) 0xa0).put((byte) 0x02).putShort((short) 64240).putShort((short) 0).putShort((short) 0);
        p.put(new byte[] {2, 4, 0x05, (byte) 0xb4, 4, 2, 8, 10}).putInt(0x0a1b2c3d).putInt(0).put(new byte[] {1, 3, 3, 7});
        byte[] b = p.array();
        p.putShort(ip + 10, checksum(b, ip, 20, 0));
        long pseudo = 0xc0a8L + 0x0164 + 0x5db8 + 0xd822 + 6 + 40;
        p.putShort(tcp + 16, checksum(b, tcp, 40, pseudo));
        return b;
    }

    /** The Internet checksum of {@code length} bytes at {@code from}, starting from {@code sum}. */
    private static short checksum(byte[] b, int from, int length, long sum) {
        for (int i = 0; i < length; i += 2) {
            sum += (b[from + i] & 0xff) << 8 | (b[from + i + 1] & 0xff);
        }
        while (sum >> 16 != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (short) ~sum;
    }
}
