// SPDX-License-Identifier: GPL-2.0
// build: -mcpu=v3
// Skeleton fixture for bpf4j-gen. Records whose C layout has padding, nested structs,
// arrays, a char array, bitfields (signed, unsigned, 40 bits wide) and a union travel
// through a hash map both ways: fill() writes one that Java decodes, check() compares
// one that Java encoded with what C expects, field by field. Globals in .rodata, .data,
// .bss and a named .data section; per-CPU values; events through a ring buffer (fill)
// and a perf event array (on_getppid, a tracepoint program for attach tests).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
	__u8 tag;
	__u32 count;		/* after 3 bytes of padding */
};

struct layout {
	__u8 a;
	__u64 b;		/* after 7 bytes of padding */
	__u16 c;
	struct inner in;
	__u32 arr[3];
	char name[6];
	unsigned int f1 : 3;
	unsigned int f2 : 9;
	int f3 : 5;
	__u64 f4 : 40;
	union {
		__u32 word;
		__u8 octets[4];
	} u;
	struct inner pair[2];
	__s16 neg;
	_Bool ok;
};

struct key {
	__u32 id;
	__u16 port;		/* then 2 bytes of tail padding, which must be zero to match */
};

struct event {
	__u32 pid;
	__u32 seq;
	char comm[16];
	__u64 len;
};

/* Member names that are Java keywords or the generated record's own names. */
struct awkward {
	__u32 offset;
	__u32 segment;
	__u32 bytes;
	__u32 value;
	__u32 hashCode;
	__u32 class;
	__u32 record;
	__u32 SIZE;
};

union overlay {
	__u32 bytes;
	__u16 value[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct key);
	__type(value, struct layout);
} layouts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} per_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf SEC(".maps");

const volatile __u32 target_pid = 0;	/* .rodata: only this process's calls count (0: any) */
const volatile __u8 mark = 7;		/* .rodata: added to the first byte fill() writes */
__u64 packets = 0;			/* .bss */
__u32 seq = 100;			/* .data */
struct inner last = { 1, 2 };		/* .data: a struct global */
char label[8] = "bpf4j";		/* .data: a char array global */
__u64 hits SEC(".data.hits") = 0;	/* a named data section */
struct event last_event;		/* .bss: a struct global, which also puts struct event in the BTF */
struct awkward awkward = { 1, 2, 3, 4, 5, 6, 7, 8 };	/* .data */
union overlay overlay = { .bytes = 0x00020001 };	/* .data */

#define A 0x11
#define B 0x1122334455667788ULL
#define C 0xbeef
#define IN_TAG 0x5a
#define IN_COUNT 123456
#define F1 5
#define F2 300
#define F3 (-7)
#define F4 0xabcdef1234ULL
#define WORD 0x04030201
#define NEG (-2)

static __always_inline void keyed(struct key *k, __u32 id, __u16 port)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->id = id;
	k->port = port;
}

SEC("xdp")
int fill(struct xdp_md *ctx)
{
	struct layout l;
	struct key k;

	__builtin_memset(&l, 0, sizeof(l));
	l.a = A + mark;
	l.b = B;
	l.c = C;
	l.in.tag = IN_TAG;
	l.in.count = IN_COUNT;
	l.arr[0] = 1;
	l.arr[1] = 2;
	l.arr[2] = 3;
	__builtin_memcpy(l.name, "abcde", 6);
	l.f1 = F1;
	l.f2 = F2;
	l.f3 = F3;
	l.f4 = F4;
	l.u.word = WORD;
	l.pair[0].tag = 1;
	l.pair[0].count = 10;
	l.pair[1].tag = 2;
	l.pair[1].count = 20;
	l.neg = NEG;
	l.ok = 1;
	keyed(&k, 1, 0);
	bpf_map_update_elem(&layouts, &k, &l, BPF_ANY);

	__u32 zero = 0;
	__u64 *count = bpf_map_lookup_elem(&per_cpu, &zero);
	if (count)
		*count += 1;
	__sync_fetch_and_add(&packets, 1);

	struct event e = {};
	e.seq = seq++;
	e.len = ctx->data_end - ctx->data;
	bpf_ringbuf_output(&ring, &e, sizeof(e), 0);
	return XDP_PASS;
}

/* 0 when the layout Java stored under {2, 80} holds what fill() writes; else a bit per wrong field. */
SEC("xdp")
int check(struct xdp_md *ctx)
{
	struct key k;
	__u32 bad = 0;

	keyed(&k, 2, 80);
	struct layout *l = bpf_map_lookup_elem(&layouts, &k);
	if (!l)
		return 1 << 20;
	bad |= (l->a != A + mark) << 0;
	bad |= (l->b != B) << 1;
	bad |= (l->c != C) << 2;
	bad |= (l->in.tag != IN_TAG || l->in.count != IN_COUNT) << 3;
	bad |= (l->arr[0] != 1 || l->arr[1] != 2 || l->arr[2] != 3) << 4;
	bad |= (l->name[0] != 'a' || l->name[4] != 'e' || l->name[5] != 0) << 5;
	bad |= (l->f1 != F1) << 6;
	bad |= (l->f2 != F2) << 7;
	bad |= (l->f3 != F3) << 8;
	bad |= (l->f4 != F4) << 9;
	bad |= (l->u.octets[0] != 1 || l->u.octets[3] != 4) << 10;
	bad |= (l->pair[0].tag != 1 || l->pair[0].count != 10 || l->pair[1].tag != 2 || l->pair[1].count != 20) << 11;
	bad |= (l->neg != NEG) << 12;
	bad |= (l->ok != 1) << 13;
	return bad;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (target_pid && pid != target_pid)
		return 0;
	__sync_fetch_and_add(&hits, 1);
	struct event e = {};
	e.pid = pid;
	e.seq = __sync_fetch_and_add(&seq, 1);
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	last_event = e;
	bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
