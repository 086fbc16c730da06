// SPDX-License-Identifier: GPL-2.0
// build: -target bpfeb
// Big-endian object: the same encodings with swapped register nibbles and byte order.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

__u64 big_constant = 0x1122334455667788ULL;

static __noinline __u64 mix(__u64 a, __u32 b)
{
	return (a ^ big_constant) * 31 + (b >> 3) - (a << 7);
}

SEC("xdp")
int big_endian(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index & 3;
	__u64 *value = bpf_map_lookup_elem(&stats, &key);

	if (!value)
		return XDP_ABORTED;
	*value = mix(*value, ctx->data_end - ctx->data);
	return *value > 0xffffffffULL ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
