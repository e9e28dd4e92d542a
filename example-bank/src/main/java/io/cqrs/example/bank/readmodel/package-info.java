/**
 * The bank's read models: accounts, users and transfers, each kept in memory and folded from the
 * events the bus delivers (see {@link io.cqrs.example.bank.readmodel.StreamProjection}), and the
 * {@link io.cqrs.example.bank.readmodel.EventJournal} that sees every event.
 */
package io.cqrs.example.bank.readmodel;
