package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The queue arguments each {@link QueueType} declares; nothing here connects. */
class QueueArgumentsTest {
  private static final Map<String, Object> DEAD_LETTERING =
      Map.of("x-dead-letter-exchange", "", "x-dead-letter-routing-key", "p.events.s.dlq");

  @Test
  void classic_queues_keep_their_arguments_as_they_are() {
    assertThat(SubscriptionTopology.typed(QueueType.CLASSIC, DEAD_LETTERING))
        .isEqualTo(DEAD_LETTERING);
    assertThat(SubscriptionTopology.typed(QueueType.CLASSIC, Map.of())).isEmpty();
  }

  @Test
  void quorum_queues_that_dead_letter_do_so_at_least_once() {
    assertThat(SubscriptionTopology.typed(QueueType.QUORUM, DEAD_LETTERING))
        .containsAllEntriesOf(DEAD_LETTERING)
        .containsEntry("x-queue-type", "quorum")
        .containsEntry("x-dead-letter-strategy", "at-least-once")
        .containsEntry("x-overflow", "reject-publish");
  }

  @Test
  void a_quorum_dead_letter_queue_is_only_typed() {
    assertThat(SubscriptionTopology.typed(QueueType.QUORUM, Map.of()))
        .containsExactly(Map.entry("x-queue-type", "quorum"));
  }
}
