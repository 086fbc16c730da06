// SPDX-License-Identifier: GPL-2.0
// bpf-to-bpf calls (static and global subprograms), several programs in several sections,
// bounded loops, bpf_loop with a callback (a function pointer), tail calls and printk strings.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jump_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sums SEC(".maps");

static __noinline int fib(int n)
{
	int a = 0, b = 1;

	for (int i = 0; i < n && i < 40; i++) {
		int t = a + b;
		a = b;
		b = t;
	}
	return a;
}

__noinline int checksum(struct __sk_buff *skb, int len)
{
	__u32 sum = 0;
	__u8 byte;

	for (int i = 0; i < 64 && i < len; i++) {
		if (bpf_skb_load_bytes(skb, i, &byte, 1))
			break;
		sum = (sum << 1) ^ byte;
	}
	return sum;
}

static int add_index(__u32 index, void *ctx)
{
	*(__u64 *)ctx += index * fib(index & 7);
	return index > 20;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int trace_exec(void *ctx)
{
	__u64 total = 0;
	__u32 zero = 0;

	bpf_loop(32, add_index, &total, 0);
	__u64 *sum = bpf_map_lookup_elem(&sums, &zero);
	if (sum)
		*sum += total;
	bpf_printk("exec: pid %d fib %d", bpf_get_current_pid_tgid() >> 32, fib(10));
	return 0;
}

SEC("socket")
int filter(struct __sk_buff *skb)
{
	int sum = checksum(skb, skb->len);

	if (sum & 1)
		bpf_tail_call(skb, &jump_table, sum & 3);
	return sum > 100 ? skb->len : 0;
}

SEC("kprobe/do_sys_openat2")
int kprobe_open(struct pt_regs *regs)
{
	bpf_printk("open %d", fib(bpf_get_prandom_u32() & 15));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
