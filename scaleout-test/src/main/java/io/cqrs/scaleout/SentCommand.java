package io.cqrs.scaleout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.util.Objects;

/**
 * One command a publisher sent, as it writes it to its log (one JSON line per command): what the
 * harness later compares with the event store.
 *
 * @param messageId the command's message id, also its correlation id; unique in the run
 * @param publisher which publisher sent it
 * @param kind what it asks for
 * @param accountId the account it names (the source of a transfer)
 * @param toAccountId the destination of a transfer, else {@code null}
 * @param amount the amount (the initial balance of an opening)
 */
public record SentCommand(
    String messageId,
    String publisher,
    Kind kind,
    String accountId,
    String toAccountId,
    BigDecimal amount) {
  private static final ObjectMapper JSON = new ObjectMapper();

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
