package io.cqrs.example.bank.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.ObjectMappers;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.BankHealth;
import io.cqrs.example.bank.domain.TransferState;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import io.cqrs.example.bank.readmodel.TransfersReadModel.TransferView;
import io.cqrs.spi.BusHealth;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The API's JSON: the mapper and the shapes of its responses. */
final class ApiJson {
  private static final String REDACTED = "[redacted]";

  private ApiJson() {}

  /**
   * A mapper that reads numbers exactly (no binary floating point anywhere near money, and JSON
   * trees keep an amount's trailing zeros), rejects duplicate keys and trailing data, bounds
   * numbers, strings and nesting ({@link JsonBody#constraints()}), and writes amounts as plain
   * decimals and times as ISO-8601.
   */
  static ObjectMapper mapper() {
    ObjectMapper mapper =
        ObjectMappers.create()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            // "{...} trailing" is not one JSON document: refuse it rather than ignore the rest.
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            // Bodies are checked field by field (JsonBody): an amount of any scale reaches the
            // check that names its field ("at most two decimals"), not cqrs's bound on trees.
            .setNodeFactory(JsonNodeFactory.instance);
    mapper.getFactory().setStreamReadConstraints(JsonBody.constraints());
    return mapper;
  }

  private static final ObjectMapper PROBLEMS = mapper();

  /** A problem as JSON bytes. */
  static byte[] problemBytes(Problem problem) {
    try {
      return PROBLEMS.writeValueAsBytes(problem);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("A problem could not be written as JSON", e);
    }
  }

  /** An account as the read model has it, with the version of its stream the view reflects. */
  record AccountJson(
      String id,
      String firstName,
      String lastName,
      String email,
      BigDecimal balance,
      boolean closed,
      String owner,
      long version) {
    static AccountJson of(AccountView view, long version) {
      return new AccountJson(
          view.id(),
          view.firstName(),
          view.lastName(),
          view.email(),
          view.balance(),
          view.closed(),
          view.owner(),
          version);
    }
  }

  /** A transfer as the read model has it, with the version of its stream the view reflects. */
  record TransferJson(
      String id,
      String fromAccountId,
      String toAccountId,
      BigDecimal amount,
      TransferState state,
      String reason,
      long version) {
    static TransferJson of(TransferView view, long version) {
      return new TransferJson(
          view.id(),
          view.fromAccountId(),
          view.toAccountId(),
          view.amount(),
          view.state(),
          view.reason(),
          version);
    }
  }

  /**
   * A list from a read model: the readable entries, and a marker for each stream whose view could
   * not be read (it is left out, reported, and never fails the whole list).
   */
  /**
   * One page of a listing.
   *
   * @param next the {@code after} of the next page; absent on the last
   */
  record ListJson<T>(
      List<T> items,
      List<Unreadable> unreadable,
      @JsonInclude(JsonInclude.Include.NON_NULL) String next) {}

  /**
   * One page of an account's history.
   *
   * @param next the {@code after} of the next page; absent on the last
   */
  record HistoryJson(
      List<EventJson> items, @JsonInclude(JsonInclude.Include.NON_NULL) String next) {}

  /** A view that could not be read. */
  record Unreadable(String id, String problem) {
    static List<Unreadable> of(List<String> ids) {
      return ids.stream().map(id -> new Unreadable(id, "unreadable read-model document")).toList();
    }
  }

  /** One event of an account's history. */
  record EventJson(
      long version,
      String type,
      Instant created,
      String correlationId,
      String causationId,
      JsonNode event) {
    static EventJson of(ObjectMapper mapper, VersionedEvent event) {
      return new EventJson(
          event.version(),
          event.eventType(),
          event.created(),
          event.correlationId(),
          event.causationId(),
          redact(mapper.valueToTree(event.event())));
    }
  }

  /**
   * The readiness check's answer: {@code ok} while every listener of both buses consumes, else
   * {@code unavailable}, with each bus's state.
   */
  record HealthJson(
      String status, BusJson commandBus, BusJson eventBus, List<BankHealth.Processor> processors) {
    static HealthJson of(BankHealth health) {
      return new HealthJson(
          health.ready() ? "ok" : "unavailable",
          BusJson.of(health.commandBus()),
          BusJson.of(health.eventBus()),
          health.processors());
    }
  }

  /**
   * One bus in the readiness check; {@code lastFailure} is null if consumers never failed, and
   * {@code connections} is empty for the in-memory bus.
   */
  record BusJson(
      boolean healthy,
      int consumers,
      FailureJson lastFailure,
      List<BusHealth.Connection> connections) {
    static BusJson of(BusHealth health) {
      BusHealth.Failure failure = health.lastFailure();
      return new BusJson(
          health.healthy(),
          health.consumers(),
          failure == null
              ? null
              : new FailureJson(failure.description(), failure.at(), failure.fatal()),
          health.connections());
    }
  }

  /** What last took consumers away, and whether only a restart brings them back. */
  record FailureJson(String description, Instant at, boolean fatal) {}

  /**
   * The event's fields with password hashes blanked: a hash is not the password, but it is what an
   * attacker would try to crack, so the API never hands it out.
   */
  private static JsonNode redact(JsonNode event) {
    if (event instanceof ObjectNode object) {
      for (Map.Entry<String, JsonNode> field : object.properties()) {
        if (field.getKey().toLowerCase(Locale.ROOT).contains("passwordhash")) {
          field.setValue(object.textNode(REDACTED));
        }
      }
    }
    return event;
  }
}
