package io.bpf4j.vm;

import java.util.Arrays;

/**
 * The regions that outlive a single run (map values, map handles, ring buffer data),
 * shared by every execution in one {@link Vm}. Ids below {@link Memory#LOCAL_REGIONS}
 * belong to each execution (stack frames, context, packet); ids from there on are
 * handed out here and never reused, so a stale pointer can never reach a newer region.
 */
final class AddressSpace {
    private static final Region CLOSED = Region.invalid("a closed map");

    private Region[] regions = new Region[Memory.LOCAL_REGIONS * 2];
    private int next = Memory.LOCAL_REGIONS;
    private volatile Region[] published = regions.clone();

    /** Adds a region; returns the address of its offset 0. */
    synchronized long add(Region region) {
        if (next == regions.length) {
            regions = Arrays.copyOf(regions, regions.length * 2);
        }
        int id = next++;
        regions[id] = region;
        published = Arrays.copyOf(regions, next);
        return Memory.address(id, 0);
    }

    synchronized void remove(long address) {
        int id = Memory.regionId(address);
        regions[id] = CLOSED;
        published = Arrays.copyOf(regions, next);
    }

    /** The current table; slots below LOCAL_REGIONS are null, for the execution to fill. */
    Region[] table() {
        return published;
    }
}
