/* bpf4j's BPF-side helpers, part of the prelude BpfCompiler gives every source. */
#ifndef __BPF4J_H__
#define __BPF4J_H__

/* floor(log2(v)) for v > 0, by halving the range to test (0 for 0) */
static __always_inline __u32 bpf4j_log2(__u32 v)
{
	__u32 r, shift;

	r = (v > 0xFFFF) << 4;
	v >>= r;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	return r | (v >> 1);
}

/*
 * The slot of v in a log2 histogram, as BCC's bpf_log2l and bpf4j's Log2Histogram.slot:
 * 1 for 0 and 1, 2 for 2 and 3, 3 for 4 to 7 ... 64 for values of 2^63 and more.
 */
static __always_inline __u32 bpf4j_log2l(__u64 v)
{
	__u32 high = v >> 32;

	return high ? bpf4j_log2(high) + 33 : bpf4j_log2((__u32)v) + 1;
}

/* Adds inc to the __u64 counter under key in a hash or array map, creating it when missing. */
static __always_inline void bpf4j_add(void *map, const void *key, __u64 inc)
{
	__u64 *value = bpf_map_lookup_elem(map, key);

	if (!value) {
		__u64 zero = 0;

		/* another CPU may make it meanwhile: then this adds to that one */
		bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
		value = bpf_map_lookup_elem(map, key);
		if (!value)
			return;
	}
	__sync_fetch_and_add(value, inc);
}

#endif /* __BPF4J_H__ */
