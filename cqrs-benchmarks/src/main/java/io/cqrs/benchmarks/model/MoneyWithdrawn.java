package io.cqrs.benchmarks.model;

/** Money taken out of an account. */
public record MoneyWithdrawn(long amount) {}
