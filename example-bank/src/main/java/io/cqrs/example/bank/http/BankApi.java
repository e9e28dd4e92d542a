package io.cqrs.example.bank.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.Command;
import io.cqrs.CommandFailed;
import io.cqrs.MetadataKey;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.BankService;
import io.cqrs.example.bank.domain.Account;
import io.cqrs.example.bank.domain.AccountCommand.ChangeEmailAddress;
import io.cqrs.example.bank.domain.AccountCommand.ChangePassword;
import io.cqrs.example.bank.domain.AccountCommand.CloseAccount;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.AccountCommand.DebitAccount;
import io.cqrs.example.bank.domain.AccountCommand.OpenAccount;
import io.cqrs.example.bank.domain.AccountEvent.AccountOpened;
import io.cqrs.example.bank.domain.AccountEvent.PasswordChanged;
import io.cqrs.example.bank.domain.Money;
import io.cqrs.example.bank.domain.PasswordHasher;
import io.cqrs.example.bank.domain.TransferCommand.CreateMoneyTransfer;
import io.cqrs.example.bank.domain.UnknownAccountException;
import io.cqrs.example.bank.http.ApiJson.AccountJson;
import io.cqrs.example.bank.http.ApiJson.EventJson;
import io.cqrs.example.bank.http.ApiJson.HistoryJson;
import io.cqrs.example.bank.http.ApiJson.ListJson;
import io.cqrs.example.bank.http.ApiJson.TransferJson;
import io.cqrs.example.bank.http.ApiJson.Unreadable;
import io.cqrs.example.bank.http.ApiUsers.User;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import io.cqrs.example.bank.readmodel.StreamProjection.Page;
import io.cqrs.example.bank.readmodel.TransfersReadModel.TransferView;
import io.cqrs.example.bank.readmodel.ViewStore.Stored;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The bank's routes.
 *
 * <p>Every command gets a message id: the request's {@code Idempotency-Key} (with the user and the
 * route) turned into a UUID, so a retried request is the same command and takes effect once, or a
 * fresh one. It is also the command's correlation id (and the id of the account or transfer it
 * opens), so its outcome is found by that id alone: {@code GET /commands/{id}} on any instance.
 * With commands on an in-process bus the request runs the command and answers with its outcome;
 * with commands on RabbitMQ it answers 202 Accepted with that status resource as {@code Location}.
 * A response renders from the events the command caused, never from a second load of the aggregate;
 * queries read the read models, which lag by milliseconds (each view says the stream version it
 * reflects, which a client compares with its command's).
 */
final class BankApi implements AutoCloseable {
  private static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  private static final String PASSWORD = "password";
  private static final Map<String, String> RETRY_AFTER = Map.of("Retry-After", "1");
  private static final int MAX_KEY_LENGTH = 200;
  private static final Pattern NUMBER = Pattern.compile("[0-9]+(?:[.,][0-9]+)*");

  /** The command metadata that holds the request's digest (see {@link Submission}). */
  static final String REQUEST_DIGEST = "bank.requestDigest";

  /** How many password hashes requests make at once. */
  static final int CONCURRENT_HASHES = 2;

  /**
   * How long a request waits its turn for a hashing slot: one user's {@link
   * ApiUsers#MAX_REQUESTS_PER_USER} requests ahead of it, a third of a second each on two slots,
   * take about five seconds.
   */
  static final java.time.Duration HASH_WAIT = java.time.Duration.ofSeconds(10);

  /**
   * The most accounts a customer (a user who is not an administrator) may open: a customer's
   * listings read each of their accounts' transfer index, so without a bound one user could make
   * every such request cost the store thousands of reads.
   */
  static final int MAX_ACCOUNTS_PER_CUSTOMER = 100;

  /** What a customer sees in place of each number in the reason of a transfer that failed. */
  static final String HIDDEN_AMOUNT = "(amount hidden)";

  // Fair: a request that waits is served before later ones, so one user's stream of password
  // changes cannot keep another's opening from ever getting a slot.
  private final Semaphore hashes = new Semaphore(CONCURRENT_HASHES, true);

  /** Checks a password against a recorded hash; any hasher reads any hash's iteration count. */
  private final PasswordHasher passwords = new PasswordHasher();

  private final Bank bank;
  private final BankService service;
  private final ObjectMapper mapper;
  private final Authentication authentication;
  private final boolean synchronous;
  private final Readiness readiness;

  BankApi(Bank bank, ObjectMapper mapper, ApiUsers users, boolean synchronous) {
    this.bank = bank;
    this.service = bank.service();
    this.mapper = mapper;
    this.authentication = new Authentication(users);
    this.synchronous = synchronous;
    this.readiness = new Readiness(bank);
  }

  void routes(RoutesConfig routes) {
    routes.get("/health", ctx -> ctx.json(Map.of("status", "up")));
    routes.get("/ready", this::ready);
    routes.post("/accounts", this::openAccount);
    routes.get("/accounts", this::accounts);
    routes.get("/accounts/{id}", this::account);
    routes.get("/accounts/{id}/history", this::history);
    routes.post("/accounts/{id}/credit", this::credit);
    routes.post("/accounts/{id}/debit", this::debit);
    routes.post("/accounts/{id}/email", this::changeEmail);
    routes.post("/accounts/{id}/password", this::changePassword);
    routes.post("/accounts/{id}/close", this::close);
    routes.post("/transfers", this::transfer);
    routes.get("/transfers", this::transfers);
    routes.get("/transfers/{id}", this::transferView);
    routes.get("/commands/{id}", this::commandStatus);
  }

  /**
   * 200 when this instance can take work, 503 with the reasons when not: a readiness check, open to
   * anyone (a load balancer, a probe) with its status and short reasons; the details (connections,
   * lag, failures' text) only for an administrator's credentials.
   */
  private void ready(Context ctx) {
    Readiness.Report report = readiness.check();
    ctx.status(report.ready() ? 200 : 503)
        .json(authentication.isAdmin(ctx) ? report : report.brief());
  }

  /** Releases the readiness probe's thread. */
  @Override
  public void close() {
    readiness.close();
  }

  // ---- commands

  private void openAccount(Context ctx) {
    User user = authenticate(ctx);
    JsonBody body = body(ctx, "firstName", "lastName", "email", "password", "initialBalance");
    String firstName = body.text("firstName");
    String lastName = body.text("lastName");
    String email = body.text("email");
    String password = body.text("password");
    BigDecimal initialBalance = body.balance("initialBalance", Money.ZERO);
    Submission submission = submission(ctx, user, "open-account", body);
    String id = submission.messageId();
    submit(
        ctx,
        submission,
        "/accounts/" + id,
        201,
        () -> {
          requireRoomForAnAccount(user);
          return hashing(
              () ->
                  service.openAccountCommand(
                      id, firstName, lastName, email, password, initialBalance, user.name()));
        });
  }

  /**
   * Refuses a customer's new account beyond {@link #MAX_ACCOUNTS_PER_CUSTOMER}, closed ones
   * included, counted in the accounts read model's index of the owner (one read): openings can pass
   * the bound by those the read model has not filed yet, normally a few (each opening costs a
   * password hash, at most {@value #CONCURRENT_HASHES} at once), more while its processor lags or
   * is paused. A retry of an opening that took effect is answered before this (its outcome is found
   * by its key), so it is never refused by its own account.
   */
  private void requireRoomForAnAccount(User user) {
    if (!user.admin() && bank.accounts().countFiledFor(user.name()) >= MAX_ACCOUNTS_PER_CUSTOMER) {
      throw new ApiException(
          409,
          "account_limit",
          "A customer may hold at most " + MAX_ACCOUNTS_PER_CUSTOMER + " accounts");
    }
  }

  private void credit(Context ctx) {
    accountCommand(
        ctx,
        "credit",
        "amount",
        (id, body) -> {
          BigDecimal amount = body.amount("amount");
          return () -> new CreditAccount(id, amount);
        });
  }

  private void debit(Context ctx) {
    accountCommand(
        ctx,
        "debit",
        "amount",
        (id, body) -> {
          BigDecimal amount = body.amount("amount");
          return () -> new DebitAccount(id, amount);
        });
  }

  private void changeEmail(Context ctx) {
    accountCommand(
        ctx,
        "email",
        "email",
        (id, body) -> {
          String email = body.text("email");
          return () -> new ChangeEmailAddress(id, email);
        });
  }

  private void changePassword(Context ctx) {
    accountCommand(
        ctx,
        "password",
        "password",
        (id, body) -> {
          String password = body.text("password");
          return () -> hashing(() -> service.changePasswordCommand(id, password));
        });
  }

  /**
   * A command on the path's account, which the user must own, from a body of one field: {@code
   * command} reads and checks the field (a 400 comes before anything else happens) and returns how
   * to make the command, which {@link #submit} calls only if the request has no outcome yet.
   */
  private void accountCommand(
      Context ctx,
      String operation,
      String field,
      BiFunction<String, JsonBody, Supplier<Object>> command) {
    User user = authenticate(ctx);
    String id = ownedAccount(ctx, user);
    JsonBody body = body(ctx, field);
    Supplier<Object> made = command.apply(id, body);
    submit(ctx, submission(ctx, user, operation + ":" + id, body), "/accounts/" + id, 200, made);
  }

  private void close(Context ctx) {
    User user = authenticate(ctx);
    String id = ownedAccount(ctx, user);
    JsonBody body = ctx.bodyAsBytes().length > 0 ? body(ctx) : null;
    submit(
        ctx,
        submission(ctx, user, "close:" + id, body),
        "/accounts/" + id,
        200,
        () -> new CloseAccount(id));
  }

  private void transfer(Context ctx) {
    User user = authenticate(ctx);
    JsonBody body = body(ctx, "fromAccountId", "toAccountId", "amount");
    String from = body.id("fromAccountId");
    String to = body.id("toAccountId");
    BigDecimal amount = body.amount("amount");
    requireOwner(user, from, writeModelOwner(from));
    Submission submission = submission(ctx, user, "transfer", body);
    String id = submission.messageId();
    // The transfer's id is its command's id: its status and the transfer are found by it.
    submit(
        ctx,
        submission,
        "/transfers/" + id,
        202,
        () -> new CreateMoneyTransfer(id, from, to, amount));
  }

  /**
   * One request's command: who sends it, its message id, a digest of what was asked, which travels
   * in the command's metadata to its events, and the password the request sets, if any.
   *
   * <p>The digest covers the operation and the body, canonical, but never a password: an unsalted
   * digest of a body that holds one is a password hash that anyone who reads the store, the bus or
   * a backup could crack at GPU speed. Nor is it keyed instead: no secret is shared by every
   * process of a scaled-out service and kept across restarts, and the digest must compare across
   * both. A password is compared with the salted hash its command recorded instead ({@link
   * #requireSameRequest}).
   */
  private record Submission(User user, String messageId, String digest, String password) {
    @Override
    public String toString() {
      return "Submission[" + user.name() + ", " + messageId + "]"; // never the password
    }
  }

  private static Submission submission(Context ctx, User user, String operation, JsonBody body) {
    String canonical = body == null ? "" : body.canonicalWithout(PASSWORD);
    String password = body != null && body.has(PASSWORD) ? body.text(PASSWORD) : null;
    return new Submission(
        user,
        messageId(ctx, user, operation),
        Digests.sha256(operation + "\n" + canonical),
        password);
  }

  /**
   * Sends or runs a command and answers with its status (see the class comment). A retried request
   * whose command already has an outcome gets that outcome again, and the command is neither made
   * (no password hashed) nor sent again; a key reused for another request is refused with 422, also
   * when the two raced: both found no outcome, both ran, and the store kept only the first, whose
   * outcome is not the second's to report. A command that failed for a reason of the server's own
   * has no outcome ({@link CommandStatus}): its retry runs it again, as the dispatcher would.
   */
  private void submit(
      Context ctx, Submission submission, String resource, int succeeded, Supplier<Object> body) {
    String messageId = submission.messageId();
    List<VersionedEvent> recorded = service.eventsOfCorrelation(messageId);
    CommandStatus earlier = CommandStatus.of(messageId, recorded, resource);
    if (!earlier.isPending()) {
      requireSameRequest(recorded, submission, null);
      answer(ctx, earlier, succeeded);
      return;
    }
    Command command =
        Command.builder(body.get())
            .messageId(messageId)
            .correlationId(messageId)
            .metadata(
                Map.of(
                    MetadataKey.ACTOR.name(),
                    submission.user().name(),
                    REQUEST_DIGEST,
                    submission.digest()))
            .build();
    if (!synchronous) {
      service.send(command);
      ctx.status(202).header("Location", "/commands/" + messageId).json(earlier);
      return;
    }
    service.execute(command);
    recorded = service.eventsOfCorrelation(messageId);
    requireSameRequest(recorded, submission, command.body());
    CommandStatus outcome = CommandStatus.of(messageId, recorded, resource);
    answer(
        ctx,
        outcome.isPending() ? CommandStatus.unchanged(messageId, resource) : outcome,
        succeeded);
  }

  /**
   * Refuses a request whose key names a command that asked for something else: the digest its
   * outcome carries differs from this request's, or it set a password this request does not set.
   * The outcome is the command's events if it took effect, else its recorded failure: the one
   * {@link CommandStatus} reports. A failure records no password hash, so a rejected command's
   * password is not compared (its retry is rejected again, whatever the password).
   *
   * @param made the command this request made and ran, or {@code null} if it made none
   */
  private void requireSameRequest(
      List<VersionedEvent> recorded, Submission submission, Object made) {
    List<VersionedEvent> outcome = outcome(submission.messageId(), recorded);
    if (outcome.isEmpty()) {
      return;
    }
    String digest = outcome.get(0).metadata().get(REQUEST_DIGEST);
    if (digest != null && !digest.equals(submission.digest())) {
      throw keyReused();
    }
    String recordedHash = passwordHash(outcome);
    if (submission.password() == null || recordedHash == null) {
      return;
    }
    // This request's own command recorded its own hash; only another request's hash is checked,
    // at the cost of hashing the password again.
    if (!recordedHash.equals(passwordHash(made))
        && !hashing(() -> passwords.matches(submission.password(), recordedHash))) {
      throw keyReused();
    }
  }

  /**
   * The events of what a command did: its effects if it had any, else its recorded failure. A
   * retryable failure is no outcome ({@link CommandStatus}): the request that ran the command again
   * is not compared with the one that failed.
   */
  private static List<VersionedEvent> outcome(String messageId, List<VersionedEvent> recorded) {
    List<VersionedEvent> caused =
        recorded.stream()
            .filter(event -> messageId.equals(event.causationId()))
            .filter(event -> !(event.event() instanceof CommandFailed failed && failed.retryable()))
            .toList();
    List<VersionedEvent> effects = caused.stream().filter(event -> event.version() > 0).toList();
    return effects.isEmpty() ? caused : effects;
  }

  /** The password hash a command or one of its events holds, or {@code null}. */
  private static String passwordHash(Object message) {
    if (message instanceof OpenAccount open) {
      return open.passwordHash();
    }
    if (message instanceof ChangePassword change) {
      return change.newPasswordHash();
    }
    if (message instanceof AccountOpened opened) {
      return opened.passwordHash();
    }
    if (message instanceof PasswordChanged changed) {
      return changed.newPasswordHash();
    }
    return null;
  }

  private static String passwordHash(List<VersionedEvent> events) {
    for (VersionedEvent event : events) {
      String hash = passwordHash(event.event());
      if (hash != null) {
        return hash;
      }
    }
    return null;
  }

  private static ApiException keyReused() {
    return new ApiException(
        422,
        "idempotency_key_reused",
        IDEMPOTENCY_KEY + " was used before for another request; use a new key",
        IDEMPOTENCY_KEY,
        Map.of());
  }

  /**
   * Hashes a password (PBKDF2, a third of a second of a core) or checks one against a hash: at most
   * {@link #CONCURRENT_HASHES} at once, the others waiting in turn up to {@link #HASH_WAIT}, then
   * answered 503. Answered at once when a slot was free, a busy moment refused every other user's
   * opening while one customer changed passwords in a loop (45 of 47 in an adversary's run).
   */
  private <T> T hashing(Supplier<T> work) {
    boolean acquired;
    try {
      acquired = hashes.tryAcquire(HASH_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      acquired = false;
    }
    if (!acquired) {
      throw new ApiException(
          503, "busy", "Too many passwords being hashed; please retry", null, RETRY_AFTER);
    }
    try {
      return work.get();
    } finally {
      hashes.release();
    }
  }

  private void answer(Context ctx, CommandStatus status, int succeeded) {
    if (CommandStatus.REJECTED.equals(status.status())) {
      CommandStatus.Rejection rejection = status.rejection();
      throw new ApiException(
          rejection.status(), rejection.code(), rejection.detail(), null, Map.of());
    }
    ctx.header("Content-Location", "/commands/" + status.commandId());
    if (succeeded == 201 || succeeded == 202) {
      ctx.header("Location", status.resource());
    }
    ctx.status(succeeded).json(status);
  }

  /** {@code GET /commands/{id}}: a command's status, to its sender and to administrators. */
  private void commandStatus(Context ctx) {
    User user = authenticate(ctx);
    String id = JsonBody.id("id", ctx.pathParam("id"));
    List<VersionedEvent> events = service.eventsOfCorrelation(id);
    String actor = CommandStatus.actor(id, events);
    boolean recorded = events.stream().anyMatch(event -> id.equals(event.causationId()));
    if (recorded && !user.admin() && !user.name().equals(actor)) {
      throw new ApiException(403, "forbidden", "This command was sent by another user");
    }
    ctx.json(CommandStatus.of(id, events, null));
  }

  /**
   * The command's id: a UUID derived from the user, the operation (with its account id) and the
   * {@code Idempotency-Key} header, or a fresh one without that header.
   */
  private static String messageId(Context ctx, User user, String operation) {
    String key = RequestHeaders.single(ctx, IDEMPOTENCY_KEY);
    if (key == null) {
      return UUID.randomUUID().toString();
    }
    if (key.isEmpty()
        || key.length() > MAX_KEY_LENGTH
        || !key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw ApiException.invalid(
          IDEMPOTENCY_KEY,
          IDEMPOTENCY_KEY + " must be 1 to " + MAX_KEY_LENGTH + " visible ASCII characters");
    }
    // Scoped by the operation and its validated ids, not the raw path: /accounts/a/credit/ and
    // /accounts/%61/credit are the same request.
    String scoped = user.name() + "\n" + operation + "\n" + key;
    return UUID.nameUUIDFromBytes(scoped.getBytes(StandardCharsets.UTF_8)).toString();
  }

  // ---- queries

  /**
   * A page of the user's accounts (every account, for an administrator), by id: read through the
   * owner's index, so a customer's listing reads that customer's accounts only.
   */
  private void accounts(Context ctx) {
    User user = authenticate(ctx);
    PageRequest request = PageRequest.of(ctx);
    Page<AccountView> page =
        user.admin()
            ? bank.accounts().page(null, request.after(), request.limit())
            : bank.accounts().ownedBy(user.name(), request.after(), request.limit());
    List<AccountJson> accounts =
        page.entries().stream()
            .map(entry -> AccountJson.of(entry.view(), entry.version()))
            .toList();
    // Only administrators see which documents of others are broken.
    List<Unreadable> unreadable = user.admin() ? Unreadable.of(page.unreadable()) : List.of();
    ctx.json(new ListJson<>(accounts, unreadable, page.next()));
  }

  private void account(Context ctx) {
    User user = authenticate(ctx);
    String id = JsonBody.id("id", ctx.pathParam("id"));
    Stored<AccountView> entry = accountEntry(id);
    requireOwner(user, id, entry.view().owner());
    ctx.json(AccountJson.of(entry.view(), entry.version()));
  }

  /**
   * A page of an account's events, oldest first: {@code ?after=<version>} (0 by default) and {@code
   * ?limit=} as for listings; {@code next} names the {@code after} of the page that follows.
   */
  private void history(Context ctx) {
    User user = authenticate(ctx);
    String id = ownedAccount(ctx, user);
    PageRequest.Versions request = PageRequest.Versions.of(ctx);
    BankService.HistoryPage page = service.history(id, request.after(), request.limit());
    List<EventJson> events =
        page.events().stream().map(event -> EventJson.of(mapper, event)).toList();
    Long next = page.next();
    ctx.json(new HistoryJson(events, next == null ? null : Long.toString(next)));
  }

  /**
   * A page of the transfers from or to the user's accounts (every transfer, for an administrator),
   * by id: read through the owner's index and each of those accounts' transfer index.
   */
  private void transfers(Context ctx) {
    User user = authenticate(ctx);
    PageRequest request = PageRequest.of(ctx);
    Page<TransferView> page =
        user.admin()
            ? bank.transfers().page(null, request.after(), request.limit())
            : bank.transfers()
                .involving(
                    bank.accounts().idsOwnedBy(user.name()), request.after(), request.limit());
    List<TransferJson> transfers =
        page.entries().stream()
            .map(entry -> TransferJson.of(shown(user, entry.view()), entry.version()))
            .toList();
    List<Unreadable> unreadable = user.admin() ? Unreadable.of(page.unreadable()) : List.of();
    ctx.json(new ListJson<>(transfers, unreadable, page.next()));
  }

  private void transferView(Context ctx) {
    User user = authenticate(ctx);
    String id = JsonBody.id("id", ctx.pathParam("id"));
    Stored<TransferView> entry =
        bank.transfers()
            .entry(id)
            .orElseThrow(() -> new ApiException(404, "not_found", "No transfer '" + id + "'"));
    TransferView view = entry.view();
    if (!user.admin()
        && !user.name().equals(readModelOwner(view.fromAccountId()))
        && !user.name().equals(readModelOwner(view.toAccountId()))) {
      throw new ApiException(403, "forbidden", "This transfer is between other users' accounts");
    }
    ctx.json(TransferJson.of(shown(user, view), entry.version()));
  }

  /**
   * A transfer as a customer sees it: why it failed, without amounts. A reason may quote a balance
   * ("the source account holds 1234.56"), which the other account's owner must not learn, not even
   * its number of digits: each number becomes the same {@link #HIDDEN_AMOUNT}.
   */
  private static TransferView shown(User user, TransferView view) {
    if (user.admin() || view.reason() == null) {
      return view;
    }
    return new TransferView(
        view.id(),
        view.fromAccountId(),
        view.toAccountId(),
        view.amount(),
        view.state(),
        NUMBER.matcher(view.reason()).replaceAll(HIDDEN_AMOUNT));
  }

  // ---- authentication and ownership

  private User authenticate(Context ctx) {
    return authentication.user(ctx);
  }

  /** The path's account id, after checking that the user may act on that account. */
  private String ownedAccount(Context ctx, User user) {
    String id = JsonBody.id("id", ctx.pathParam("id"));
    requireOwner(user, id, writeModelOwner(id));
    return id;
  }

  /** The owner as the write model has it: what commands are checked against. */
  private String writeModelOwner(String accountId) {
    return service
        .findAccount(accountId)
        .map(Account::owner)
        .orElseThrow(() -> new UnknownAccountException(accountId));
  }

  private String readModelOwner(String accountId) {
    return bank.accounts().find(accountId).map(AccountView::owner).orElse(null);
  }

  private Stored<AccountView> accountEntry(String id) {
    return bank.accounts()
        .entry(id)
        .orElseThrow(() -> new ApiException(404, "not_found", "No account '" + id + "'"));
  }

  private static void requireOwner(User user, String accountId, String owner) {
    if (!user.admin() && !user.name().equals(owner)) {
      throw new ApiException(
          403, "forbidden", "Account '" + accountId + "' belongs to another user");
    }
  }

  private JsonBody body(Context ctx, String... fields) {
    byte[] bytes = ctx.bodyAsBytes();
    if (bytes.length > 0 && !CrossSiteRequests.isJson(ctx.contentType())) {
      throw new ApiException(415, "unsupported_media_type", "Send the body as application/json");
    }
    return JsonBody.parse(mapper, bytes, fields);
  }
}
