// Reference for RingBufferBenchmarkMain: a ring buffer consumed through libbpf's ring_buffer__poll.
// Built and run by io.bpf4j.kernel.RingBufferBenchmarkMain (gcc -O2 ... -lbpf); not committed as a binary.
// Usage: ringbuf_bench MAP_ID RECORDS, then one command per line on standard input:
//   drain: the ring holds RECORDS records already; time consuming them.
//   live:  print "ready", then time from the first record to the last while a producer writes, stopping
//          after RECORDS records or one second without any.
// Each command prints "records N sum S seconds T" (S: sum of the u64 each record starts with).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct state {
	long records;
	uint64_t sum;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct state *s = ctx;
	uint64_t seq;
	memcpy(&seq, data, sizeof(seq));
	s->sum += seq;
	s->records++;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s MAP_ID RECORDS\n", argv[0]);
		return 2;
	}
	int fd = bpf_map_get_fd_by_id(atoi(argv[1]));
	long want = atol(argv[2]);
	if (fd < 0) {
		perror("bpf_map_get_fd_by_id");
		return 1;
	}
	struct state s;
	struct ring_buffer *rb = ring_buffer__new(fd, on_record, &s, NULL);
	if (!rb) {
		perror("ring_buffer__new");
		return 1;
	}
	char command[16];
	while (fgets(command, sizeof(command), stdin)) {
		int live = strncmp(command, "live", 4) == 0;
		memset(&s, 0, sizeof(s));
		if (live) {
			printf("ready\n");
			fflush(stdout);
		}
		double start = now(), first = 0, last = start, idle_since = start;
		while (s.records < want) {
			long before = s.records;
			int n = ring_buffer__poll(rb, 100);
			if (n < 0) {
				fprintf(stderr, "ring_buffer__poll: %d\n", n);
				return 1;
			}
			double t = now();
			if (s.records > before) {
				if (before == 0)
					first = t;
				last = t;
				idle_since = t;
			} else if (t - idle_since > 1.0) {
				break;
			}
		}
		printf("records %ld sum %llu seconds %.9f\n", s.records, (unsigned long long)s.sum,
		       live ? last - first : last - start);
		fflush(stdout);
	}
	ring_buffer__free(rb);
	return 0;
}
