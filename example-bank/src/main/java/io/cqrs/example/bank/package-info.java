/**
 * The example bank as an application: {@link io.cqrs.example.bank.Bank} wires the domain onto the
 * framework, {@link io.cqrs.example.bank.BankInfrastructure} chooses the store and buses, {@link
 * io.cqrs.example.bank.BankService} is what clients call, and {@link
 * io.cqrs.example.bank.BankApplication} is the command line that runs the {@link
 * io.cqrs.example.bank.Scenario}, the HTTP API or a worker.
 */
package io.cqrs.example.bank;
