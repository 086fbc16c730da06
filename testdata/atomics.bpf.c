// SPDX-License-Identifier: GPL-2.0
// build: -mcpu=v3
// Every atomic operation on 32- and 64-bit globals, plus ALU32 and JMP32 forms (-mcpu=v3).
// LLVM 14's llvm-objdump decodes several 32-bit atomics wrongly or not at all; that is
// what bpf4j must reproduce.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u32 counter32;
__u64 counter64;
__u32 results32[8];
__u64 results64[8];

SEC("xdp")
int atomics(struct xdp_md *ctx)
{
	__u32 v = ctx->ingress_ifindex;

	__sync_fetch_and_add(&counter64, 1);
	__sync_fetch_and_or(&counter64, 2);
	__sync_fetch_and_and(&counter64, ~4ULL);
	__sync_fetch_and_xor(&counter64, 8);
	results64[0] = __sync_fetch_and_add(&counter64, v);
	results64[1] = __sync_fetch_and_or(&counter64, v);
	results64[2] = __sync_fetch_and_and(&counter64, v);
	results64[3] = __sync_fetch_and_xor(&counter64, v);
	results64[4] = __sync_lock_test_and_set(&counter64, v);
	results64[5] = __sync_val_compare_and_swap(&counter64, v, 7);

	__sync_fetch_and_add(&counter32, 1);
	__sync_fetch_and_or(&counter32, 2);
	__sync_fetch_and_and(&counter32, ~4U);
	__sync_fetch_and_xor(&counter32, 8);
	results32[0] = __sync_fetch_and_add(&counter32, v);
	results32[1] = __sync_fetch_and_or(&counter32, v);
	results32[2] = __sync_fetch_and_and(&counter32, v);
	results32[3] = __sync_fetch_and_xor(&counter32, v);
	results32[4] = __sync_lock_test_and_set(&counter32, v);
	results32[5] = __sync_val_compare_and_swap(&counter32, v, 7);

	if (v > 10 && v != counter32)
		return XDP_DROP;
	return (int)(v * 3 - (v >> 2)) < 0 ? XDP_PASS : XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
