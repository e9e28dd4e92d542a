package io.cqrs.benchmarks.model;

/** The command of the command-path benchmark: pay {@code amount} into an existing account. */
public record Deposit(String accountId, long amount) {}
