package io.bpf4j.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.bpf4j.BpfException;
import io.bpf4j.BpfMap;
import io.bpf4j.MapType;
import io.bpf4j.kernel.BpfSyscallException;
import io.bpf4j.kernel.Kernel;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.MapDefinition;
import io.bpf4j.kernel.testing.KernelTest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernel is the oracle: the same random sequence of operations (lookups, updates with
 * every flag, deletes, iteration, pushes and pops) goes to a kernel map and to a VM map of
 * the same definition, and every outcome (the value, or the errno) must be the same, and
 * so must the final contents. Hash iteration order is the kernel's own (it depends on a
 * random seed), so for hash maps only the set of keys is compared; LPM tries must iterate
 * in exactly the kernel's order.
 */
@KernelTest
class MapDifferentialTest {
    private static final HexFormat HEX = HexFormat.of();

    static Stream<Arguments> maps() {
        return Stream.of(
                Arguments.of(MapType.ARRAY, 4, 8, 8, 0, false),
                Arguments.of(MapType.PERCPU_ARRAY, 4, 12, 4, 0, false),
                Arguments.of(MapType.HASH, 4, 8, 6, 0, true),
                Arguments.of(MapType.HASH, 6, 4, 6, VmMap.F_NO_PREALLOC, true),
                Arguments.of(MapType.PERCPU_HASH, 8, 4, 6, 0, true),
                Arguments.of(MapType.LRU_HASH, 4, 8, 64, 0, true),
                Arguments.of(MapType.LPM_TRIE, 8, 4, 10, VmMap.F_NO_PREALLOC, false),
                Arguments.of(MapType.QUEUE, 0, 4, 5, 0, false),
                Arguments.of(MapType.STACK, 0, 4, 5, 0, false));
    }

    @ParameterizedTest(name = "{0} key {1} value {2} max {3} flags {4}")
    @MethodSource("maps")
    void sameOutcomesAsTheKernel(MapType type, int keySize, int valueSize, int maxEntries, int flags, boolean hashOrder) {
        SplittableRandom random = new SplittableRandom(type.ordinal() * 31L + keySize);
        try (Vm vm = Vm.builder().cpus(Kernel.possibleCpus()).build();
                KernelMap kernel = KernelMap.create(MapDefinition.of(type, keySize, valueSize, maxEntries).withFlags(flags))) {
            VmMap ours = vm.createMap(VmMapSpec.of("diff", type, keySize, valueSize, maxEntries).withFlags(flags));
            assertEquals(kernel.valueBufferSize(), ours.userValueSize(), "value buffer size");
            boolean queue = type == MapType.QUEUE || type == MapType.STACK;
            List<String> log = new ArrayList<>();
            for (int step = 0; step < 400; step++) {
                byte[] key = key(random, type, keySize);
                byte[] value = new byte[ours.userValueSize()];
                random.nextBytes(value);
                long updateFlags = new long[] {0, 0, 1, 2, 7}[random.nextInt(5)];
                int op = random.nextInt(queue ? 3 : 4);
                String kernelOutcome = outcome(kernel, op, key, value, updateFlags, queue, hashOrder);
                String vmOutcome = outcome(ours, op, key, value, updateFlags, queue, hashOrder);
                log.add(step + ": op " + op + " key " + HEX.formatHex(key) + " flags " + updateFlags + " -> " + kernelOutcome);
                assertEquals(kernelOutcome, vmOutcome, "step " + step + " of\n" + String.join("\n", log));
            }
            if (!queue) {
                assertEquals(contents(kernel, hashOrder), contents(ours, hashOrder), "final contents");
            }
        }
    }

    /** Keys from a small space so that operations meet; LPM keys get a prefix length, sometimes too long. */
    private static byte[] key(SplittableRandom random, MapType type, int keySize) {
        byte[] key = new byte[keySize];
        if (type == MapType.LPM_TRIE) {
            int bits = (keySize - 4) * 8;
            Memory.putInt(key, 0, random.nextInt(20) == 0 ? bits + 1 : random.nextInt(bits + 1));
            for (int i = 4; i < keySize; i++) {
                key[i] = (byte) (random.nextBoolean() ? 0xc0 : random.nextInt(4) << 6);
            }
        } else if (keySize > 0) {
            key[0] = (byte) random.nextInt(type == MapType.LRU_HASH ? 16 : 10);
        }
        return key;
    }

    private static String outcome(BpfMap map, int op, byte[] key, byte[] value, long flags, boolean queue,
            boolean hashOrder) {
        try {
            if (queue) {
                return switch (op) {
                    case 0 -> push(map, value, flags);
                    case 1 -> show(map instanceof VmQueueMap q ? q.pop() : ((KernelMap) map).pop());
                    default -> show(map.lookup(key));
                };
            }
            return switch (op) {
                case 0 -> show(map.lookup(key));
                case 1 -> {
                    map.update(key, value, flags);
                    yield "updated";
                }
                case 2 -> "deleted " + map.delete(key);
                default -> hashOrder && map.lookup(key).isPresent() ? "next of a present key: the kernel's own order"
                        : hashOrder ? "next of an absent key is the first " + map.nextKey(key).isPresent()
                        : "next " + map.nextKey(key).map(HEX::formatHex).orElse("end");
            };
        } catch (BpfException e) {
            return "errno " + errno(e);
        }
    }

    private static String push(BpfMap map, byte[] value, long flags) {
        if (map instanceof VmQueueMap q) {
            q.push(value, flags);
        } else {
            ((KernelMap) map).push(value, flags);
        }
        return "pushed";
    }

    private static String errno(BpfException e) {
        return switch (e) {
            case VmMapException v -> v.errnoName();
            case BpfSyscallException k -> k.errnoName();
            default -> throw e;
        };
    }

    private static String show(java.util.Optional<byte[]> value) {
        return value.map(HEX::formatHex).orElse("none");
    }

    private static List<String> contents(BpfMap map, boolean hashOrder) {
        List<String> entries = new ArrayList<>();
        for (byte[] k = map.nextKey(null).orElse(null); k != null; k = map.nextKey(k).orElse(null)) {
            entries.add(HEX.formatHex(k) + "=" + show(map.lookup(k)));
            if (entries.size() > 10_000) {
                throw new AssertionError("iteration does not end");
            }
        }
        return hashOrder ? new ArrayList<>(new TreeSet<>(entries)) : entries;
    }
}
