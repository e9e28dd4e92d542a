/**
 * The bank's read models: accounts, users and transfers, each an {@link io.cqrs.Projection} (see
 * {@link io.cqrs.example.bank.readmodel.StreamProjection}) whose views and applied versions live in
 * a {@link io.cqrs.example.bank.readmodel.ViewStore}, in memory or in Couchbase; {@link
 * io.cqrs.example.bank.readmodel.BankReadModels} runs each on a tracking event processor of its own
 * and replays them into fresh views; the {@link io.cqrs.example.bank.readmodel.EventJournal} sees
 * every event the bus delivers.
 */
package io.cqrs.example.bank.readmodel;
