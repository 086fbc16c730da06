// Reference for MapBenchmark: the same hash-map lookups and updates through libbpf.
// Built and run by io.bpf4j.kernel.bench.MapBenchmarkMain (gcc -O2 ... -lbpf); not committed as a binary.
// Usage: map_bench ENTRIES OPS ROUNDS -> prints "lookup OPS_PER_SEC" and "update OPS_PER_SEC" (mean of ROUNDS).
#include <bpf/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s ENTRIES OPS ROUNDS\n", argv[0]);
		return 2;
	}
	uint32_t entries = atoi(argv[1]);
	long ops = atol(argv[2]);
	int rounds = atoi(argv[3]);
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "c_bench", 4, 8, entries, NULL);
	if (fd < 0) {
		perror("bpf_map_create");
		return 1;
	}
	uint64_t value = 1;
	for (uint32_t k = 0; k < entries; k++)
		bpf_map_update_elem(fd, &k, &value, BPF_ANY);

	double lookup = 0, update = 0;
	for (int r = -1; r < rounds; r++) { /* round -1 warms up */
		double t0 = now();
		for (long i = 0; i < ops; i++) {
			uint32_t k = i & (entries - 1);
			if (bpf_map_lookup_elem(fd, &k, &value)) {
				perror("lookup");
				return 1;
			}
		}
		double t1 = now();
		for (long i = 0; i < ops; i++) {
			uint32_t k = i & (entries - 1);
			value = i;
			if (bpf_map_update_elem(fd, &k, &value, BPF_ANY)) {
				perror("update");
				return 1;
			}
		}
		double t2 = now();
		if (r >= 0) {
			lookup += ops / (t1 - t0);
			update += ops / (t2 - t1);
		}
	}
	printf("lookup %.0f\nupdate %.0f\n", lookup / rounds, update / rounds);
	close(fd);
	return 0;
}
