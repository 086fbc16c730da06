package io.bpf4j.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A table of values by object id that yields, for one id, its values in the order bpftool's
 * libbpf hashmap does: each new value goes first, and every time the table grows (when
 * empty, then past 75% of a power-of-two capacity of at least 4) the values of each id
 * come out reversed.
 */
final class IdTable<V> {
    private final Map<Integer, List<V>> values = new HashMap<>();
    private long size;
    private long capacity;
    private int capacityBits;

    void append(int id, V value) {
        if (capacity == 0 || (size + 1) * 4 / 3 > capacity) {
            capacityBits = Math.max(capacityBits + 1, 2);
            capacity = 1L << capacityBits;
            values.values().forEach(Collections::reverse);
        }
        values.computeIfAbsent(id, k -> new ArrayList<>()).addFirst(value);
        size++;
    }

    List<V> get(int id) {
        return values.getOrDefault(id, List.of());
    }

    boolean isEmpty() {
        return size == 0;
    }
}
