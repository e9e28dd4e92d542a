package io.cqrs.example.bank;

import io.cqrs.EventProcessor;
import io.cqrs.SubscribingEventProcessor;
import io.cqrs.example.bank.readmodel.BankReadModels;
import io.cqrs.interceptor.EventHandlerInterceptor;
import io.cqrs.interceptor.Interceptors;
import io.cqrs.rabbitmq.RabbitEventBus;
import io.cqrs.spi.EventStreamRepository;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bank's read models fed by the event bus rather than by the integration log: one subscribing
 * processor per model, on subscription {@code <subscription>-<model>}. The bank runs its read
 * models on tracking processors; the relay and duplicate-delivery tests use these to see what the
 * bus delivered, in the order and as often as it delivered it, each model behind the same version
 * gate.
 */
final class BusFedReadModels implements AutoCloseable {
  private final RabbitEventBus bus;
  private final String subscription;
  private final List<SubscribingEventProcessor> processors = new ArrayList<>();
  private final Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();

  BusFedReadModels(
      BankReadModels readModels,
      RabbitEventBus bus,
      EventStreamRepository store,
      String subscription,
      int listeners) {
    this.bus = bus;
    this.subscription = subscription;
    readModels
        .projections()
        .forEach(
            (model, projection) -> {
              AtomicInteger count = deliveries.computeIfAbsent(model, m -> new AtomicInteger());
              processors.add(
                  EventProcessor.subscribing(subscription + "-" + model, bus, store)
                      .projection(projection)
                      .interceptors(Interceptors.of(counting(count)))
                      .listeners(listeners)
                      .build());
            });
    try {
      processors.forEach(SubscribingEventProcessor::start);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Counts each delivery the processor hands its projection: its interceptors run only around the
   * events of the streams the projection follows (a count kept in {@code follows} would count
   * twice, as a processor may ask it more than once per event).
   */
  private static EventHandlerInterceptor counting(AtomicInteger count) {
    return handling -> {
      count.incrementAndGet();
      return handling.proceed();
    };
  }

  /** How many events of the streams {@code model} follows the bus has delivered to it. */
  int deliveries(String model) {
    return deliveries.get(model).get();
  }

  /** How many messages the models' subscriptions dead-lettered. */
  long deadLetters() {
    long total = 0;
    for (String model : BankReadModels.MODELS) {
      total += bus.deadLetterCount(subscription + "-" + model);
    }
    return total;
  }

  @Override
  public void close() {
    processors.forEach(SubscribingEventProcessor::close);
  }
}
