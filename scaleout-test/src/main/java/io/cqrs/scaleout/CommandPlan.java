package io.cqrs.scaleout;

import io.cqrs.Command;
import io.cqrs.TypeRegistry;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.AccountCommand.DebitAccount;
import io.cqrs.example.bank.domain.AccountCommand.OpenAccount;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.domain.TransferCommand.CreateMoneyTransfer;
import io.cqrs.scaleout.SentCommand.Kind;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * The commands a publisher sends: a deterministic mix (from a seed) of credits, debits, transfers
 * and openings aimed at a small hot set of accounts, so that commands on the same account arrive at
 * several workers at once and optimistic-concurrency conflicts are frequent.
 *
 * <p>Message ids are deterministic ({@code <publisher>-<sequence>}) and double as correlation ids,
 * so a command resent after a broker failure is recognised by the workers' deduplication. A share
 * of the commands is published a second time on purpose ({@link #publications}), as a redelivery or
 * a client's retry would, so that every run tests that no command takes effect twice.
 */
public final class CommandPlan {
  /**
   * How many of the plan's other commands a later duplicate may follow its original by, at most: up
   * to five of the publisher's batches, so that it comes in another batch, after other commands on
   * the same accounts.
   */
  static final int MAX_DUPLICATE_DELAY = 100;

  /** The balance the hot accounts open with. */
  public static final BigDecimal INITIAL_BALANCE = new BigDecimal("500.00");

  /**
   * The password hash every opening carries. Passwords play no part in the test, so one hash made
   * with few iterations spares the publishers the cost of the default PBKDF2 count.
   */
  private static final String PASSWORD_HASH = new PasswordHasher(1_000).hash("scale-out-password");

  private CommandPlan() {}

  /** The commands that open the hot accounts, sent by the harness before the publishers start. */
  public static List<SentCommand> openings(List<String> accounts) {
    List<SentCommand> openings = new ArrayList<>();
    for (String account : accounts) {
      openings.add(
          new SentCommand("open-" + account, "harness", Kind.OPEN, account, null, INITIAL_BALANCE));
    }
    return openings;
  }

  /**
   * {@code count} commands for publisher {@code publisher}: 35% credits, 30% debits (some refused
   * for insufficient funds), 30% transfers between two hot accounts, 5% openings (half of new
   * accounts, half of hot accounts that exist already, which are refused).
   */
  public static List<SentCommand> generate(
      String publisher, long seed, List<String> accounts, int count) {
    Objects.requireNonNull(publisher, "publisher");
    if (accounts.size() < 2) {
      throw new IllegalArgumentException("accounts must hold at least two accounts for transfers");
    }
    Random random = new Random(seed ^ publisher.hashCode());
    List<SentCommand> plan = new ArrayList<>(count);
    for (int i = 1; i <= count; i++) {
      String id = String.format("%s-%06d", publisher, i);
      String account = accounts.get(random.nextInt(accounts.size()));
      BigDecimal amount = BigDecimal.valueOf(100 + random.nextInt(6_000), 2);
      int roll = random.nextInt(100);
      if (roll < 35) {
        plan.add(new SentCommand(id, publisher, Kind.CREDIT, account, null, amount));
      } else if (roll < 65) {
        plan.add(new SentCommand(id, publisher, Kind.DEBIT, account, null, amount));
      } else if (roll < 95) {
        String to = accounts.get(random.nextInt(accounts.size()));
        while (to.equals(account)) {
          to = accounts.get(random.nextInt(accounts.size()));
        }
        plan.add(new SentCommand(id, publisher, Kind.TRANSFER, account, to, amount));
      } else {
        String opened = roll < 98 ? "acc-" + id : account;
        plan.add(new SentCommand(id, publisher, Kind.OPEN, opened, null, INITIAL_BALANCE));
      }
    }
    return plan;
  }

  /**
   * The order in which a publisher sends {@code plan}: every command once, and {@code
   * duplicatePercent} % of them (rounded down, chosen from {@code seed}) a second time with the
   * same message id ({@link SentCommand#duplicate()}). Of the duplicated commands, the first half
   * (in the order they were chosen) have their copy right after the original, in the same batch, so
   * that two listeners may handle both at once; the other half have it after 1 to {@value
   * #MAX_DUPLICATE_DELAY} further commands of the plan (at the end, for the last ones), so that it
   * is reordered with commands on the same accounts and usually arrives once the original was
   * handled. A copy never precedes its original.
   */
  public static List<SentCommand> publications(
      List<SentCommand> plan, int duplicatePercent, long seed) {
    if (duplicatePercent < 0 || duplicatePercent > 100) {
      throw new IllegalArgumentException(
          "duplicatePercent must be between 0 and 100: " + duplicatePercent);
    }
    Random random = new Random(seed);
    List<Integer> indices = new ArrayList<>();
    for (int i = 0; i < plan.size(); i++) {
      indices.add(i);
    }
    Collections.shuffle(indices, random);
    int copies = plan.size() * duplicatePercent / 100;
    // The copy of plan[i] is published after plan[i + delay]; delay 0 is right after the original.
    Map<Integer, List<SentCommand>> after = new HashMap<>();
    for (int n = 0; n < copies; n++) {
      int i = indices.get(n);
      int delay = n < copies / 2 ? 0 : 1 + random.nextInt(MAX_DUPLICATE_DELAY);
      int slot = Math.min(i + delay, plan.size() - 1);
      after.computeIfAbsent(slot, k -> new ArrayList<>()).add(plan.get(i).asDuplicate());
    }
    List<SentCommand> publications = new ArrayList<>(plan.size() + copies);
    for (int i = 0; i < plan.size(); i++) {
      String original = plan.get(i).messageId();
      publications.add(plan.get(i));
      List<SentCommand> due = after.getOrDefault(i, List.of());
      // An immediate copy of plan[i] first, then the later copies due here, in the order chosen.
      due.stream().filter(c -> c.messageId().equals(original)).forEach(publications::add);
      due.stream().filter(c -> !c.messageId().equals(original)).forEach(publications::add);
    }
    return publications;
  }

  /** The bus commands for planned ones ({@link #toCommand}), in their order. */
  public static List<Command> toCommands(List<SentCommand> sent, TypeRegistry types) {
    List<Command> commands = new ArrayList<>(sent.size());
    sent.forEach(command -> commands.add(toCommand(command, types)));
    return commands;
  }

  /** The bus command for a planned one, with its deterministic message and correlation id. */
  public static Command toCommand(SentCommand sent, TypeRegistry types) {
    Object body =
        switch (sent.kind()) {
          case OPEN ->
              new OpenAccount(
                  sent.accountId(),
                  "Scale",
                  "Out",
                  sent.accountId() + "@example.org",
                  PASSWORD_HASH,
                  sent.amount());
          case CREDIT -> new CreditAccount(sent.accountId(), sent.amount());
          case DEBIT -> new DebitAccount(sent.accountId(), sent.amount());
          case TRANSFER ->
              new CreateMoneyTransfer(
                  sent.transferId(), sent.accountId(), sent.toAccountId(), sent.amount());
        };
    types.nameOf(body.getClass()); // fails for a body the bank does not register
    return Command.builder(body)
        .messageId(sent.messageId())
        .correlationId(sent.messageId())
        .build();
  }
}
