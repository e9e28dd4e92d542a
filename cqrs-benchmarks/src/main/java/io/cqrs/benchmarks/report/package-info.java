/**
 * Turns a JMH JSON result file into {@code docs/benchmarks.md}: the results with their ratios to
 * each benchmark's baseline, the targets and whether they were met, the KV operations and CPU time
 * per command of the benchmarks that count them, and the machine, JDK and command that produced
 * them.
 */
package io.cqrs.benchmarks.report;
