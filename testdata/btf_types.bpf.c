// build: compiler=clang-19
/*
 * BTF-heavy fixture for io.bpf4j.btf: bitfields (also of enum type), packed and
 * over-aligned structs, anonymous members, ENUM64, signed and 1-byte enums, float,
 * double, __int128, _Bool, decl and type tags, function pointers, multi-dimensional
 * arrays, globals in .data, .bss and .rodata, a static function with tagged
 * parameters, and a CO-RE relocation of every kind on kernel types.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __user __attribute__((btf_type_tag("user")))

enum __attribute__((packed)) small { SMALL_A, SMALL_B = 9 };
enum big64 { BIG_A = 0x123456789abcdef0ULL, BIG_B = 1 };
enum neg { NEG_A = -3, NEG_B = 7 };

struct flags {
	unsigned int a : 3;
	unsigned int b : 7;
	int c : 5;
	unsigned long long d : 40;
	enum small e : 4;
	char tail;
};

struct __attribute__((packed)) packed_s {
	char c;
	int i;
	short s;
};

struct aligned_s {
	char c;
	int x __attribute__((aligned(16)));
};

struct anon {
	int kind;
	union {
		int i;
		float f;
		struct {
			short lo, hi;
		};
	};
	double d;
	_Bool ok;
	unsigned __int128 wide;
};

struct ops {
	int (*fn)(int, const char *);
	void (*arr[2])(void);
	int (*(*ret_fnptr)(int))(long);
	int matrix[3][4][5];
	const volatile int *restrict p;
	struct ops *next;
};

struct tagged {
	int a __tag("a_tag");
	int __user *u;
	enum big64 big;
	enum neg neg;
} __tag("struct_tag");

struct flags g_flags = { .a = 5, .b = 100, .c = -3, .d = 12345, .e = SMALL_B, .tail = 'x' };
struct anon g_anon;
struct packed_s g_packed;
struct aligned_s g_aligned;
struct ops g_ops;
struct tagged g_tagged;
const volatile int g_const = 5;
static int g_static;

static __attribute__((noinline)) int helper(struct flags *f __tag("param_tag"), int n) __tag("func_tag")
{
	g_static += n;
	return f->a + f->b + f->c + g_static;
}

SEC("xdp")
int prog(struct xdp_md *ctx)
{
	g_anon.kind = g_const;
	g_anon.d = 1.5;
	g_packed.i = g_anon.i;
	g_aligned.x = (int)g_tagged.big + g_tagged.neg;
	return helper(&g_flags, ctx->ingress_ifindex) + g_ops.matrix[1][2][3] ? XDP_PASS : XDP_DROP;
}

/* Kernel types as this program expects them; CO-RE finds them in the target kernel. */
struct task_struct {
	int pid;
	int tgid;
	unsigned int flags;
	struct task_struct *parent;
} __attribute__((preserve_access_index));

enum pid_type { PIDTYPE_PID, PIDTYPE_TGID, PIDTYPE_PGID, PIDTYPE_SID, PIDTYPE_MAX };

long g_core[16];

SEC("kprobe/do_exit")
int core(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct task_struct *parent = 0;
	int ppid = 0;

	g_core[0] = __builtin_preserve_field_info(t->flags, 0);   /* FIELD_BYTE_OFFSET */
	g_core[1] = __builtin_preserve_field_info(t->flags, 1);   /* FIELD_BYTE_SIZE */
	g_core[2] = __builtin_preserve_field_info(t->tgid, 2);    /* FIELD_EXISTS */
	g_core[3] = __builtin_preserve_field_info(t->pid, 3);     /* FIELD_SIGNED */
	g_core[4] = __builtin_preserve_field_info(t->flags, 4);   /* FIELD_LSHIFT_U64 */
	g_core[5] = __builtin_preserve_field_info(t->flags, 5);   /* FIELD_RSHIFT_U64 */
	g_core[6] = __builtin_btf_type_id(*t, 0);                 /* TYPE_ID_LOCAL */
	g_core[7] = __builtin_btf_type_id(*t, 1);                 /* TYPE_ID_TARGET */
	g_core[8] = __builtin_preserve_type_info(*t, 0);          /* TYPE_EXISTS */
	g_core[9] = __builtin_preserve_type_info(*t, 1);          /* TYPE_SIZE */
	g_core[10] = __builtin_preserve_enum_value(*(enum pid_type *)PIDTYPE_TGID, 0); /* ENUMVAL_EXISTS */
	g_core[11] = __builtin_preserve_enum_value(*(enum pid_type *)PIDTYPE_SID, 1);  /* ENUMVAL_VALUE */
	g_core[12] = __builtin_preserve_type_info(*t, 2);         /* TYPE_MATCHES */
	bpf_probe_read_kernel(&parent, sizeof(parent), __builtin_preserve_access_index(&t->parent));
	bpf_probe_read_kernel(&ppid, sizeof(ppid), __builtin_preserve_access_index(&parent->pid));
	return ppid;
}

char LICENSE[] SEC("license") = "GPL";
