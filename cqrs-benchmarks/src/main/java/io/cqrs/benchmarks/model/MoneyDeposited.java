package io.cqrs.benchmarks.model;

/** Money paid into an account. */
public record MoneyDeposited(long amount) {}
