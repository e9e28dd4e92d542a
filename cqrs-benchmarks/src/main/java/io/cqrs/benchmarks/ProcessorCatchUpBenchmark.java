package io.cqrs.benchmarks;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 13: catch-up throughput of an event processor into an in-memory read model, against a
 * hand-written loop that reads the same log page by page and folds it into the same read model (the
 * least a program needs for that effect: no checkpoint, no claim, no thread). One operation is one
 * event; an invocation catches up on {@value #EVENTS} events, the processor under a fresh name each
 * time so it starts from position 1. Target: at least 70% of the loop's events/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(ProcessorCatchUpBenchmark.EVENTS)
@Fork(value = 2, jvmArgsAppend = "-Xmx2g")
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class ProcessorCatchUpBenchmark {
  /** Events per invocation. */
  static final int EVENTS = 100_000;

  private ProcessedLog log;
  private int run;

  /** Writes the log; not measured. */
  @Setup
  public void writeLog() {
    log = new ProcessedLog(EVENTS);
  }

  /** The baseline: a loop over the store's log reads, folding each page. */
  @Benchmark
  public Map<String, Long> handWrittenLoop() {
    return log.handWrittenFold();
  }

  /** A tracking processor from position 1, with a checkpoint per page. */
  @Benchmark
  public Map<String, Long> processor() {
    return log.process("catch-up-" + run++, EVENTS);
  }

  /** For the tests: the log. */
  ProcessedLog log() {
    return log;
  }
}
