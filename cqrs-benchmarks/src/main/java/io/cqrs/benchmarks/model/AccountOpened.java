package io.cqrs.benchmarks.model;

/** The first event of every account stream; Axon takes the aggregate identifier from it. */
public record AccountOpened(String accountId, String owner) {}
