package io.cqrs.scaleout;

import java.util.List;
import java.util.Map;

/**
 * The run's queues after quiescence.
 *
 * @param depths messages in each queue of the run's prefix
 * @param deadLetteredIds the message ids found in the dead-letter queues
 * @param poisonIds the ids of the poison messages sent on purpose
 * @param types the type ({@code classic}, {@code quorum}) of each queue of the run's prefix, by
 *     {@code rabbitmqctl}; empty where it cannot reach the broker
 */
record QueueState(
    Map<String, Long> depths,
    List<String> deadLetteredIds,
    List<String> poisonIds,
    Map<String, String> types) {}
