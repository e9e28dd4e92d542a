package io.cqrs.example.bank;

import io.cqrs.EventProcessor;
import io.cqrs.Projection;
import io.cqrs.SubscribingEventProcessor;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.readmodel.BankReadModels;
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
                      .projection(counting(projection, count))
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

  /** A projection that counts the deliveries of events of the streams it follows. */
  private static Projection counting(Projection projection, AtomicInteger count) {
    return new Projection() {
      @Override
      public boolean follows(VersionedEvent event) {
        boolean follows = projection.follows(event);
        if (follows) {
          count.incrementAndGet();
        }
        return follows;
      }

      @Override
      public long appliedVersion(String streamId) {
        return projection.appliedVersion(streamId);
      }

      @Override
      public void apply(VersionedEvent event) throws Exception {
        projection.apply(event);
      }
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
