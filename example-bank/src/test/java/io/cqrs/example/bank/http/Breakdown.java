package io.cqrs.example.bank.http;

import io.cqrs.Command;
import io.cqrs.TransientCqrsException;
import io.cqrs.VersionedEvent;
import io.cqrs.interceptor.CommandHandlerInterceptor;
import io.cqrs.interceptor.EventHandlerInterceptor;
import io.cqrs.interceptor.Handling;
import io.cqrs.interceptor.Outcome;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A dependency of the bank's handlers that breaks down until the test repairs it: while a component
 * (a command service, a subscription, an event processor, by name prefix) is broken, every message
 * to it fails before its handler runs. Commands fail transiently (as a timeout would: retried, then
 * dead-lettered), events with an exception no retry cures.
 */
final class Breakdown implements CommandHandlerInterceptor, EventHandlerInterceptor {
  static final String FAILURE = "the test broke ";

  private final Set<String> broken = ConcurrentHashMap.newKeySet();

  /** Breaks every component whose name starts with {@code prefix}. */
  void breakDown(String prefix) {
    broken.add(prefix);
  }

  void repair() {
    broken.clear();
  }

  @Override
  public Outcome interceptCommand(Handling<Command> handling) throws Exception {
    if (isBroken(handling.component())) {
      throw new TransientCqrsException(FAILURE + handling.component());
    }
    return handling.proceed();
  }

  @Override
  public Outcome interceptEvent(Handling<VersionedEvent> handling) throws Exception {
    if (isBroken(handling.component())) {
      throw new IllegalStateException(FAILURE + handling.component());
    }
    return handling.proceed();
  }

  private boolean isBroken(String component) {
    return broken.stream().anyMatch(component::startsWith);
  }
}
