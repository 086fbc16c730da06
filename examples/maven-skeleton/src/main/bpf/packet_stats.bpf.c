// SPDX-License-Identifier: GPL-2.0
// XDP packet statistics: packets and bytes per (address family, IP protocol) in a hash map
// of structs, a total in .bss, and a destination port set in .rodata before load whose
// packets are dropped and reported through a ring buffer. Built by bpf4j-maven-plugin
// against the vmlinux.h it generates from the kernel's BTF.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

struct proto_key {
	__u16 family;		/* ETH_P_IP or ETH_P_IPV6 */
	__u8 protocol;		/* IPPROTO_* */
};

struct stats {
	__u64 packets;
	__u64 bytes;
};

struct drop_event {
	__u8 protocol;
	__u16 port;
	__u32 len;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct proto_key);
	__type(value, struct stats);
} stats_by_proto SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} drops SEC(".maps");

const volatile __u16 blocked_port = 0;	/* 0: drop nothing */
__u64 total_packets = 0;
struct drop_event last_drop = {};

SEC("xdp")
int packet_stats(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct proto_key key = {};
	__u16 port = 0;
	void *l4;

	__sync_fetch_and_add(&total_packets, 1);
	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	key.family = bpf_ntohs(eth->h_proto);
	if (key.family == ETH_P_IP) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > end)
			return XDP_PASS;
		key.protocol = ip->protocol;
		l4 = (void *)ip + ip->ihl * 4;
	} else if (key.family == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > end)
			return XDP_PASS;
		key.protocol = ip6->nexthdr;
		l4 = ip6 + 1;
	} else {
		return XDP_PASS;
	}
	if (key.protocol == IPPROTO_UDP || key.protocol == IPPROTO_TCP) {
		struct udphdr *ports = l4;	/* TCP's ports are where UDP's are */
		if ((void *)(ports + 1) > end)
			return XDP_PASS;
		port = bpf_ntohs(ports->dest);
	}

	__u32 len = end - data;
	struct stats *s = bpf_map_lookup_elem(&stats_by_proto, &key);
	if (s) {
		__sync_fetch_and_add(&s->packets, 1);
		__sync_fetch_and_add(&s->bytes, len);
	} else {
		struct stats first = { .packets = 1, .bytes = len };
		bpf_map_update_elem(&stats_by_proto, &key, &first, BPF_NOEXIST);
	}

	if (blocked_port && port == blocked_port) {
		struct drop_event e = { .protocol = key.protocol, .port = port, .len = len };
		last_drop = e;
		bpf_ringbuf_output(&drops, &e, sizeof(e), 0);
		return XDP_DROP;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
