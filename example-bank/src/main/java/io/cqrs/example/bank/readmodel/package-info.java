/**
 * The bank's read models: accounts, users and transfers, each an {@link
 * io.cqrs.example.bank.readmodel.InMemoryProjection} that a {@link io.cqrs.Projector} feeds exactly
 * once per event, and the {@link io.cqrs.example.bank.readmodel.EventJournal} that sees every
 * event.
 */
package io.cqrs.example.bank.readmodel;
