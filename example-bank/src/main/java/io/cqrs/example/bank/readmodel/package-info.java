/**
 * The bank's read models: accounts, users and transfers, each an {@link io.cqrs.Projection} (see
 * {@link io.cqrs.example.bank.readmodel.StreamProjection}) whose views and applied versions live in
 * a {@link io.cqrs.example.bank.readmodel.ViewStore}, in memory or in Couchbase; {@link
 * io.cqrs.example.bank.readmodel.BankReadModels} feeds all three from one subscription and rebuilds
 * them from the integration log; the {@link io.cqrs.example.bank.readmodel.EventJournal} sees every
 * event.
 */
package io.cqrs.example.bank.readmodel;
