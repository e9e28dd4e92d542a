package io.cqrs.benchmarks.model;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** {@link Deposit} for Axon, which finds the target aggregate by this annotation. */
public record AxonDeposit(@TargetAggregateIdentifier String accountId, long amount) {}
