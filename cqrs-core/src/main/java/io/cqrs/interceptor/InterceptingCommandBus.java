package io.cqrs.interceptor;

import io.cqrs.Command;
import io.cqrs.spi.BusHealth;
import io.cqrs.spi.CommandBus;
import io.cqrs.spi.CommandConsumer;
import io.cqrs.spi.Subscription;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** A command bus whose publish calls run through command dispatch interceptors. */
final class InterceptingCommandBus implements CommandBus {
  private final CommandBus bus;
  private final Publishing<Command> publishing;

  InterceptingCommandBus(CommandBus bus, List<CommandDispatchInterceptor> interceptors) {
    this.bus = bus;
    this.publishing = Publishing.commands(interceptors, bus);
  }

  @Override
  public void publish(List<Command> commands) {
    publishing.publish(commands);
  }

  @Override
  public CompletableFuture<Void> publishAsync(List<Command> commands) {
    return publishing.publishAsync(commands);
  }

  @Override
  public Subscription subscribe(
      String service, Set<String> commandTypes, int listeners, CommandConsumer consumer) {
    return bus.subscribe(service, commandTypes, listeners, consumer);
  }

  @Override
  public BusHealth health() {
    return bus.health();
  }

  @Override
  public void close() {
    bus.close();
  }

  @Override
  public String toString() {
    return "Intercepting(" + bus + ")";
  }
}
