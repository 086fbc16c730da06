// SPDX-License-Identifier: GPL-2.0
// A struct_ops map (a TCP congestion control) whose function pointers are programs of
// SEC("struct_ops/..."), as libbpf reads them from the .struct_ops section.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct sock;

struct tcp_congestion_ops {
	unsigned int (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, unsigned int ack, unsigned int acked);
	unsigned int (*undo_cwnd)(struct sock *sk);
	void (*init)(struct sock *sk);
	char name[16];
};

SEC("struct_ops/bpf4j_ssthresh")
unsigned int bpf4j_ssthresh(unsigned long long *ctx)
{
	unsigned long long snd_cwnd = ctx[1];

	if (snd_cwnd > 10)
		return snd_cwnd / 2;
	return 2;
}

SEC("struct_ops/bpf4j_cong_avoid")
void bpf4j_cong_avoid(unsigned long long *ctx)
{
}

SEC("struct_ops/bpf4j_undo_cwnd")
unsigned int bpf4j_undo_cwnd(unsigned long long *ctx)
{
	return 10;
}

SEC(".struct_ops")
struct tcp_congestion_ops bpf4j_cc = {
	.ssthresh = (void *)bpf4j_ssthresh,
	.cong_avoid = (void *)bpf4j_cong_avoid,
	.undo_cwnd = (void *)bpf4j_undo_cwnd,
	.name = "bpf4j_cc",
};

char LICENSE[] SEC("license") = "GPL";
