package io.cqrs.opentelemetry;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The span attributes {@link CqrsTracing} sets. The {@code messaging.*} and {@code error.type} keys
 * are OpenTelemetry's semantic conventions (messaging spans); the {@code cqrs.*} keys name what
 * those conventions have no word for. Written out here rather than taken from the
 * opentelemetry-semconv-incubating artifact, whose keys are unstable and would be one more
 * dependency for users.
 */
final class TraceKeys {
  static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");
  static final AttributeKey<String> OPERATION_TYPE =
      AttributeKey.stringKey("messaging.operation.type");
  static final AttributeKey<String> OPERATION_NAME =
      AttributeKey.stringKey("messaging.operation.name");
  static final AttributeKey<String> DESTINATION =
      AttributeKey.stringKey("messaging.destination.name");
  static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
  static final AttributeKey<String> CONVERSATION_ID =
      AttributeKey.stringKey("messaging.message.conversation_id");
  static final AttributeKey<String> CONSUMER_GROUP =
      AttributeKey.stringKey("messaging.consumer.group.name");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

  static final AttributeKey<String> CAUSATION_ID = AttributeKey.stringKey("cqrs.causation_id");
  static final AttributeKey<String> COMPONENT = AttributeKey.stringKey("cqrs.component");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("cqrs.outcome");
  static final AttributeKey<Long> ATTEMPTS = AttributeKey.longKey("cqrs.attempts");
  static final AttributeKey<Boolean> REPLAY = AttributeKey.booleanKey("cqrs.replay");
  static final AttributeKey<String> AGGREGATE_ID = AttributeKey.stringKey("cqrs.aggregate.id");
  static final AttributeKey<String> AGGREGATE_TYPE = AttributeKey.stringKey("cqrs.aggregate.type");
  static final AttributeKey<Long> AGGREGATE_VERSION =
      AttributeKey.longKey("cqrs.aggregate.version");
  static final AttributeKey<Long> EVENT_COUNT = AttributeKey.longKey("cqrs.aggregate.events");
  static final AttributeKey<Boolean> FROM_CACHE = AttributeKey.booleanKey("cqrs.aggregate.cached");
  static final AttributeKey<Boolean> FOUND = AttributeKey.booleanKey("cqrs.aggregate.found");

  /** {@code messaging.operation.type} of a publish: the semantic conventions' {@code send}. */
  static final String SEND = "send";

  /** {@code messaging.operation.type} and {@code .name} of handling a message. */
  static final String PROCESS = "process";

  /** {@code messaging.operation.name} of a publish: what the buses call it. */
  static final String PUBLISH = "publish";

  private TraceKeys() {}
}
