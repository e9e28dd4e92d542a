package io.cqrs.example.bank.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.cqrs.CqrsException;
import io.cqrs.DeadLetterReplay;
import io.cqrs.EventProcessor;
import io.cqrs.ProcessorDeadLetter;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.request.FieldRules;
import io.cqrs.spi.DeadLetterQueues;
import io.cqrs.spi.QueuedDeadLetter;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The administrators' routes over the bank's dead letters: the dead-letter queues of its command
 * service and of its journal's event subscription (when its buses keep them, as the in-memory and
 * RabbitMQ buses do), and the dead letters of its tracking event processors (read models and the
 * transfer process); each replayed on request.
 *
 * <pre>
 * GET  /admin/dead-letters                             200 {queues, processors}
 * POST /admin/dead-letters/queues/{bus}/{name}/replay  200 {replayed}; bus: commands or events;
 *                                                     ?max=n replays the oldest n at most
 * POST /admin/dead-letters/processors/{id}/replay      200 {status: replayed}; 409 replay_failed
 * </pre>
 *
 * <p>A queue shows its first {@link #MAX_ITEMS} dead letters, looked at in place (nothing is taken
 * from the queue), and how many more wait. A processor's dead letter is replayed through the
 * processor's version gate, so a replay that races another one, or a later event that filled the
 * gap, takes effect once. Every route needs an administrator (401 without credentials, 403 for a
 * customer).
 */
final class DeadLetterApi {
  /** The most dead letters shown per queue. */
  static final int MAX_ITEMS = 50;

  private final Bank bank;
  private final Authentication authentication;

  DeadLetterApi(Bank bank, Authentication authentication) {
    this.bank = bank;
    this.authentication = authentication;
  }

  void routes(RoutesConfig routes) {
    routes.get("/admin/dead-letters", this::list);
    routes.post("/admin/dead-letters/queues/{bus}/{name}/replay", this::replayQueue);
    routes.post("/admin/dead-letters/processors/{id}/replay", this::replayProcessor);
  }

  // ---- routes

  private void list(Context ctx) {
    authentication.admin(ctx);
    List<QueueJson> queues = new ArrayList<>();
    for (Queue queue : queues()) {
      queues.add(queue.show());
    }
    List<ProcessorJson> processors = new ArrayList<>();
    for (TrackingEventProcessor processor : processors()) {
      processor.deadLetters().stream().map(ProcessorJson::of).forEach(processors::add);
    }
    ctx.json(new ListJson(queues, processors));
  }

  private void replayQueue(Context ctx) {
    authentication.admin(ctx);
    String bus = JsonBody.id("bus", ctx.pathParam("bus"));
    String name = JsonBody.id("name", ctx.pathParam("name"));
    long max = max(ctx);
    Queue queue =
        queues().stream()
            .filter(q -> q.bus().equals(bus) && q.name().equals(name))
            .findFirst()
            .orElseThrow(
                () ->
                    new ApiException(
                        404,
                        "not_found",
                        "No dead-letter queue '" + name + "' on bus '" + bus + "'"));
    long replayed = queue.queues().replayDeadLetters(name, max);
    ctx.json(Map.of("replayed", replayed));
  }

  private void replayProcessor(Context ctx) {
    authentication.admin(ctx);
    String id = JsonBody.id("id", ctx.pathParam("id"));
    for (TrackingEventProcessor processor : processors()) {
      DeadLetterReplay replay = processor.replayDeadLetter(id);
      switch (replay.outcome()) {
        case REPLAYED -> {
          ctx.json(Map.of("status", "replayed"));
          return;
        }
        case FAILED -> {
          ProcessorDeadLetter letter = replay.deadLetter();
          throw new ApiException(
              409,
              "replay_failed",
              "Processor '"
                  + letter.processor()
                  + "' failed again on "
                  + letter.eventType()
                  + " version "
                  + letter.version()
                  + " of '"
                  + letter.sourceId()
                  + "': "
                  + letter.errorType()
                  + ": "
                  + letter.message());
        }
        case NOT_FOUND -> {
          // another processor's, perhaps
        }
      }
    }
    throw new ApiException(
        404, "not_found", "No open dead letter '" + id + "' (unknown, or replayed already)");
  }

  /**
   * The {@code max} of a queue replay: every dead letter when absent, else a whole number from 1 to
   * {@link Long#MAX_VALUE} in plain ASCII digits (no sign, no exponent, no spaces), given once.
   * Javalin drops a value that is not well-formed percent-encoding ({@code %ZZ}) and keeps the
   * name, which must not read as absent: that would replay every dead letter.
   */
  static long max(Context ctx) {
    String value = PageRequest.single(ctx, "max", DeadLetterApi::invalidMax);
    if (value == null) {
      return Long.MAX_VALUE;
    }
    long max = FieldRules.wholeNumber(value);
    if (max < 1) {
      throw invalidMax(
          "max must be a whole number from 1 to "
              + Long.MAX_VALUE
              + ", was '"
              + FieldRules.printable(value)
              + "'");
    }
    return max;
  }

  private static ApiException invalidMax(String message) {
    return new ApiException(400, "invalid_max", message);
  }

  // ---- what the bank has

  /** The dead-letter queues the bank's buses keep: of its command service and its journal. */
  private List<Queue> queues() {
    List<Queue> queues = new ArrayList<>(2);
    if (bank.infrastructure().commandBus() instanceof DeadLetterQueues commands) {
      queues.add(new Queue("commands", Bank.COMMAND_SERVICE, commands));
    }
    if (bank.infrastructure().eventBus() instanceof DeadLetterQueues events) {
      queues.add(new Queue("events", bank.journalSubscription(), events));
    }
    return queues;
  }

  private List<TrackingEventProcessor> processors() {
    List<TrackingEventProcessor> tracking = new ArrayList<>();
    for (EventProcessor processor : bank.cqrs().processors()) {
      if (processor instanceof TrackingEventProcessor t) {
        tracking.add(t);
      }
    }
    return tracking;
  }

  private record Queue(String bus, String name, DeadLetterQueues queues) {
    /**
     * The queue as listed; a queue the broker does not hold (nobody subscribed yet) or cannot be
     * read now shows why instead of failing the whole list.
     */
    QueueJson show() {
      try {
        long count = queues.deadLetterCount(name);
        List<ItemJson> items =
            queues.peekDeadLetters(name, MAX_ITEMS).stream().map(ItemJson::of).toList();
        return new QueueJson(bus, name, count, items, Math.max(0, count - items.size()), null);
      } catch (CqrsException e) {
        return new QueueJson(bus, name, 0, List.of(), 0, e.getMessage());
      }
    }
  }

  // ---- JSON

  record ListJson(List<QueueJson> queues, List<ProcessorJson> processors) {}

  /**
   * One dead-letter queue.
   *
   * @param more how many dead letters wait beyond {@code items}
   * @param error why the queue could not be read, or {@code null}
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record QueueJson(
      String bus, String name, long count, List<ItemJson> items, long more, String error) {}

  record ItemJson(String messageId, String type, String reason, String failure, int attempts) {
    static ItemJson of(QueuedDeadLetter letter) {
      return new ItemJson(
          letter.messageId(), letter.type(), letter.reason(), letter.failure(), letter.attempts());
    }
  }

  record ProcessorJson(
      String id,
      String processor,
      long position,
      String eventType,
      String sourceId,
      long version,
      String errorType,
      String message,
      int failedReplays) {
    static ProcessorJson of(ProcessorDeadLetter letter) {
      return new ProcessorJson(
          letter.id(),
          letter.processor(),
          letter.position(),
          letter.eventType(),
          letter.sourceId(),
          letter.version(),
          letter.errorType(),
          letter.message(),
          letter.failedReplays());
    }
  }
}
