package io.cqrs;

import java.math.BigDecimal;

/** A small aggregate for the repository, dispatcher and fixture tests. */
final class Wallet extends EventSourceBased {
  record Opened(String owner) {}

  record Deposited(BigDecimal amount) {}

  record Withdrawn(BigDecimal amount) {}

  /** A domain rejection: not a framework exception, so dispatchers treat it as final. */
  static final class InsufficientFunds extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InsufficientFunds(String walletId, BigDecimal balance, BigDecimal amount) {
      super("Wallet " + walletId + " holds " + balance + ", cannot withdraw " + amount);
    }
  }

  private String owner;
  private BigDecimal balance = BigDecimal.ZERO;
  private transient boolean wantsSnapshot;

  Wallet(String id) {
    super(id);
  }

  /** A registry holding the wallet and its events. */
  static TypeRegistry types() {
    return new TypeRegistry()
        .registerAggregate(Wallet.class, Opened.class, Deposited.class, Withdrawn.class);
  }

  static Wallet open(String id, String owner) {
    Wallet wallet = new Wallet(id);
    wallet.update(new Opened(owner));
    return wallet;
  }

  void deposit(BigDecimal amount) {
    if (amount.signum() <= 0) {
      throw new IllegalArgumentException("amount must be positive, was " + amount);
    }
    update(new Deposited(amount));
  }

  void withdraw(BigDecimal amount) {
    if (balance.compareTo(amount) < 0) {
      throw new InsufficientFunds(id(), balance, amount);
    }
    update(new Withdrawn(amount));
  }

  /** Raises any event, for tests that need one the business methods would refuse. */
  void raise(Object event) {
    update(event);
  }

  void askForSnapshot() {
    wantsSnapshot = true;
  }

  @Override
  public boolean suggestSnapshot() {
    return wantsSnapshot;
  }

  String owner() {
    return owner;
  }

  BigDecimal balance() {
    return balance;
  }

  private void handleOpened(Opened e) {
    owner = e.owner();
  }

  private void handleDeposited(Deposited e) {
    balance = balance.add(e.amount());
  }

  private void handleWithdrawn(Withdrawn e) {
    balance = balance.subtract(e.amount());
  }
}
