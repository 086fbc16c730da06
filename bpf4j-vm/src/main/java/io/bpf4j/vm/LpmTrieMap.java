package io.bpf4j.vm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code BPF_MAP_TYPE_LPM_TRIE}: keys are {@code struct bpf_lpm_trie_key} (a {@code u32}
 * prefix length, then the data bytes); lookup returns the value of the longest stored
 * prefix that matches the key's first {@code prefixlen} bits. Built as the kernel builds
 * it (a path-compressed binary trie whose intermediate nodes have exactly two children),
 * so that iteration visits keys in the kernel's order: post-order, more specific
 * prefixes before the prefixes that cover them. A full trie answers {@code ENOSPC}, as
 * the kernel's does.
 */
final class LpmTrieMap extends VmMap {
    private static final class Node {
        int prefixLength;
        byte[] data;
        boolean intermediate;
        int slot = -1;
        final Node[] child = new Node[2];
    }

    private final int dataSize;
    private final int maxPrefix;
    private final int stride;
    private final byte[] values;
    private final long valuesBase;
    private final int[] freeSlots;
    private int freeCount;
    private Node root;
    private int entries;

    LpmTrieMap(Vm vm, VmMapSpec spec) {
        super(vm, check(spec));
        dataSize = spec.keySize() - 4;
        maxPrefix = dataSize * 8;
        stride = roundUp8(spec.valueSize());
        long bytes = (long) stride * spec.maxEntries();
        if (bytes > Integer.MAX_VALUE - 16) {
            throw invalidSpec(spec, Errno.ENOMEM, "the map needs more memory than the VM can hold");
        }
        values = new byte[(int) bytes];
        valuesBase = vm.space.add(new Region(Region.Kind.MAP_VALUES, "values of map '" + spec.name() + "'", values, 0,
                values.length, (spec.flags() & F_RDONLY_PROG) != 0, this, null));
        freeSlots = new int[spec.maxEntries()];
        for (int i = 0; i < freeSlots.length; i++) {
            freeSlots[i] = freeSlots.length - 1 - i;
        }
        freeCount = freeSlots.length;
    }

    private static VmMapSpec check(VmMapSpec spec) {
        int data = spec.keySize() - 4;
        if (data < 1 || data > 256 || spec.valueSize() < 1 || spec.maxEntries() <= 0) {
            throw invalidSpec(spec, Errno.EINVAL, "LPM tries need 1 to 256 data bytes after the u32 prefix length, "
                    + "a value size and max_entries above 0");
        }
        if ((spec.flags() & F_NO_PREALLOC) == 0) {
            throw invalidSpec(spec, Errno.EINVAL, "LPM tries must be created with BPF_F_NO_PREALLOC");
        }
        return spec;
    }

    private static boolean bit(byte[] data, int off, int index) {
        return (data[off + index / 8] & (0x80 >>> (index % 8))) != 0;
    }

    /** How many leading bits the node and the key share, up to the shorter prefix. */
    private int match(Node node, byte[] key, int keyOff, int keyPrefix) {
        int limit = Math.min(node.prefixLength, keyPrefix);
        int n = 0;
        while (n < limit) {
            int i = n / 8;
            int diff = (node.data[i] ^ key[keyOff + 4 + i]) & 0xff;
            if (diff != 0) {
                return Math.min(limit, n + Integer.numberOfLeadingZeros(diff) - 24);
            }
            n += 8;
        }
        return limit;
    }

    /**
     * The kernel's descent towards a key in update, delete and get_next_key: past every node
     * whose whole prefix the key matches and that is shorter than the key's, recording them.
     */
    private record Walk(List<Node> ancestors, Node node, int matched) {
        Node parent() {
            return ancestors.isEmpty() ? null : ancestors.getLast();
        }
    }

    private Walk walk(byte[] key, int keyOff, int prefix) {
        List<Node> ancestors = new ArrayList<>();
        Node node = root;
        int matched = 0;
        while (node != null) {
            matched = match(node, key, keyOff, prefix);
            if (node.prefixLength != matched || node.prefixLength == prefix) {
                break;
            }
            ancestors.add(node);
            node = node.child[bit(key, keyOff + 4, node.prefixLength) ? 1 : 0];
        }
        return new Walk(ancestors, node, matched);
    }

    /** Replaces the child of {@code parent} on the key's side (the root when parent is null) with {@code node}. */
    private void replaceChild(Node parent, byte[] key, int keyOff, Node node) {
        if (parent == null) {
            root = node;
        } else {
            parent.child[bit(key, keyOff + 4, parent.prefixLength) ? 1 : 0] = node;
        }
    }

    private synchronized Node longestMatch(byte[] key, int keyOff) {
        int prefix = Memory.getInt(key, keyOff);
        if (Integer.compareUnsigned(prefix, maxPrefix) > 0) {
            return null;
        }
        Node found = null;
        for (Node node = root; node != null; ) {
            int matched = match(node, key, keyOff, prefix);
            if (matched == maxPrefix) {
                found = node;
                break;
            }
            if (matched < node.prefixLength) {
                break;
            }
            if (!node.intermediate) {
                found = node;
            }
            node = node.child[bit(key, keyOff + 4, node.prefixLength) ? 1 : 0];
        }
        return found;
    }

    @Override
    long lookup(Execution ex, byte[] keyBuf, int keyOff) {
        Node n = longestMatch(keyBuf, keyOff);
        return n == null ? 0 : valuesBase + (long) n.slot * stride;
    }

    @Override
    synchronized int update(Execution ex, byte[] keyBuf, int keyOff, byte[] valueBuf, int valueOff, long flags) {
        int prefix = Memory.getInt(keyBuf, keyOff);
        if (flags < 0 || flags > UPDATE_EXIST || Integer.compareUnsigned(prefix, maxPrefix) > 0) {
            return -Errno.EINVAL;
        }
        Walk w = walk(keyBuf, keyOff, prefix);
        Node node = w.node();
        int matched = w.matched();
        boolean exact = node != null && node.prefixLength == matched && matched == prefix;
        if (exact && !node.intermediate) {
            if (flags == UPDATE_NOEXIST) {
                return -Errno.EEXIST;
            }
            System.arraycopy(valueBuf, valueOff, values, node.slot * stride, valueSize());
            node.data = Arrays.copyOfRange(keyBuf, keyOff + 4, keyOff + 4 + dataSize);
            return 0;
        }
        if (flags == UPDATE_EXIST) {
            return -Errno.ENOENT;
        }
        if (entries == maxEntries()) {
            return -Errno.ENOSPC;
        }
        Node fresh = new Node();
        fresh.prefixLength = prefix;
        fresh.data = Arrays.copyOfRange(keyBuf, keyOff + 4, keyOff + 4 + dataSize);
        fresh.slot = freeSlots[--freeCount];
        System.arraycopy(valueBuf, valueOff, values, fresh.slot * stride, valueSize());
        entries++;
        Node replacement;
        if (node == null) {
            replacement = fresh;
        } else if (exact) { // an intermediate node of the same prefix becomes a real one
            fresh.child[0] = node.child[0];
            fresh.child[1] = node.child[1];
            replacement = fresh;
        } else if (matched == prefix) { // the new prefix covers the node: insert above it
            fresh.child[bit(node.data, 0, matched) ? 1 : 0] = node;
            replacement = fresh;
        } else {
            Node split = new Node();
            split.prefixLength = matched;
            split.intermediate = true;
            split.data = node.data.clone();
            boolean right = bit(keyBuf, keyOff + 4, matched);
            split.child[right ? 0 : 1] = node;
            split.child[right ? 1 : 0] = fresh;
            replacement = split;
        }
        replaceChild(w.parent(), keyBuf, keyOff, replacement);
        return 0;
    }

    @Override
    synchronized int delete(Execution ex, byte[] keyBuf, int keyOff) {
        int prefix = Memory.getInt(keyBuf, keyOff);
        if (Integer.compareUnsigned(prefix, maxPrefix) > 0) {
            return -Errno.EINVAL;
        }
        Walk w = walk(keyBuf, keyOff, prefix);
        Node node = w.node();
        int matched = w.matched();
        Node parent = w.parent();
        if (node == null || node.prefixLength != prefix || node.prefixLength != matched || node.intermediate) {
            return -Errno.ENOENT;
        }
        entries--;
        freeSlots[freeCount++] = node.slot;
        if (node.child[0] != null && node.child[1] != null) {
            node.intermediate = true;
            node.slot = -1;
            return 0;
        }
        if (parent != null && parent.intermediate && node.child[0] == null && node.child[1] == null) {
            // The intermediate parent is left with one child: that child takes its place.
            Node other = parent.child[0] == node ? parent.child[1] : parent.child[0];
            List<Node> up = w.ancestors();
            replaceChild(up.size() < 2 ? null : up.get(up.size() - 2), keyBuf, keyOff, other);
            return 0;
        }
        replaceChild(parent, keyBuf, keyOff, node.child[0] != null ? node.child[0] : node.child[1]);
        return 0;
    }

    @Override
    Optional<byte[]> userLookup(byte[] key) {
        Node n = longestMatch(key, 0);
        return n == null ? Optional.empty() : Optional.of(Arrays.copyOfRange(values, n.slot * stride,
                n.slot * stride + valueSize()));
    }

    @Override
    int userUpdate(byte[] key, byte[] value, long flags) {
        return update(null, key, 0, value, 0, flags);
    }

    @Override
    int userDelete(byte[] key) {
        return delete(null, key, 0);
    }

    @Override
    synchronized byte[] userNextKey(byte[] key) {
        if (root == null) {
            return null;
        }
        Node next;
        if (key == null || Integer.compareUnsigned(Memory.getInt(key, 0), maxPrefix) > 0) {
            next = leftmost(root);
        } else {
            next = successor(key);
            if (next == null) {
                return null;
            }
        }
        byte[] out = new byte[keySize()];
        Memory.putInt(out, 0, next.prefixLength);
        System.arraycopy(next.data, 0, out, 4, dataSize);
        return out;
    }

    /** The node after the exact match of {@code key} in post-order; the leftmost node when there is no exact match; null at the end. */
    private Node successor(byte[] key) {
        Walk w = walk(key, 0, Memory.getInt(key, 0));
        Node node = w.node();
        if (node == null || node.prefixLength != w.matched() || node.intermediate) {
            return leftmost(root);
        }
        List<Node> stack = new ArrayList<>(w.ancestors());
        stack.add(node);
        int top = stack.size() - 1;
        while (top > 0) {
            Node parent = stack.get(top - 1);
            if (parent.child[0] == node && parent.child[1] != null) {
                return leftmost(parent.child[1]);
            }
            if (!parent.intermediate) {
                return parent;
            }
            node = parent;
            top--;
        }
        return null;
    }

    /** The first non-intermediate node of a subtree in post-order. */
    private static Node leftmost(Node start) {
        Node result = null;
        for (Node node = start; node != null; ) {
            if (node.intermediate) {
                node = node.child[0];
            } else {
                result = node;
                node = node.child[0] != null ? node.child[0] : node.child[1];
            }
        }
        return result;
    }
}
