// SPDX-License-Identifier: GPL-2.0
// build: compiler=clang-19 -mcpu=v4
// ISA v4 instructions (LLVM 14 predates them): signed division and modulo, sign-extending
// moves and loads, unconditional byte swaps, stores of immediates, gotol, callx, and the
// kernel's may_goto and addr_space_cast through inline assembly. Meant for disassembly and
// decoding, not for loading: the kernel rejects callx.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__noinline long sdiv64(long a, long b) { return a / b; }
__noinline int smod32(int a, int b) { return a % b; }
__noinline long smod64(long a, long b) { return a % b; }
__noinline long sdiv_imm(long a) { return a / -7; }

__noinline long load_signed(signed char *p, short *q, int *r) { return *p + *q + *r; }
__noinline long move_signed(long a) { return (signed char)a + (short)a + (int)a; }

__noinline unsigned long swaps(unsigned long a, unsigned int b, unsigned short c)
{
	return __builtin_bswap64(a) + __builtin_bswap32(b) + __builtin_bswap16(c);
}

__noinline void store_imm(long *p)
{
	p[0] = 5;
	*(int *)&p[1] = -1;
	*(short *)&p[2] = 7;
	*(char *)&p[3] = 3;
}

__noinline int indirect(int (*f)(int), int x) { return f(x); }

SEC("xdp")
int v4_prog(struct xdp_md *ctx)
{
	asm volatile("may_goto +1\n"
		     "r0 = 0\n"
		     "gotol +1\n"
		     "r0 = 1\n"
		     "if r1 & 4 goto +1\n"
		     "if w1 & w2 goto +0\n"
		     "r1 = addr_space_cast(r1, 0, 1)\n"
		     "r1 = addr_space_cast(r1, 1, 0)\n" ::: "r0", "r1");
	return sdiv64(ctx->data, 3) + smod32(ctx->data_end, 5) + smod64(7, ctx->ingress_ifindex);
}

char LICENSE[] SEC("license") = "GPL";
