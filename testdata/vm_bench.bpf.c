// SPDX-License-Identifier: GPL-2.0
// CPU-bound XDP programs for scripts/bench-vm: the VM's interpreter against the kernel's
// JIT on the same bytecode. Each reads a seed from the packet so that nothing folds at
// compile time, and returns a value that depends on all of its work.
// build: -mcpu=v3
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __always_inline __u32 seed(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;

	if (data + 4 > end)
		return 0;
	return data[0] | data[1] << 8 | data[2] << 16 | (__u32)data[3] << 24;
}

/*
 * Sieve of Eratosthenes below 256; returns the number of primes below a limit from the
 * packet. Branch-free inside the loops, so that the verifier need not explore a path per
 * outcome: composite[] holds only 0 and 1.
 */
SEC("xdp")
int sieve(struct xdp_md *ctx)
{
	__u8 composite[256];
	__u32 limit = 128 + (seed(ctx) & 127);
	__u32 count = 0;

	for (int i = 0; i < 256; i++)
		composite[i] = 0;
	for (int i = 2; i < 16; i++) {
		__u8 prime = composite[i] ^ 1;

		for (int j = i * i; j < 256; j += i)
			composite[j] |= prime;
	}
	for (__u32 i = 2; i < 256; i++)
		count += (composite[i] ^ 1) & ((i - limit) >> 31);
	return count;
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	return r;
}

/* Sum of log2 of 1000 pseudo-random 64-bit values. */
SEC("xdp")
int log2sum(struct xdp_md *ctx)
{
	__u64 x = seed(ctx) | 1;
	__u32 sum = 0;

	for (int i = 0; i < 1000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		sum += log2_u64(x >> (i & 31));
	}
	return sum;
}

/* 16 rounds of copying 224 bytes between two stack buffers, byte by byte. */
SEC("xdp")
int copy(struct xdp_md *ctx)
{
	volatile __u8 a[224], b[224];
	__u32 s = seed(ctx);

	for (int i = 0; i < 224; i++)
		a[i] = s + i;
	for (int round = 0; round < 16; round++) {
		for (int i = 0; i < 224; i++)
			b[i] = a[i] + round;
		for (int i = 0; i < 224; i++)
			a[i] = b[223 - i];
	}
	return a[0] + a[223];
}

/* 32 comparisons of two 128-byte strings that differ at most in their last character, branch-free. */
SEC("xdp")
int compare(struct xdp_md *ctx)
{
	volatile char x[128], y[128];
	__u32 s = seed(ctx);
	__u32 total = 0;

	for (int i = 0; i < 127; i++)
		x[i] = y[i] = 'a' + ((s + i) % 26);
	x[127] = 0;
	y[127] = 0;
	for (int round = 0; round < 32; round++) {
		__u32 equal = 1;

		y[126] = 'a' + round % 26;
		for (int i = 0; i < 128; i++) {
			equal &= ((__u32)((__u8)(x[i] ^ y[i])) - 1) >> 8 & 1;
			total += equal;
		}
	}
	return total;
}

char LICENSE[] SEC("license") = "GPL";
