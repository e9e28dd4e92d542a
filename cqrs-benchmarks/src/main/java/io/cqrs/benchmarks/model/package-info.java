/**
 * The bank-account domain every benchmark runs: six event types, the same aggregate written three
 * ways (on cqrs, by hand, on Axon Framework) with identical handler bodies, and the event sequences
 * the benchmarks replay.
 */
package io.cqrs.benchmarks.model;
