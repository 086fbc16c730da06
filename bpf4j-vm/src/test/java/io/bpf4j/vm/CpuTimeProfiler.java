package io.bpf4j.vm;

import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * CPU time (user and system) of the benchmark thread per operation, as {@link JitBenchmark}
 * counts it: on a machine shared with other work, wall-clock time also counts the time
 * the benchmark waited for a CPU, which this does not. Reported as the secondary result
 * {@code cpu}.
 */
public final class CpuTimeProfiler implements InternalProfiler {
    private long start;

    @Override
    public String getDescription() {
        return "process CPU time per operation";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmark, IterationParams iteration) {
        start = JitBenchmark.cpuNanos;
    }

    @Override
    public List<? extends Result> afterIteration(BenchmarkParams benchmark, IterationParams iteration,
            IterationResult result) {
        long ops = result.getMetadata().getAllOps();
        double perOp = ops == 0 ? Double.NaN : (JitBenchmark.cpuNanos - start) / (double) ops;
        return List.of(new ScalarResult("cpu", perOp, "ns/op", AggregationPolicy.AVG));
    }
}
