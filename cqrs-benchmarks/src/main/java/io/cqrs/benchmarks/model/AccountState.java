package io.cqrs.benchmarks.model;

/** The observable state of an account, equal across the variants that replayed the same events. */
public record AccountState(String owner, long balance, long overdraftLimit, long statements) {}
