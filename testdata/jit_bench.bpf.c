// SPDX-License-Identifier: GPL-2.0
// The JIT benchmark's programs (bpf4j-vm's JitBenchmark runs each in the VM's JIT, its
// interpreter and the kernel): CPU-bound XDP programs whose sizes come from the packet,
// so that the compiler cannot fold them, with loops bounded by may_goto (the kernel's
// verifier accepts long loops of it), and a packet parser on a real TCP SYN.
// clang-19 assembles may_goto; -mcpu=v3 keeps v4's bswap out, which bpftool 7.1 cannot print
// (prog dump xlated is checked against it on every testdata program).
// build: compiler=clang-19 -mcpu=v3
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* True while this frame's may_goto count lasts (the kernel's can_loop). */
#define can_loop ({ __label__ l_break, l_continue; int ret = 1;	\
	asm volatile goto("may_goto %l[l_break]" :::: l_break);	\
	goto l_continue;					\
l_break: ret = 0;						\
l_continue:;							\
	ret; })

#define SCRATCH 8192

struct scratch_area {
	__u8 bytes[SCRATCH];
};

/* Working memory of the CPU-bound programs; strcmp_many expects its strings in it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch_area);
} scratch SEC(".maps");

/*
 * Parameter i of a run: the i-th 32-bit word after the Ethernet header. Loops start from
 * ZERO (a parameter that is 0) rather than from a constant: the verifier then follows
 * their counters as ranges instead of walking every iteration. Counts are cut to 16 bits,
 * so that any packet (tests run these on others) keeps a run short; counters that step
 * under a mask that changes nothing keep the verifier's range of them from moving.
 */
static __always_inline __u32 param(struct xdp_md *ctx, int i)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 *p = data + sizeof(struct ethhdr) + 4 * i;

	if ((void *)(p + 1) > end)
		return 0;
	return *p;
}

#define ZERO(ctx) param(ctx, 7)

static __always_inline struct scratch_area *scratch_area(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

/* Primes below n (at most 8192): sieve of Eratosthenes over a byte per number. */
SEC("xdp")
int prime_sieve(struct xdp_md *ctx)
{
	__u32 n = param(ctx, 0), count = 0;
	struct scratch_area *s = scratch_area();

	if (!s)
		return 0;
	if (n > SCRATCH)
		n = SCRATCH;
	for (__u32 i = ZERO(ctx); i < n && can_loop; i++)
		s->bytes[i & (SCRATCH - 1)] = 0;
	for (__u32 i = ZERO(ctx) + 2; i < n && can_loop; i++) {
		if (s->bytes[i & (SCRATCH - 1)])
			continue;
		count++;
		/* The mask changes nothing (j + i < 2 * SCRATCH) but keeps the verifier's range of j bounded. */
		for (__u32 j = i * i; j < n && can_loop; j = (j + i) & (2 * SCRATCH - 1))
			s->bytes[j & (SCRATCH - 1)] = 1;
	}
	return count;
}

/*
 * floor(log2(v)) without a branch: smear the highest set bit into every lower one, count
 * the ones (SWAR popcount), subtract one. (-1 for 0.)
 */
static __always_inline __u32 log2_u64(__u64 v)
{
	v |= v >> 1;
	v |= v >> 2;
	v |= v >> 4;
	v |= v >> 8;
	v |= v >> 16;
	v |= v >> 32;
	v -= (v >> 1) & 0x5555555555555555ULL;
	v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
	v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (__u32)((v * 0x0101010101010101ULL) >> 56) - 1;
}

/* Sum of floor(log2(x)) over n values of a xorshift64 sequence, shifted to every magnitude. */
SEC("xdp")
int log2_many(struct xdp_md *ctx)
{
	__u32 n = param(ctx, 0) & 0xffff;
	__u64 x = param(ctx, 1) | 1, sum = 0;

	for (__u32 i = ZERO(ctx); i < n && can_loop; i = (i + 1) & 0xffff) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* The mask keeps the verifier's range of sum from growing with every iteration. */
		sum = (sum + log2_u64(x >> (i & 63))) & 0x7fffffff;
	}
	return sum;
}

/*
 * Fills the first n 8-byte words of the scratch area from a generator seeded by the
 * packet, then copies them over its second half, rounds times; returns two of the copies.
 */
SEC("xdp")
int memcpy_words(struct xdp_md *ctx)
{
	__u32 n = param(ctx, 0) & 511, rounds = param(ctx, 1) & 0xff;
	__u64 x = param(ctx, 2);
	struct scratch_area *s = scratch_area();

	if (!s)
		return 0;
	__u64 *from = (__u64 *)s->bytes, *to = (__u64 *)(s->bytes + SCRATCH / 2);
	for (__u32 i = ZERO(ctx); i < n && can_loop; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		from[i & 511] = x;
	}
	for (__u32 r = ZERO(ctx); r < rounds && can_loop; r++)
		for (__u32 i = ZERO(ctx); i < n && can_loop; i++)
			to[i & 511] = from[i & 511];
	return to[(n / 2) & 511] ^ to[(n - 1) & 511];
}

#define STRINGS 32
#define STRING_SIZE 128

/*
 * Compares the key (string 0 of the scratch area) with strings 1..STRINGS-1 byte by byte,
 * as strcmp does, rounds times; returns how many are below it, plus the position of the
 * last difference.
 */
SEC("xdp")
int strcmp_many(struct xdp_md *ctx)
{
	__u32 rounds = param(ctx, 0) & 0xff, below = 0, last = 0;
	struct scratch_area *s = scratch_area();

	if (!s)
		return 0;
	for (__u32 r = ZERO(ctx); r < rounds && can_loop; r++) {
		for (__u32 k = ZERO(ctx) + 1; k < STRINGS && can_loop; k++) {
			__u32 at = k;

			barrier_var(at);
			__u8 *a = s->bytes, *b = s->bytes + (at & (STRINGS - 1)) * STRING_SIZE;
			__u32 i = ZERO(ctx);
			int diff = 0;

			for (; i < STRING_SIZE && can_loop; i++) {
				__u8 ca = a[i & (STRING_SIZE - 1)], cb = b[i & (STRING_SIZE - 1)];

				diff = (int)ca - (int)cb;
				if (diff || !ca)
					break;
			}
			if (diff > 0)
				below++;
			last = i;
		}
	}
	return below * 1000 + last;
}

/* A little virtual machine: n steps of a 16-way switch driven by a linear congruential generator. */
SEC("xdp")
int switch_vm(struct xdp_md *ctx)
{
	__u32 n = param(ctx, 0) & 0xffff;
	__u64 x = param(ctx, 1), a = 1, b = 2, c = 3, acc = 0;

	for (__u32 i = ZERO(ctx); i < n && can_loop; i = (i + 1) & 0xffff) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		switch (x >> 60) {
		case 0: acc += a; break;
		case 1: acc ^= b; break;
		case 2: a += acc >> 3; break;
		case 3: b = b * 3 + 1; break;
		case 4: c -= a; break;
		case 5: acc = (acc << 1) | (acc >> 63); break;
		case 6: a ^= c; break;
		case 7: b += i; break;
		case 8: c = ~c; break;
		case 9: acc -= c; break;
		case 10: a = a * 5; break;
		case 11: b ^= acc; break;
		case 12: c += b >> 2; break;
		case 13: acc += i * 7; break;
		case 14: a -= b; break;
		default: acc ^= x; break;
		}
	}
	return acc + a + b + c;
}

struct flow_key {
	__u32 src;
	__u32 dst;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct flow_stats {
	__u64 packets;
	__u64 bytes;
	__u64 syns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
} flows SEC(".maps");

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* Folds the one's complement sum of an IPv4 header; 0 when its checksum is right. */
static __always_inline __u16 ipv4_checksum(struct iphdr *ip, void *end)
{
	__u32 sum = 0;
	__u16 *p = (__u16 *)ip;

	for (int i = 0; i < 30; i++) {
		if (i >= ip->ihl * 2 || (void *)(p + i + 1) > end)
			break;
		sum += p[i];
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/*
 * Parses Ethernet, up to two VLAN tags, IPv4 (checksum checked) or IPv6, and TCP or UDP,
 * counts the packet per flow in a per-CPU hash map, and drops malformed packets and
 * TCP packets with both SYN and FIN.
 */
SEC("xdp")
int xdp_parse(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct flow_key key = {};
	void *l4;
	__u16 proto;
	int syn = 0;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	proto = eth->h_proto;
	l4 = eth + 1;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_hdr *vlan = l4;
		if ((void *)(vlan + 1) > end)
			return XDP_DROP;
		proto = vlan->proto;
		l4 = vlan + 1;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l4;
		if ((void *)(ip + 1) > end || ip->ihl < 5 || ipv4_checksum(ip, end))
			return XDP_DROP;
		key.src = ip->saddr;
		key.dst = ip->daddr;
		key.proto = ip->protocol;
		l4 = (void *)ip + ip->ihl * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l4;
		if ((void *)(ip6 + 1) > end)
			return XDP_DROP;
		key.src = ip6->saddr.in6_u.u6_addr32[0] ^ ip6->saddr.in6_u.u6_addr32[3];
		key.dst = ip6->daddr.in6_u.u6_addr32[0] ^ ip6->daddr.in6_u.u6_addr32[3];
		key.proto = ip6->nexthdr;
		l4 = ip6 + 1;
	} else {
		return XDP_PASS;
	}
	if (key.proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		if ((void *)(tcp + 1) > end)
			return XDP_DROP;
		if (tcp->syn && tcp->fin)
			return XDP_DROP;
		syn = tcp->syn;
		key.sport = bpf_ntohs(tcp->source);
		key.dport = bpf_ntohs(tcp->dest);
	} else if (key.proto == IPPROTO_UDP) {
		struct udphdr *udp = l4;
		if ((void *)(udp + 1) > end)
			return XDP_DROP;
		key.sport = bpf_ntohs(udp->source);
		key.dport = bpf_ntohs(udp->dest);
	}
	struct flow_stats *stats = bpf_map_lookup_elem(&flows, &key);
	if (stats) {
		stats->packets++;
		stats->bytes += end - data;
		stats->syns += syn;
	} else {
		struct flow_stats first = {1, end - data, syn};
		bpf_map_update_elem(&flows, &key, &first, BPF_ANY);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
