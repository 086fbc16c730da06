// SPDX-License-Identifier: GPL-2.0
// build: compiler=clang-19 -mcpu=v4
// One socket filter that the verifier accepts and whose every instruction it visits, covering
// every instruction form the kernel runs in such a program: ALU and ALU32 with immediates and
// registers, signed division and modulo, sign-extending moves and loads, byte swaps, stores of
// immediates, all atomics (load-acquire and store-release as raw words: LLVM 19 cannot assemble
// them), every jump, may_goto, gotol, helper calls, lddw and the legacy packet loads. Its
// verifier log is the oracle for bpf4j's kernel syntax; it needs no relocation.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int kernel_syntax(struct __sk_buff *skb)
{
	asm volatile(
	"r6 = r1\n"
	"r0 = *(u8 *)skb[14]\n"
	"r0 = *(u16 *)skb[12]\n"
	"r0 = *(u32 *)skb[26]\n"
	"r7 = 2\n"
	"r0 = *(u8 *)skb[r7]\n"
	"r0 = *(u16 *)skb[r7]\n"
	"r0 = *(u32 *)skb[r7]\n"
	"r1 = 5\n"
	"r3 = 9\n"
	"r1 += 3\n r1 -= 1\n r1 *= 3\n r1 /= 2\n r1 s/= -2\n r1 |= 8\n r1 &= 255\n r1 <<= 2\n r1 >>= 1\n"
	"r1 %%= 7\n r1 s%%= -5\n r1 ^= 3\n r1 s>>= 1\n r1 = -r1\n r1 = 77\n"
	"r1 += r3\n r1 -= r3\n r1 *= r3\n r1 /= r3\n r1 s/= r3\n r1 |= r3\n r1 &= r3\n r1 <<= r3\n r1 >>= r3\n"
	"r1 %%= r3\n r1 s%%= r3\n r1 ^= r3\n r1 s>>= r3\n r2 = r1\n"
	"w1 += 3\n w1 -= 1\n w1 *= 3\n w1 /= 2\n w1 s/= -2\n w1 |= 8\n w1 &= 255\n w1 <<= 2\n w1 >>= 1\n"
	"w1 %%= 7\n w1 s%%= -5\n w1 ^= 3\n w1 s>>= 1\n w1 = -w1\n w1 = 77\n"
	"w1 += w3\n w1 -= w3\n w1 *= w3\n w1 /= w3\n w1 s/= w3\n w1 |= w3\n w1 &= w3\n w1 <<= w3\n w1 >>= w3\n"
	"w1 %%= w3\n w1 s%%= w3\n w1 ^= w3\n w1 s>>= w3\n w2 = w1\n"
	"r4 = (s8)r1\n r4 = (s16)r1\n r4 = (s32)r1\n w4 = (s8)w1\n w4 = (s16)w1\n"
	"r1 = le16 r1\n r1 = le32 r1\n r1 = le64 r1\n r1 = be16 r1\n r1 = be32 r1\n r1 = be64 r1\n"
	"r1 = bswap16 r1\n r1 = bswap32 r1\n r1 = bswap64 r1\n"
	"r5 = 0x1122334455667788 ll\n"
	"r5 = -1 ll\n"
	"*(u64 *)(r10 - 8) = r1\n *(u32 *)(r10 - 12) = w1\n *(u16 *)(r10 - 14) = w1\n *(u8 *)(r10 - 15) = w1\n"
	"*(u64 *)(r10 - 24) = 5\n *(u32 *)(r10 - 28) = -1\n *(u16 *)(r10 - 30) = 3\n *(u8 *)(r10 - 31) = 1\n"
	"r7 = *(u64 *)(r10 - 8)\n r7 = *(u32 *)(r10 - 12)\n r7 = *(u16 *)(r10 - 14)\n r7 = *(u8 *)(r10 - 15)\n"
	"r7 = *(s32 *)(r10 - 12)\n r7 = *(s16 *)(r10 - 14)\n r7 = *(s8 *)(r10 - 15)\n"
	"r1 = 1\n r0 = 0\n"
	"lock *(u64 *)(r10 - 8) += r1\n lock *(u64 *)(r10 - 8) |= r1\n"
	"lock *(u64 *)(r10 - 8) &= r1\n lock *(u64 *)(r10 - 8) ^= r1\n"
	"r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)\n r1 = atomic_fetch_or((u64 *)(r10 - 8), r1)\n"
	"r1 = atomic_fetch_and((u64 *)(r10 - 8), r1)\n r1 = atomic_fetch_xor((u64 *)(r10 - 8), r1)\n"
	"r1 = xchg_64(r10 - 8, r1)\n r0 = cmpxchg_64(r10 - 8, r0, r1)\n"
	"lock *(u32 *)(r10 - 12) += w1\n lock *(u32 *)(r10 - 12) |= w1\n"
	"lock *(u32 *)(r10 - 12) &= w1\n lock *(u32 *)(r10 - 12) ^= w1\n"
	"w1 = atomic_fetch_add((u32 *)(r10 - 12), w1)\n w1 = atomic_fetch_or((u32 *)(r10 - 12), w1)\n"
	"w1 = atomic_fetch_and((u32 *)(r10 - 12), w1)\n w1 = atomic_fetch_xor((u32 *)(r10 - 12), w1)\n"
	"w1 = xchg32_32(r10 - 12, w1)\n w0 = cmpxchg32_32(r10 - 12, w0, w1)\n"
	/* r1 = load_acquire((u64 *)(r10 - 8)), then u32, u16, u8; store_release of r1 likewise */
	".quad 0x00000100fff8a1db\n .quad 0x00000100fff4a1c3\n .quad 0x00000100fff2a1cb\n .quad 0x00000100fff1a1d3\n"
	".quad 0x00000110fff81adb\n .quad 0x00000110fff41ac3\n .quad 0x00000110fff21acb\n .quad 0x00000110fff11ad3\n"
	"r1 = 3\n r2 = 4\n"
	"if r1 == 3 goto +0\n if r1 > 3 goto +0\n if r1 >= 3 goto +0\n if r1 & 3 goto +0\n"
	"if r1 != 3 goto +0\n if r1 s> 3 goto +0\n if r1 s>= 3 goto +0\n if r1 < 3 goto +0\n"
	"if r1 <= 3 goto +0\n if r1 s< -3 goto +0\n if r1 s<= 3 goto +0\n"
	"if r1 == r2 goto +0\n if r1 > r2 goto +0\n if r1 >= r2 goto +0\n if r1 & r2 goto +0\n"
	"if r1 != r2 goto +0\n if r1 s> r2 goto +0\n if r1 s>= r2 goto +0\n if r1 < r2 goto +0\n"
	"if r1 <= r2 goto +0\n if r1 s< r2 goto +0\n if r1 s<= r2 goto +0\n"
	"if w1 == 3 goto +0\n if w1 > 3 goto +0\n if w1 >= 3 goto +0\n if w1 & 3 goto +0\n"
	"if w1 != 3 goto +0\n if w1 s> 3 goto +0\n if w1 s>= 3 goto +0\n if w1 < 3 goto +0\n"
	"if w1 <= 3 goto +0\n if w1 s< -3 goto +0\n if w1 s<= 3 goto +0\n"
	"if w1 == w2 goto +0\n if w1 > w2 goto +0\n if w1 >= w2 goto +0\n if w1 & w2 goto +0\n"
	"if w1 != w2 goto +0\n if w1 s> w2 goto +0\n if w1 s>= w2 goto +0\n if w1 < w2 goto +0\n"
	"if w1 <= w2 goto +0\n if w1 s< w2 goto +0\n if w1 s<= w2 goto +0\n"
	"goto +0\n gotol +0\n may_goto +0\n"
	"call 5\n call 7\n"
	::: "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "memory");
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
