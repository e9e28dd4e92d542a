package io.cqrs.example.bank.spring;

import io.cqrs.Command;
import io.cqrs.Cqrs;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.AccountCommand.DebitAccount;
import io.cqrs.example.bank.domain.AccountCommand.OpenAccount;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.domain.TransferCommand.CreateMoneyTransfer;
import io.cqrs.example.bank.readmodel.AccountsReadModel;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import io.cqrs.example.bank.readmodel.StreamProjection;
import io.cqrs.example.bank.readmodel.TransfersReadModel;
import io.cqrs.example.bank.readmodel.TransfersReadModel.TransferView;
import io.cqrs.example.bank.readmodel.ViewStore;
import java.math.BigDecimal;
import java.util.List;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * The bank's HTTP API. Writes put a command on the bus and answer {@code 202 Accepted} with the ids
 * to follow it by; a worker handles it, and the read models (the {@code GET}s) show the outcome
 * once their processors have applied its events.
 *
 * <p>Every request is checked ({@link Requests}) before a command is made or a password hashed; one
 * that fails is answered {@code 400 application/problem+json} naming the field ({@link
 * BankProblems}).
 */
@RestController
public class BankController {
  private final Cqrs cqrs;
  private final PasswordHasher passwords;
  private final AccountsReadModel accounts;
  private final TransfersReadModel transfers;

  BankController(
      Cqrs cqrs,
      PasswordHasher passwords,
      @Qualifier("bank-accounts") AccountsReadModel accounts,
      @Qualifier("bank-transfers") TransfersReadModel transfers) {
    this.cqrs = cqrs;
    this.passwords = passwords;
    this.accounts = accounts;
    this.transfers = transfers;
  }

  /** An account to open. */
  public record NewAccount(
      String firstName, String lastName, String email, String password, BigDecimal balance) {}

  /** An amount to credit or debit. */
  public record Amount(BigDecimal amount) {}

  /** A transfer to make. */
  public record NewTransfer(String fromAccountId, String toAccountId, BigDecimal amount) {}

  /** What was accepted: the id of what it creates or changes, and the command's correlation id. */
  public record Accepted(String id, String correlationId) {}

  /** Opens an account; the password is hashed here and never leaves the process in clear. */
  @PostMapping(value = "/accounts", produces = MediaType.APPLICATION_JSON_VALUE)
  @ResponseStatus(HttpStatus.ACCEPTED)
  public Accepted openAccount(@RequestBody(required = false) NewAccount account) {
    Requests.body(account);
    String firstName = Requests.name("firstName", account.firstName());
    String lastName = Requests.name("lastName", account.lastName());
    String email = Requests.email("email", account.email());
    String password = Requests.password("password", account.password());
    BigDecimal balance = Requests.balance("balance", account.balance());
    String id = UUID.randomUUID().toString();
    Command sent =
        cqrs.send(
            new OpenAccount(id, firstName, lastName, email, passwords.hash(password), balance));
    return new Accepted(id, sent.correlationId());
  }

  /** Credits an account. */
  @PostMapping(value = "/accounts/{id}/credits", produces = MediaType.APPLICATION_JSON_VALUE)
  @ResponseStatus(HttpStatus.ACCEPTED)
  public Accepted credit(
      @PathVariable("id") String id, @RequestBody(required = false) Amount amount) {
    Requests.id("id", id);
    BigDecimal valid = Requests.amount("amount", Requests.body(amount).amount());
    return new Accepted(id, cqrs.send(new CreditAccount(id, valid)).correlationId());
  }

  /** Debits an account. */
  @PostMapping(value = "/accounts/{id}/debits", produces = MediaType.APPLICATION_JSON_VALUE)
  @ResponseStatus(HttpStatus.ACCEPTED)
  public Accepted debit(
      @PathVariable("id") String id, @RequestBody(required = false) Amount amount) {
    Requests.id("id", id);
    BigDecimal valid = Requests.amount("amount", Requests.body(amount).amount());
    return new Accepted(id, cqrs.send(new DebitAccount(id, valid)).correlationId());
  }

  /** Asks for a transfer; its id is the correlation id of every command and event it causes. */
  @PostMapping(value = "/transfers", produces = MediaType.APPLICATION_JSON_VALUE)
  @ResponseStatus(HttpStatus.ACCEPTED)
  public Accepted transfer(@RequestBody(required = false) NewTransfer transfer) {
    Requests.body(transfer);
    String from = Requests.id("fromAccountId", transfer.fromAccountId());
    String to = Requests.destination("toAccountId", transfer.toAccountId(), from);
    BigDecimal amount = Requests.amount("amount", transfer.amount());
    String id = UUID.randomUUID().toString();
    cqrs.commandBus().publish(Command.create(new CreateMoneyTransfer(id, from, to, amount), id));
    return new Accepted(id, id);
  }

  /**
   * A page of a listing: its items, the ids of the page's entries that could not be read (a
   * document someone corrupted; one bad entry does not hide the others), and the {@code after} of
   * the next page ({@code null} for the last).
   */
  public record Page<T>(List<T> items, List<String> unreadable, String next) {}

  /**
   * A page of the accounts, as the accounts read model has them, in the order of their ids: at most
   * {@code limit} (1 to {@value Requests#MAX_LIMIT}, default {@value Requests#DEFAULT_LIMIT}) after
   * the id {@code after}. It reads the page's views only, so an answer stays small however many
   * accounts there are.
   */
  @GetMapping("/accounts")
  public Page<AccountView> accounts(
      @RequestParam(name = "after", required = false) String after,
      @RequestParam(name = "limit", required = false) String limit) {
    StreamProjection.Page<AccountView> page =
        accounts.page(
            null,
            after == null ? null : Requests.id("after", after),
            Requests.limit("limit", limit));
    return new Page<>(
        page.entries().stream().map(ViewStore.Stored::view).toList(),
        page.unreadable(),
        page.next());
  }

  /** One account, as the accounts read model has it; 404 until its events are applied. */
  @GetMapping("/accounts/{id}")
  public AccountView account(@PathVariable("id") String id) {
    String valid = Requests.id("id", id);
    return accounts.find(valid).orElseThrow(() -> notFound("No account '" + valid + "'"));
  }

  /** One transfer, as the transfers read model has it; 404 until its events are applied. */
  @GetMapping("/transfers/{id}")
  public TransferView transfer(@PathVariable("id") String id) {
    String valid = Requests.id("id", id);
    return transfers.find(valid).orElseThrow(() -> notFound("No transfer '" + valid + "'"));
  }

  /** A 404 problem; {@code detail} names only an id that passed {@link Requests#id}. */
  private static ErrorResponseException notFound(String detail) {
    return new ErrorResponseException(
        HttpStatus.NOT_FOUND, ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, detail), null);
  }
}
