package io.bpf4j.bcc;

import io.bpf4j.MapType;
import io.bpf4j.kernel.KernelMap;
import io.bpf4j.kernel.TypedMap;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;

/**
 * A kernel map as a live {@link java.util.Map}: every call reads or writes the kernel's map.
 * Iteration walks the keys as the kernel gives them; entries deleted meanwhile are skipped.
 * Array elements cannot be deleted, so removing one zeroes it.
 */
abstract class MapView<K, T> extends AbstractMap<K, T> {
    private final String name;
    private final TypedMap<K, ?> map;
    private final Class<K> keyType;
    private final T zero;

    MapView(String name, TypedMap<K, ?> map, Class<K> keyType, T zero) {
        this.name = name;
        this.map = map;
        this.keyType = keyType;
        this.zero = zero;
    }

    /** The value under {@code key}, if any. */
    abstract Optional<T> read(K key);

    /** Stores {@code value} under {@code key}. */
    abstract void write(K key, T value);

    /** The map's name in its object. */
    public String name() {
        return name;
    }

    /** The kernel map underneath. */
    public KernelMap kernelMap() {
        return map.map();
    }

    @Override
    public T get(Object key) {
        return keyType.isInstance(key) ? read(keyType.cast(key)).orElse(null) : null;
    }

    @Override
    public boolean containsKey(Object key) {
        return get(key) != null;
    }

    /** Stores {@code value} under {@code key} and returns the value it had, or null. */
    @Override
    public T put(K key, T value) {
        T old = read(key).orElse(null);
        write(key, value);
        return old;
    }

    /** Deletes {@code key} (zeroes it in an array) and returns the value it had, or null. */
    @Override
    public T remove(Object key) {
        T old = get(key);
        if (old != null) {
            delete(keyType.cast(key));
        }
        return old;
    }

    private void delete(K key) {
        MapType t = map.map().type();
        if (t == MapType.ARRAY || t == MapType.PERCPU_ARRAY) {
            write(key, zero);
        } else {
            map.remove(key);
        }
    }

    /** Deletes every entry (zeroes every element of an array), as BCC's {@code clear()}. */
    @Override
    public void clear() {
        List<K> keys = new ArrayList<>();
        map.keys().forEach(keys::add);
        keys.forEach(this::delete);
    }

    /** A live view: iterating reads the kernel's map; {@code Iterator.remove} deletes from it. */
    @Override
    public Set<Entry<K, T>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<K, T>> iterator() {
                Iterator<K> keys = map.keys().iterator();
                return new Iterator<>() {
                    private Entry<K, T> next;
                    private K last;

                    @Override
                    public boolean hasNext() {
                        while (next == null && keys.hasNext()) {
                            K k = keys.next();
                            next = read(k).map(v -> Map.entry(k, v)).orElse(null);
                        }
                        return next != null;
                    }

                    @Override
                    public Entry<K, T> next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        Entry<K, T> e = next;
                        next = null;
                        last = e.getKey();
                        return e;
                    }

                    @Override
                    public void remove() {
                        if (last == null) {
                            throw new IllegalStateException("next() first");
                        }
                        delete(last);
                        last = null;
                    }
                };
            }

            @Override
            public int size() {
                int n = 0;
                for (K ignored : map.keys()) {
                    n++;
                }
                return n;
            }
        };
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + ": " + map.map() + "]";
    }
}
