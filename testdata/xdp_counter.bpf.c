// SPDX-License-Identifier: GPL-2.0
// XDP packet counter: BTF-defined array and hash maps, .data/.bss/.rodata globals, helper
// calls, 64-bit atomics and packet bounds checks. The README's first example.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} bytes_by_len SEC(".maps");

volatile const __u32 drop_proto = 0;	/* .rodata: set before load */
__u64 packets = 0;			/* .bss */
__u64 ipv4_packets = 1;			/* .data */

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	__sync_fetch_and_add(&packets, 1);
	if ((void *)(eth + 1) > end)
		return XDP_PASS;

	__u32 key = bpf_ntohs(eth->h_proto) & 0xff;
	__u64 *count = bpf_map_lookup_elem(&proto_count, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		ipv4_packets++;

	__u32 len = end - data;
	__u64 one = 1;
	__u64 *bytes = bpf_map_lookup_elem(&bytes_by_len, &len);
	if (bytes)
		*bytes += len;
	else
		bpf_map_update_elem(&bytes_by_len, &len, &one, BPF_ANY);

	return key == drop_proto ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
