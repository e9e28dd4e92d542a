package io.cqrs.example.bank.domain;

import io.cqrs.CommandHandler;

/**
 * Where the bank's command handlers are registered: {@code cqrs::onCommand} in the application, a
 * {@link io.cqrs.CommandDispatchManager}'s {@code registerCommandHandler} in the given/when/then
 * tests ({@code AggregateFixture.withCommandHandlers} hands them one).
 */
@FunctionalInterface
interface CommandRegistry {
  <C> void register(Class<C> commandType, CommandHandler<? super C> handler);
}
