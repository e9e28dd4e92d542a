package io.cqrs.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * The CPU time the benchmark's JVM spent per operation, over all its threads ({@code
 * cpu.time.norm}, ns/op), and how many cores it kept busy ({@code cpu.cores}). Where an operation
 * hands its work to other threads on a machine with fewer cores than busy threads (the in-memory
 * buses' listeners on two cores), throughput follows the scheduler as much as the code, and
 * iterations of one variant range over a factor of two; the CPU an operation took does not depend
 * on when its threads were woken, so it tells two variants' costs apart where the throughput's
 * error bars overlap. Used as {@code -prof io.cqrs.benchmarks.CpuTimeProfiler}, like {@code -prof
 * gc}'s B/op. It counts the JVM's own threads too (the JIT, the garbage collector).
 */
public final class CpuTimeProfiler implements InternalProfiler {
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private long cpuBefore;
  private long wallBefore;

  @Override
  public String getDescription() {
    return "CPU time of the benchmark's JVM per operation, all threads";
  }

  @Override
  public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
    cpuBefore = os.getProcessCpuTime();
    wallBefore = System.nanoTime();
  }

  @Override
  public Collection<? extends Result> afterIteration(
      BenchmarkParams benchmarkParams, IterationParams iterationParams, IterationResult result) {
    long cpu = os.getProcessCpuTime() - cpuBefore;
    long wall = System.nanoTime() - wallBefore;
    long operations = result.getMetadata().getAllOps();
    return List.of(
        new ScalarResult(
            "cpu.time.norm",
            operations == 0 ? Double.NaN : (double) cpu / operations,
            "ns/op",
            AggregationPolicy.AVG),
        new ScalarResult(
            "cpu.cores",
            wall == 0 ? Double.NaN : (double) cpu / wall,
            "cores",
            AggregationPolicy.AVG));
  }
}
