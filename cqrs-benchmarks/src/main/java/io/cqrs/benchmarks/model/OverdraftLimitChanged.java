package io.cqrs.benchmarks.model;

/** A new overdraft limit for an account. */
public record OverdraftLimitChanged(long limit) {}
