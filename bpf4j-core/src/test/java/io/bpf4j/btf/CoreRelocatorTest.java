package io.bpf4j.btf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bpf4j.btf.BtfExt.CoreRelo;
import io.bpf4j.btf.BtfExt.CoreReloKind;
import io.bpf4j.object.ObjectSpec;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CO-RE engine without a kernel, on what CO-RE means rather than on recorded output (the
 * comparison with libbpf itself is CoreOracleTest, which needs root): a target identical to the
 * object's own types changes nothing, a moved member moves every offset into it, a missing one
 * poisons reads and makes existence 0, and malformed relocations fail as libbpf fails.
 */
class CoreRelocatorTest {
    private static ObjectSpec core() throws IOException {
        Path p = Path.of(System.getProperty("bpf4j.repo.root", ".."), "testdata", "core.bpf.o");
        assumeTrue(Files.exists(p), p + " missing");
        return ObjectSpec.read(p);
    }

    /** The object's BTF with the flavors renamed away, so each local type has exactly one candidate: itself. */
    private static BtfBuilder withoutFlavors(Btf local) {
        BtfBuilder b = BtfBuilder.from(local);
        for (int id = 1; id < local.typeCount(); id++) {
            if (local.type(id) instanceof BtfType.Struct s && s.name().contains("___")) {
                b.set(id, new BtfType.Struct(s.name().replace("___", "_x_"), s.size(), s.members(), s.kindFlag()));
            }
        }
        return b;
    }

    private static List<ObjectSpec.CoreDecision> relocate(ObjectSpec o, Btf target) {
        return o.relocate(CoreTarget.of(target), line -> { }).decisions();
    }

    @Test
    void identicalTargetChangesNothing() throws IOException {
        ObjectSpec o = core();
        Btf local = o.btf().orElseThrow();
        List<ObjectSpec.CoreDecision> decisions = relocate(o, withoutFlavors(local).build());
        assertFalse(decisions.isEmpty());
        for (ObjectSpec.CoreDecision d : decisions) {
            CoreReloKind k = d.relocation().kind();
            String name = local.type(d.relocation().typeId()).name();
            // Flavors now match their base type or nothing; the others must find themselves unchanged.
            if (!name.contains("___") && k != CoreReloKind.TYPE_ID_TARGET && k != CoreReloKind.TYPE_ID_LOCAL) {
                assertFalse(d.result().poison(), d.toString());
                assertEquals(d.result().originalValue(), d.result().newValue(), d.toString());
            }
        }
    }

    @Test
    void movedAndMissingMembers() throws IOException {
        ObjectSpec o = core();
        Btf local = o.btf().orElseThrow();
        BtfBuilder b = withoutFlavors(local);
        int task = local.findId("task_struct", BtfKind.STRUCT).orElseThrow();
        BtfType.Struct t = (BtfType.Struct) local.type(task);
        List<BtfType.Member> members = new ArrayList<>();
        for (BtfType.Member m : t.members()) {
            if (m.name().equals("tgid")) {
                members.add(new BtfType.Member("tgid", m.type(), m.bitOffset() + 8 * 256, 0));
            } else if (!m.name().equals("pid")) {
                members.add(m);
            }
        }
        b.set(task, new BtfType.Struct(t.name(), t.size() + 256, members, t.kindFlag()));
        int tgidAccess = t.members().indexOf(t.members().stream().filter(m -> m.name().equals("tgid")).findFirst().orElseThrow());
        int pidAccess = t.members().indexOf(t.members().stream().filter(m -> m.name().equals("pid")).findFirst().orElseThrow());
        int moved = 0;
        int missing = 0;
        for (ObjectSpec.CoreDecision d : relocate(o, b.build())) {
            CoreRelo r = d.relocation();
            if (r.typeId() != task || r.kind() != CoreReloKind.FIELD_BYTE_OFFSET) {
                continue;
            }
            if (r.accessString().equals("0:" + tgidAccess)) {
                assertEquals(d.result().originalValue() + 256, d.result().newValue(), d.toString());
                moved++;
            } else if (r.accessString().equals("0:" + pidAccess)) {
                assertTrue(d.result().poison(), d.toString());
                missing++;
            }
        }
        assertTrue(moved > 0 && missing > 0, moved + " moved, " + missing + " missing");
    }

    @Test
    void poisonedInstructionsCallTheBadReloHelper() throws IOException {
        ObjectSpec o = core();
        Btf local = o.btf().orElseThrow();
        List<String> log = new ArrayList<>();
        ObjectSpec.Relocated r = o.relocate(CoreTarget.of(withoutFlavors(local).build()), log::add);
        long poisoned = r.decisions().stream().filter(d -> d.result().poison()).count();
        assertTrue(poisoned > 0);
        long calls = r.spec().programs().stream().flatMap(p -> p.instructions().stream())
                .filter(i -> i instanceof io.bpf4j.isa.Instruction.CallHelper c && c.id() == CoreRelocator.POISON_HELPER).count();
        assertTrue(calls >= poisoned, calls + " poison calls for " + poisoned + " poisoned relocations");
        assertEquals(log.stream().filter(l -> l.contains("w/ invalid insn")).count() > 0, true);
    }

    @Test
    void malformedRelocationsFailAsLibbpfDoes() throws IOException {
        Btf local = core().btf().orElseThrow();
        int task = local.findId("task_struct", BtfKind.STRUCT).orElseThrow();
        CoreRelocator engine = new CoreRelocator(local, CoreTarget.of(local), line -> { });
        for (String access : List.of("", ":0", "0:x", "0:999", "0:-1")) {
            CoreRelocationException e = assertThrows(CoreRelocationException.class,
                    () -> engine.resolve("p", 0, new CoreRelo(0, task, access, CoreReloKind.FIELD_BYTE_OFFSET)), access);
            assertTrue(e.getMessage().contains("parsing [" + task + "] struct task_struct + " + access + " failed"), e.getMessage());
        }
        assertThrows(CoreRelocationException.class, () -> engine.resolve("p", 0, new CoreRelo(0, task, "1", CoreReloKind.TYPE_EXISTS)));
        int anon = -1;
        for (int id = 1; id < local.typeCount(); id++) {
            if (local.type(id) instanceof BtfType.Ptr) {
                anon = id;
                break;
            }
        }
        int anonId = anon;
        CoreRelocationException e = assertThrows(CoreRelocationException.class,
                () -> engine.resolve("p", 3, new CoreRelo(0, anonId, "0", CoreReloKind.TYPE_SIZE)));
        assertTrue(e.getMessage().contains("target candidate search failed"), e.getMessage());
        byte[] code = new byte[16];
        code[0] = (byte) 0x95; // exit: nothing CO-RE can patch
        CoreRelocator.Result result = new CoreRelocator.Result(0, 8, false, true, false, 0, 0, 0, 0);
        e = assertThrows(CoreRelocationException.class, () -> engine.patch("p", code, ByteOrder.LITTLE_ENDIAN, 0, 0, result));
        assertTrue(e.getMessage().contains("trying to relocate unrecognized insn #0"), e.getMessage());
        code[0] = 0x61; // r0 = *(u32 *)(r0 + 4), but the compiler is said to have used 0
        code[2] = 4;
        e = assertThrows(CoreRelocationException.class, () -> engine.patch("p", code, ByteOrder.LITTLE_ENDIAN, 0, 0, result));
        assertTrue(e.getMessage().contains("unexpected insn #0 (LDX/ST/STX) value: got 4, exp 0 -> 8"), e.getMessage());
    }

    @Test
    void flavorsShareTheirEssentialName() {
        assertEquals("task_struct".length(), CoreSpec.essentialLength("task_struct___v2"));
        assertEquals("task_struct".length(), CoreSpec.essentialLength("task_struct"));
        assertEquals("a___b".length(), CoreSpec.essentialLength("a___b___c"));
        assertEquals("___x".length(), CoreSpec.essentialLength("___x"));
        assertEquals("x____y".length(), CoreSpec.essentialLength("x____y"));
    }
}
