// SPDX-License-Identifier: GPL-2.0
// Classic socket filter with the legacy packet loads (LD ABS and LD IND), which clang
// emits for these LLVM intrinsics.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

SEC("socket")
int tcp_only(struct __sk_buff *skb)
{
	if (load_half(skb, offsetof(struct ethhdr, h_proto)) != ETH_P_IP)
		return 0;
	if (load_byte(skb, ETH_HLEN + offsetof(struct iphdr, protocol)) != IPPROTO_TCP)
		return 0;
	__u32 ihl = (load_byte(skb, ETH_HLEN) & 0x0f) << 2;
	__u32 ports = load_word(skb, ETH_HLEN + ihl);
	__u32 flags = load_byte(skb, ETH_HLEN + ihl + 13);
	return (ports & 0xffff) == 80 || (flags & 0x02) ? -1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
