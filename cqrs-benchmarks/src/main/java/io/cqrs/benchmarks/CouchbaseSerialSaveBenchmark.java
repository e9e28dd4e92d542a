package io.cqrs.benchmarks;

import org.openjdk.jmh.annotations.Threads;

/**
 * Issue 14, saves: {@link CouchbaseSaveBenchmark} with one save in flight at a time, so that each
 * operation's time is its latency: a save's sequential round trips against one raw insert's one.
 */
@Threads(1)
public class CouchbaseSerialSaveBenchmark extends CouchbaseSaveBenchmark {}
