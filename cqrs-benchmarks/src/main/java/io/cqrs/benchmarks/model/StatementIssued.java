package io.cqrs.benchmarks.model;

/** A statement was sent; the aggregate counts them. */
public record StatementIssued(long number) {}
