package io.cqrs.rabbitmq;

import com.rabbitmq.client.Return;
import com.rabbitmq.client.ShutdownSignalException;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The publisher-confirm bookkeeping of one confirm-mode channel: the messages sent on it that the
 * broker has not confirmed yet, by publish sequence number, and why the broker closed the channel
 * if it closed it over a message. Acks settle messages (one, or every one up to a tag), nacks and
 * the channel's loss settle them as lost, and a {@code basic.return}, which comes before the ack of
 * the same message, turns that ack into a return.
 *
 * <p>Threading: messages are added by the publishing thread, under the {@link PublishChannel}'s
 * lock so that sequence numbers come in order; acks, nacks, returns and the channel's shutdown
 * arrive on the connection's I/O thread; a loss may also be reported by a publishing thread that
 * found the channel closed. Nothing here blocks.
 */
final class ConfirmTracker {
  private volatile ConcurrentNavigableMap<Long, PendingMessage> pending =
      new ConcurrentSkipListMap<>();

  /**
   * Why the broker closed this channel, if it closed it over a message (a channel error, not a lost
   * connection); kept per channel so that one publication's rounds cannot clear another's.
   */
  private volatile ShutdownSignalException refusal;

  /**
   * Tracks {@code message}, about to be published with sequence number {@code seq}.
   *
   * @return the generation it was added to, for {@link #lostSince}
   */
  Object add(long seq, PendingMessage message) {
    message.sentOn = this;
    ConcurrentNavigableMap<Long, PendingMessage> map = pending;
    map.put(seq, message);
    return map;
  }

  /**
   * Whether the channel was lost after {@link #add} returned {@code generation}. The loss may have
   * missed a message added concurrently, so the publisher settles it as lost itself.
   */
  boolean lostSince(Object generation) {
    return generation != pending;
  }

  /** A {@code basic.ack}: confirmed, or returned if a return came first. */
  void acked(long tag, boolean multiple) {
    settle(tag, multiple, true);
  }

  /** A {@code basic.nack}: the broker lost the message(s); they must be sent again. */
  void nacked(long tag, boolean multiple) {
    settle(tag, multiple, false);
  }

  private void settle(long tag, boolean multiple, boolean ack) {
    ConcurrentNavigableMap<Long, PendingMessage> map = pending;
    if (multiple) {
      Map<Long, PendingMessage> settled = map.headMap(tag, true);
      settled.values().forEach(p -> p.settle(outcome(p, ack)));
      settled.clear();
    } else {
      PendingMessage p = map.remove(tag);
      if (p != null) {
        p.settle(outcome(p, ack));
      }
    }
  }

  private static PendingMessage.Outcome outcome(PendingMessage pending, boolean ack) {
    if (!ack) {
      return PendingMessage.Outcome.LOST;
    }
    return pending.returned != null
        ? PendingMessage.Outcome.RETURNED
        : PendingMessage.Outcome.CONFIRMED;
  }

  /** A {@code basic.return}: it arrives before the ack of the same message, which it qualifies. */
  void returned(Return message) {
    Map<String, Object> headers = message.getProperties().getHeaders();
    Object seq = headers == null ? null : headers.get(CqrsHeaders.PUBLISH_SEQ);
    PendingMessage p = seq instanceof Number number ? pending.get(number.longValue()) : null;
    if (p != null) {
      p.returned = new Returned(p.message, message.getReplyCode(), message.getReplyText());
    }
  }

  /**
   * The channel went down: the fate of every message still tracked is unknown. Called by the
   * channel's shutdown listener, and by whoever finds the channel closed first (with the channel's
   * close reason, which is set before the channel reports itself closed, while the listener may run
   * later); may be called more than once.
   *
   * @param reason why the channel closed, or {@code null} if unknown; a channel error (not a lost
   *     connection, not the application's own close) is kept as the {@link #refusal()}
   */
  void lost(ShutdownSignalException reason) {
    if (refusal == null
        && reason != null
        && !reason.isHardError()
        && !reason.isInitiatedByApplication()) {
      refusal = reason;
    }
    ConcurrentNavigableMap<Long, PendingMessage> lost = pending;
    pending = new ConcurrentSkipListMap<>();
    lost.values().forEach(p -> p.settle(PendingMessage.Outcome.LOST));
  }

  /** Why the broker closed this channel over a message, or {@code null}. */
  ShutdownSignalException refusal() {
    return refusal;
  }

  /** How many messages await their confirm, for tests. */
  int unconfirmed() {
    return pending.size();
  }
}
