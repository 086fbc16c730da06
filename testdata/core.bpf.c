// SPDX-License-Identifier: GPL-2.0
// CO-RE relocations of every kind, resolved against the running kernel by libbpf and bpf4j
// alike: field offsets along BPF_CORE_READ chains, bitfields read with
// BPF_CORE_READ_BITFIELD_PROBED (byte offset, size, signedness, shifts), field and type
// existence, type ids, sizes and matches, enumerator existence and values, flavored types
// that exist in the kernel and that do not, a subprogram with relocations called from two
// programs, several programs in one section, a '?' program, map-in-map and program array
// initialisers, .kconfig and .ksyms externs.
// Kernel types are declared here, not taken from a generated vmlinux.h, so that the object
// does not depend on the kernel that built it.
// build: compiler=clang-19
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
struct mm_struct {
	unsigned long task_size;
	unsigned long total_vm;
};

struct task_struct {
	unsigned int __state;
	unsigned int flags;
	int pid;
	int tgid;
	struct task_struct *real_parent;
	struct mm_struct *mm;
	char comm[16];
	unsigned int in_execve: 1;
	unsigned int in_iowait: 1;
	unsigned int sched_reset_on_fork: 1;
};

/* Before 5.14 the state field was 'state': a flavor of the same struct. */
struct task_struct___old {
	long state;
};

/* A flavor that matches the kernel's struct with the fields it needs. */
struct task_struct___min {
	int pid;
	int tgid;
};

/* A struct the kernel does not have. */
struct bpf4j_no_such_struct {
	int x;
};

/* A flavor of a struct the kernel does not have. */
struct bpf4j_no_such_struct___v2 {
	int y;
};
#pragma clang attribute pop

enum pid_type {
	PIDTYPE_PID,
	PIDTYPE_TGID,
	PIDTYPE_PGID,
	PIDTYPE_SID,
	PIDTYPE_MAX,
	PIDTYPE_BPF4J_MISSING,
};

enum bpf_map_type___local {
	BPF_MAP_TYPE_RINGBUF___local = 27,
	BPF_MAP_TYPE_NO_SUCH___local = 9999,
};

extern int LINUX_KERNEL_VERSION __kconfig __weak;
extern int CONFIG_HZ __kconfig __weak;
extern const int bpf_prog_active __ksym;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;

struct inner_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, long);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, int);
	__array(values, struct inner_map);
} outer SEC(".maps") = {
	.values = { [0] = &inner_a, [2] = &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, int);
	__type(value, long);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} results SEC(".maps");

int tail_target(void *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, int);
	__array(values, int (void *));
} jumps SEC(".maps") = {
	.values = { [1] = (void *)&tail_target },
};

const volatile int target_pid = 0;
long counter = 0;

static void record(int key, long value)
{
	bpf_map_update_elem(&results, &key, &value, BPF_ANY);
}

/* A subprogram with relocations of its own, appended to each program that calls it. */
static __noinline long parent_tgid(struct task_struct *task)
{
	return BPF_CORE_READ(task, real_parent, tgid) + bpf_core_field_offset(struct task_struct, mm);
}

SEC("kprobe/do_exit")
int core_reads(void *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	char comm[16];

	record(0, BPF_CORE_READ(task, pid));
	record(1, parent_tgid(task));
	record(2, BPF_CORE_READ(task, mm, total_vm));
	BPF_CORE_READ_STR_INTO(&comm, task, comm);
	record(3, comm[0]);
	record(4, bpf_core_field_size(task->comm));
	record(5, BPF_CORE_READ_BITFIELD_PROBED(task, in_iowait));
	record(6, BPF_CORE_READ_BITFIELD_PROBED(task, sched_reset_on_fork));
	if (target_pid && BPF_CORE_READ(task, tgid) != target_pid)
		return 0;
	__sync_fetch_and_add(&counter, 1);
	return 0;
}

SEC("kprobe/do_exit")
int core_exists(void *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct task_struct___old *old = (void *)task;

	record(10, bpf_core_field_exists(task->__state));
	if (bpf_core_field_exists(old->state))
		record(11, BPF_CORE_READ(old, state));
	else
		record(11, BPF_CORE_READ(task, __state));
	record(12, bpf_core_type_exists(struct task_struct));
	record(13, bpf_core_type_exists(struct bpf4j_no_such_struct));
	record(14, bpf_core_type_exists(struct bpf4j_no_such_struct___v2));
	record(15, bpf_core_type_size(struct task_struct));
	record(16, bpf_core_type_id_kernel(struct task_struct));
	record(17, bpf_core_type_id_local(struct task_struct));
	record(18, bpf_core_type_matches(struct task_struct___min));
	record(19, bpf_core_type_size(struct mm_struct));
	return 0;
}

SEC("tp/sched/sched_process_exec")
int core_enums(void *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct task_struct___min *min = (void *)task;

	record(20, bpf_core_enum_value_exists(enum pid_type, PIDTYPE_TGID));
	record(21, bpf_core_enum_value(enum pid_type, PIDTYPE_MAX));
	if (bpf_core_enum_value_exists(enum pid_type, PIDTYPE_BPF4J_MISSING))
		record(22, bpf_core_enum_value(enum pid_type, PIDTYPE_BPF4J_MISSING));
	record(23, bpf_core_enum_value_exists(enum bpf_map_type___local, BPF_MAP_TYPE_NO_SUCH___local));
	record(24, parent_tgid(task) + BPF_CORE_READ(min, pid));
	record(25, LINUX_KERNEL_VERSION + CONFIG_HZ + bpf_prog_active);
	if (bpf_core_type_exists(struct bpf4j_no_such_struct)) {
		struct bpf4j_no_such_struct *nope = (void *)task;
		record(26, BPF_CORE_READ(nope, x));
	}
	return 0;
}

SEC("?kprobe/do_exit")
int core_optional(void *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();

	record(30, BPF_CORE_READ(task, flags));
	return 0;
}

SEC("tp_btf/sched_process_fork")
int core_kfunc(void *ctx)
{
	struct task_struct *t = bpf_task_acquire(bpf_get_current_task_btf());

	if (t) {
		record(40, BPF_CORE_READ(t, pid));
		bpf_task_release(t);
	}
	return 0;
}

SEC("socket")
int tail_target(void *ctx)
{
	void *inner = bpf_map_lookup_elem(&outer, &(int){0});

	if (inner)
		bpf_map_lookup_elem(inner, &(int){0});
	return 0;
}

SEC("socket")
int tail_caller(void *ctx)
{
	bpf_tail_call(ctx, &jumps, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
