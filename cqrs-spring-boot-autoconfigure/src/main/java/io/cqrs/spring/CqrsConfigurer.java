package io.cqrs.spring;

import io.cqrs.Cqrs;

/**
 * The application's hook into the {@link Cqrs} that the auto-configuration builds: register
 * aggregates, interceptors or a type's upcasters on the builder, and event handlers or processors
 * built by hand on the instance. Declare one or more as beans; they run in {@link
 * org.springframework.core.annotation.Order order}.
 *
 * <p>Command handlers ({@link io.cqrs.CommandHandler} beans), projections ({@link
 * io.cqrs.Projection} beans) and processors ({@link io.cqrs.EventProcessor} beans) need no
 * configurer: they are found in the context.
 */
public interface CqrsConfigurer {

  /** Adds to the builder before the instance is built (aggregates, interceptors, settings). */
  default void configure(Cqrs.Builder builder) {}

  /**
   * Registers on the built instance, after the command handlers and processors found in the context
   * and before {@link Cqrs#start()} (event handlers with {@link Cqrs#onEvent}, processors built by
   * hand). Runs when the context starts, so beans that need the {@link Cqrs} (through its
   * repository, say) may be used here.
   */
  default void register(Cqrs cqrs) {}
}
