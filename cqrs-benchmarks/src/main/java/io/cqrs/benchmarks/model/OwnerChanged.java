package io.cqrs.benchmarks.model;

/** An account changed hands. */
public record OwnerChanged(String owner) {}
