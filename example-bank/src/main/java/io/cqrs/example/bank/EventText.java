package io.cqrs.example.bank;

import io.cqrs.CommandFailed;
import io.cqrs.example.bank.domain.AccountEvent.AccountClosed;
import io.cqrs.example.bank.domain.AccountEvent.AccountCredited;
import io.cqrs.example.bank.domain.AccountEvent.AccountDebited;
import io.cqrs.example.bank.domain.AccountEvent.AccountOpened;
import io.cqrs.example.bank.domain.AccountEvent.AccountRefunded;
import io.cqrs.example.bank.domain.AccountEvent.EmailAddressChanged;
import io.cqrs.example.bank.domain.AccountEvent.PasswordChanged;
import io.cqrs.example.bank.domain.AccountEvent.TransferCreditRefused;
import io.cqrs.example.bank.domain.AccountEvent.TransferDebitRefused;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCompleted;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCreated;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferCreditRefused;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferDebited;
import io.cqrs.example.bank.domain.TransferEvent.MoneyTransferFailed;

/** One-line descriptions of the bank's events and ids, for the scenario's output. */
final class EventText {
  private static final int SHORT_ID = 8;
  private static final int SHORT_HASH = 28;

  private EventText() {}

  /** The first characters of an id: enough to tell the scenario's few ids apart. */
  static String shortId(String id) {
    return id == null || id.length() <= SHORT_ID ? id : id.substring(0, SHORT_ID);
  }

  /** The start of a password hash: its algorithm and cost, and a little of the salt. */
  static String shortHash(String hash) {
    return hash == null || hash.length() <= SHORT_HASH
        ? hash
        : hash.substring(0, SHORT_HASH) + "...";
  }

  /** What an event says, in a few words. */
  static String describe(Object event) {
    if (event instanceof AccountOpened e) {
      return e.firstName()
          + " "
          + e.lastName()
          + " <"
          + e.email()
          + ">, initial balance "
          + e.initialBalance();
    }
    if (event instanceof EmailAddressChanged e) {
      return e.previousEmail() + " -> " + e.newEmail();
    }
    if (event instanceof PasswordChanged e) {
      return "new hash " + shortHash(e.newPasswordHash());
    }
    if (event instanceof AccountCredited e) {
      return "+" + e.amount() + forTransfer(e.transferId());
    }
    if (event instanceof AccountDebited e) {
      return "-" + e.amount() + forTransfer(e.transferId());
    }
    if (event instanceof AccountRefunded e) {
      return "+" + e.amount() + " refund of transfer " + shortId(e.transferId());
    }
    if (event instanceof AccountClosed) {
      return "closed";
    }
    if (event instanceof TransferDebitRefused e) {
      return "will not pay " + e.amount() + forTransfer(e.transferId()) + ": " + e.reason();
    }
    if (event instanceof TransferCreditRefused e) {
      return "will not receive " + e.amount() + forTransfer(e.transferId()) + ": " + e.reason();
    }
    return describeTransferOrError(event);
  }

  private static String describeTransferOrError(Object event) {
    if (event instanceof MoneyTransferCreated e) {
      return e.amount() + " from " + shortId(e.fromAccountId()) + " to " + shortId(e.toAccountId());
    }
    if (event instanceof MoneyTransferDebited e) {
      return e.amount() + " taken from " + shortId(e.fromAccountId());
    }
    if (event instanceof MoneyTransferCompleted e) {
      return e.amount() + " given to " + shortId(e.toAccountId());
    }
    if (event instanceof MoneyTransferCreditRefused e) {
      return e.reason() + "; refunding the source";
    }
    if (event instanceof MoneyTransferFailed e) {
      return e.reason() + (e.refunded() ? "; source refunded" : "; nothing moved");
    }
    if (event instanceof CommandFailed e) {
      String error = e.errorType().substring(e.errorType().lastIndexOf('.') + 1);
      return e.commandType() + " refused: " + error + ": " + e.message();
    }
    return event.toString();
  }

  private static String forTransfer(String transferId) {
    return transferId == null ? "" : " for transfer " + shortId(transferId);
  }
}
