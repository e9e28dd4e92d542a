package io.cqrs.scaleout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.ObjectMappers;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One publication of a command, as a publisher writes it to its log (one JSON line per
 * publication): what the harness later compares with the event store. A command the publisher sent
 * a second time on purpose has a second line, equal but for {@code duplicate}.
 *
 * @param messageId the command's message id, also its correlation id; unique in the run but for
 *     duplicates
 * @param publisher which publisher sent it
 * @param kind what it asks for
 * @param accountId the account it names (the source of a transfer)
 * @param toAccountId the destination of a transfer, else {@code null}
 * @param amount the amount (the initial balance of an opening)
 * @param duplicate whether this is a second publication of the command, with the same message id
 * @param sentAt when the publisher first tried to send this publication's batch, in epoch
 *     milliseconds (its latency runs from there, through any resend); 0 if not sent by a publisher
 */
public record SentCommand(
    String messageId,
    String publisher,
    Kind kind,
    String accountId,
    String toAccountId,
    BigDecimal amount,
    boolean duplicate,
    long sentAt) {
  private static final ObjectMapper JSON = ObjectMappers.create();

  /** What a command asks the bank to do. */
  public enum Kind {
    /** {@code OpenAccount}. */
    OPEN,
    /** {@code CreditAccount}. */
    CREDIT,
    /** {@code DebitAccount}. */
    DEBIT,
    /** {@code CreateMoneyTransfer}. */
    TRANSFER
  }

  public SentCommand {
    Objects.requireNonNull(messageId, "messageId");
    Objects.requireNonNull(publisher, "publisher");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(amount, "amount");
    if (kind == Kind.TRANSFER) {
      Objects.requireNonNull(toAccountId, "toAccountId");
    }
  }

  /** A command's first (and usually only) publication. */
  public SentCommand(
      String messageId,
      String publisher,
      Kind kind,
      String accountId,
      String toAccountId,
      BigDecimal amount) {
    this(messageId, publisher, kind, accountId, toAccountId, amount, false, 0);
  }

  /** A second publication of this command: the same message, marked as a duplicate. */
  public SentCommand asDuplicate() {
    return new SentCommand(
        messageId, publisher, kind, accountId, toAccountId, amount, true, sentAt);
  }

  /** This publication, sent at {@code epochMillis}. */
  public SentCommand sentAt(long epochMillis) {
    return new SentCommand(
        messageId, publisher, kind, accountId, toAccountId, amount, duplicate, epochMillis);
  }

  /** Whether {@code other} publishes the same command: equal but for duplicate and send time. */
  public boolean sameCommand(SentCommand other) {
    return asDuplicate().sentAt(0).equals(other.asDuplicate().sentAt(0));
  }

  /**
   * Each command of {@code publications} once, in the order of their first publications: the
   * duplicates dropped.
   *
   * @throws IllegalArgumentException if a duplicate has no earlier first publication, or differs
   *     from it (two commands with one message id), or a message id is published first twice
   */
  public static List<SentCommand> distinct(List<SentCommand> publications) {
    Map<String, SentCommand> firsts = new HashMap<>();
    List<SentCommand> commands = new ArrayList<>();
    for (SentCommand publication : publications) {
      SentCommand first = firsts.get(publication.messageId());
      if (!publication.duplicate()) {
        if (first != null) {
          throw new IllegalArgumentException("Published first twice: " + publication);
        }
        firsts.put(publication.messageId(), publication);
        commands.add(publication);
      } else if (first == null || !first.sameCommand(publication)) {
        throw new IllegalArgumentException(
            "Duplicate " + publication + " does not repeat an earlier command: " + first);
      }
    }
    return commands;
  }

  /** The id of the transfer this command creates, or {@code null} if it is not a transfer. */
  public String transferId() {
    return kind == Kind.TRANSFER ? "tr-" + messageId : null;
  }

  /** This command as one line of JSON. */
  public String toJsonLine() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot write " + this, e);
    }
  }

  /**
   * Reads a line written by {@link #toJsonLine()}.
   *
   * @throws IllegalArgumentException if the line is not one
   */
  public static SentCommand fromJsonLine(String line) {
    try {
      return JSON.readValue(line, SentCommand.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Not a sent command: " + line, e);
    }
  }
}
