/**
 * The bank's write model: the event-sourced {@link io.cqrs.example.bank.domain.Account} and {@link
 * io.cqrs.example.bank.domain.MoneyTransfer} aggregates, their events and commands, the command
 * handlers that load, change and save them, and the {@link
 * io.cqrs.example.bank.domain.TransferProcess} that moves money between accounts.
 */
package io.cqrs.example.bank.domain;
