package io.bpf4j.btf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bpf4j.BpfFormatException;
import io.bpf4j.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * .BTF.ext decoded and checked against independent tools: func_info against the ELF
 * symbol table (llvm-objdump -t), line_info against the DWARF line table (llvm-objdump -l),
 * CO-RE relocations against libbpf's own reading of them (bpftool -d gen min_core_btf).
 */
class BtfExtTest {
    @TempDir
    Path tmp;

    private record Loaded(Btf btf, BtfExt ext) {}

    private Loaded load(Path object) {
        Btf btf = Btf.read(object, null);
        BtfExt ext = BtfExt.read(object, btf).orElseThrow();
        assertEquals(BtfExt.parse(Oracle.btfSection(object, ".BTF.ext", tmp), btf), ext, "as llvm-objcopy extracts it");
        return new Loaded(btf, ext);
    }

    private static String text(List<String> command) {
        return new String(Tools.output(command), StandardCharsets.UTF_8);
    }

    @Test
    void funcInfoNamesTheFunctionSymbols() {
        String objdump = Tools.require("llvm-objdump", "llvm-objdump-19");
        Pattern sym = Pattern.compile("^([0-9a-f]{16}) [lgw ]\\s*F (\\S+)\\s+[0-9a-f]+ (\\S+)$");
        for (Path object : Oracle.objects()) {
            TreeSet<String> expected = new TreeSet<>();
            for (String line : text(List.of(objdump, "-t", object.toString())).split("\n")) {
                Matcher m = sym.matcher(line);
                if (m.matches()) {
                    expected.add(m.group(2) + "+" + Long.parseLong(m.group(1), 16) + " " + m.group(3));
                }
            }
            Loaded l = load(object);
            TreeSet<String> actual = new TreeSet<>();
            l.ext().funcInfos().forEach((sec, infos) -> infos.forEach(f -> actual.add(sec + "+" + f.insnOffset() + " " + l.btf().type(f.typeId()).name())));
            assertFalse(actual.isEmpty(), object.toString());
            assertEquals(expected, actual, object.toString());
        }
    }

    @Test
    void lineInfoMatchesDwarfLines() {
        String objdump = Tools.require("llvm-objdump", "llvm-objdump-19");
        Pattern section = Pattern.compile("^Disassembly of section (.*):$");
        Pattern source = Pattern.compile("^; (.*):(\\d+)$");
        Pattern insn = Pattern.compile("^\\s+(\\d+):\\t.*");
        for (Path object : Oracle.objects()) {
            Map<String, String> dwarf = new HashMap<>();
            String sec = null;
            String where = null;
            for (String line : text(List.of(objdump, "-d", "-l", "--no-show-raw-insn", object.toString())).split("\n")) {
                Matcher m;
                if ((m = section.matcher(line)).matches()) {
                    sec = m.group(1);
                    where = null;
                } else if ((m = source.matcher(line)).matches()) {
                    where = Path.of(m.group(1)).getFileName() + ":" + m.group(2);
                } else if ((m = insn.matcher(line)).matches() && where != null) {
                    dwarf.put(sec + "@" + m.group(1), where);
                }
            }
            Loaded l = load(object);
            // At a function's first instruction BTF gives the line of its declaration, DWARF the first statement's.
            java.util.Set<String> functionStarts = new java.util.HashSet<>();
            l.ext().funcInfos().forEach((s, infos) -> infos.forEach(f -> functionStarts.add(s + "@" + f.insnOffset() / 8)));
            int checked = 0;
            for (var e : l.ext().lineInfos().entrySet()) {
                for (BtfExt.LineInfo li : e.getValue()) {
                    String key = e.getKey() + "@" + li.insnOffset() / 8;
                    String expected = dwarf.get(key);
                    if (li.line() == 0 || expected == null || functionStarts.contains(key)) {
                        continue;
                    }
                    assertEquals(expected, Path.of(li.fileName()).getFileName() + ":" + li.line(), object + " " + e.getKey() + " insn " + li.insnOffset() / 8);
                    assertTrue(li.column() >= 0 && li.column() < 1024);
                    checked++;
                }
            }
            assertTrue(checked > 0, "no line_info of " + object + " could be checked");
        }
    }

    @Test
    void coreRelosMatchLibbpf() {
        Oracle.requireFile(Oracle.VMLINUX);
        // libbpf: "<byte_off> [20] struct task_struct.flags (0:2 @ offset 8)", "<type_size> [20] struct task_struct",
        // "<enumval_value> [22] enum pid_type::PIDTYPE_SID = 3"; bitfield offsets read "48.1".
        Pattern relo = Pattern.compile("relo #\\d+: <(\\w+)> \\[(\\d+)\\] (?:.*::(\\w+) = \\S+|.*\\((\\S+) @ offset \\d+(?:\\.\\d+)?\\)|\\S+ \\S+)$");
        int objectsWithRelos = 0;
        for (Path object : Oracle.objects()) {
            Loaded l = load(object);
            if (l.ext().coreRelos().isEmpty()) {
                continue;
            }
            objectsWithRelos++;
            String log = new String(runCapturingStderr(List.of(Tools.require("bpftool"), "-d", "gen", "min_core_btf",
                    Oracle.VMLINUX.toString(), tmp.resolve("min.btf").toString(), object.toString())), StandardCharsets.UTF_8);
            List<String> expected = new ArrayList<>();
            for (String line : log.split("\n")) {
                Matcher m = relo.matcher(line);
                if (m.find() && !line.contains("candidate")) {
                    String detail = m.group(3) != null ? "::" + m.group(3) : m.group(4) != null ? m.group(4) : "";
                    expected.add(m.group(1) + " [" + m.group(2) + "] " + detail);
                }
            }
            List<String> actual = new ArrayList<>();
            for (List<BtfExt.CoreRelo> relos : l.ext().coreRelos().values()) {
                for (BtfExt.CoreRelo r : relos) {
                    String detail = switch (r.kind()) {
                        case TYPE_ID_LOCAL, TYPE_ID_TARGET, TYPE_EXISTS, TYPE_SIZE, TYPE_MATCHES -> {
                            assertEquals("0", r.accessString());
                            yield "";
                        }
                        case ENUMVAL_EXISTS, ENUMVAL_VALUE -> "::" + ((BtfType.Enumeration) l.btf().type(l.btf().resolve(r.typeId())))
                                .values().get(Integer.parseInt(r.accessString())).name();
                        default -> r.accessString();
                    };
                    actual.add(r.kind().libbpfName() + " [" + r.typeId() + "] " + detail);
                }
            }
            assertEquals(expected.stream().sorted().toList(), actual.stream().sorted().toList(), object.toString());
        }
        assertTrue(objectsWithRelos > 0, "no object with CO-RE relocations to check");
    }

    private static byte[] runCapturingStderr(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            p.waitFor();
            return out;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void dumpListsOneRecordPerLine() {
        Path object = Oracle.objects().stream().filter(p -> p.getFileName().toString().equals("xdpdump_bpf.o")).findFirst()
                .orElse(Oracle.objects().getFirst());
        Loaded l = load(object);
        StringBuilder sb = new StringBuilder();
        BtfExtDump.dump(l.btf(), l.ext(), sb);
        long records = l.ext().funcInfos().values().stream().mapToLong(List::size).sum()
                + l.ext().lineInfos().values().stream().mapToLong(List::size).sum()
                + l.ext().coreRelos().values().stream().mapToLong(List::size).sum();
        assertEquals(records, sb.toString().lines().count());
        assertTrue(sb.toString().lines().allMatch(s -> s.matches("(func_info|line_info|core_relo) '[^']+' insn=\\d+ .*")), sb.toString());
    }

    @Test
    void malformedExtIsRejectedWithOffset() {
        Path object = Oracle.objects().getFirst();
        Loaded l = load(object);
        byte[] ext = Oracle.btfSection(object, ".BTF.ext", tmp);
        byte[] badMagic = ext.clone();
        badMagic[0] = 0;
        assertTrue(assertThrows(BpfFormatException.class, () -> BtfExt.parse(badMagic, l.btf())).getMessage().contains("magic"));
        for (int len = 0; len < ext.length; len += Math.max(1, ext.length / 200)) {
            byte[] cut = java.util.Arrays.copyOf(ext, len);
            assertThrows(BpfFormatException.class, () -> BtfExt.parse(cut, l.btf()), "truncated to " + len);
        }
        java.util.Random random = new java.util.Random(4);
        for (int i = 0; i < 2000; i++) {
            byte[] fuzzed = ext.clone();
            fuzzed[random.nextInt(fuzzed.length)] ^= (byte) (1 << random.nextInt(8));
            try {
                BtfExt.parse(fuzzed, l.btf());
            } catch (BpfFormatException expected) {
                assertTrue(expected.getMessage().startsWith(".BTF.ext: "));
            }
        }
    }
}
