package io.cqrs.example.bank.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cqrs.Command;
import io.cqrs.MetadataKey;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.Bank;
import io.cqrs.example.bank.BankService;
import io.cqrs.example.bank.domain.Account;
import io.cqrs.example.bank.domain.AccountCommand.ChangeEmailAddress;
import io.cqrs.example.bank.domain.AccountCommand.CloseAccount;
import io.cqrs.example.bank.domain.AccountCommand.CreditAccount;
import io.cqrs.example.bank.domain.AccountCommand.DebitAccount;
import io.cqrs.example.bank.domain.Money;
import io.cqrs.example.bank.domain.TransferCommand.CreateMoneyTransfer;
import io.cqrs.example.bank.domain.UnknownAccountException;
import io.cqrs.example.bank.http.ApiJson.AccountJson;
import io.cqrs.example.bank.http.ApiJson.EventJson;
import io.cqrs.example.bank.http.ApiJson.ListJson;
import io.cqrs.example.bank.http.ApiJson.TransferJson;
import io.cqrs.example.bank.http.ApiJson.Unreadable;
import io.cqrs.example.bank.http.ApiUsers.User;
import io.cqrs.example.bank.readmodel.AccountsReadModel.AccountView;
import io.cqrs.example.bank.readmodel.StreamProjection.Listing;
import io.cqrs.example.bank.readmodel.TransfersReadModel.TransferView;
import io.cqrs.example.bank.readmodel.ViewStore.Stored;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

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
final class BankApi {
  private static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  private static final int MAX_KEY_LENGTH = 200;

  private final Bank bank;
  private final BankService service;
  private final ObjectMapper mapper;
  private final ApiUsers users;
  private final boolean synchronous;
  private final Readiness readiness;

  BankApi(Bank bank, ObjectMapper mapper, ApiUsers users, boolean synchronous) {
    this.bank = bank;
    this.service = bank.service();
    this.mapper = mapper;
    this.users = users;
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

  /** 200 when this instance can take work, 503 with the reasons when not: a readiness check. */
  private void ready(Context ctx) {
    Readiness.Report report = readiness.check();
    ctx.status(report.ready() ? 200 : 503).json(report);
  }

  // ---- commands

  private void openAccount(Context ctx) {
    User user = authenticate(ctx);
    JsonBody body = body(ctx, "firstName", "lastName", "email", "password", "initialBalance");
    String id = messageId(ctx, user);
    Object command =
        service.openAccountCommand(
            id,
            body.text("firstName"),
            body.text("lastName"),
            body.text("email"),
            body.text("password"),
            body.balance("initialBalance", Money.ZERO),
            user.name());
    submit(ctx, user, command, id, "/accounts/" + id, 201);
  }

  private void credit(Context ctx) {
    User user = authenticate(ctx);
    String id = ownedAccount(ctx, user);
    BigDecimal amount = body(ctx, "amount").amount("amount");
    submit(ctx, user, new CreditAccount(id, amount), messageId(ctx, user), "/accounts/" + id, 200);
  }

  private void debit(Context ctx) {
    User user = authenticate(ctx);
    String id = ownedAccount(ctx, user);
    BigDecimal amount = body(ctx, "amount").amount("amount");
    submit(ctx, user, new DebitAccount(id, amount), messageId(ctx, user), "/accounts/" + id, 200);
  }

  private void changeEmail(Context ctx) {
    User user = authenticate(ctx);
    String id = ownedAccount(ctx, user);
    String email = body(ctx, "email").text("email");
    submit(
        ctx, user, new ChangeEmailAddress(id, email), messageId(ctx, user), "/accounts/" + id, 200);
  }

  private void changePassword(Context ctx) {
    User user = authenticate(ctx);
    String id = ownedAccount(ctx, user);
    String password = body(ctx, "password").text("password");
    submit(
        ctx,
        user,
        service.changePasswordCommand(id, password),
        messageId(ctx, user),
        "/accounts/" + id,
        200);
  }

  private void close(Context ctx) {
    User user = authenticate(ctx);
    String id = ownedAccount(ctx, user);
    if (ctx.bodyAsBytes().length > 0) {
      body(ctx);
    }
    submit(ctx, user, new CloseAccount(id), messageId(ctx, user), "/accounts/" + id, 200);
  }

  private void transfer(Context ctx) {
    User user = authenticate(ctx);
    JsonBody body = body(ctx, "fromAccountId", "toAccountId", "amount");
    String from = body.id("fromAccountId");
    String to = body.id("toAccountId");
    BigDecimal amount = body.amount("amount");
    requireOwner(user, from, writeModelOwner(from));
    String id = messageId(ctx, user);
    // The transfer's id is its command's id: its status and the transfer are found by it.
    submit(ctx, user, new CreateMoneyTransfer(id, from, to, amount), id, "/transfers/" + id, 202);
  }

  /**
   * Sends or runs a command and answers with its status (see the class comment). A retried request
   * whose command already has an outcome gets that outcome again, and the command is not sent
   * again.
   */
  private void submit(
      Context ctx, User user, Object body, String messageId, String resource, int succeeded) {
    Command command =
        Command.builder(body)
            .messageId(messageId)
            .correlationId(messageId)
            .metadata(Map.of(MetadataKey.ACTOR.name(), user.name()))
            .build();
    CommandStatus earlier = status(messageId, resource);
    if (!earlier.isPending()) {
      answer(ctx, earlier, succeeded);
      return;
    }
    if (!synchronous) {
      service.send(command);
      ctx.status(202).header("Location", "/commands/" + messageId).json(earlier);
      return;
    }
    service.execute(command);
    CommandStatus outcome = status(messageId, resource);
    answer(
        ctx,
        outcome.isPending() ? CommandStatus.unchanged(messageId, resource) : outcome,
        succeeded);
  }

  private CommandStatus status(String messageId, String resource) {
    return CommandStatus.of(messageId, service.eventsOfCorrelation(messageId), resource);
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
    if (actor != null && !user.admin() && !actor.equals(user.name())) {
      throw new ApiException(403, "forbidden", "This command was sent by another user");
    }
    ctx.json(CommandStatus.of(id, events, null));
  }

  /**
   * The command's id: a UUID derived from the user, the route and the {@code Idempotency-Key}
   * header, or a fresh one without that header.
   */
  private static String messageId(Context ctx, User user) {
    String key = ctx.header(IDEMPOTENCY_KEY);
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
    String scoped = user.name() + "\n" + ctx.method() + " " + ctx.path() + "\n" + key;
    return UUID.nameUUIDFromBytes(scoped.getBytes(StandardCharsets.UTF_8)).toString();
  }

  // ---- queries

  private void accounts(Context ctx) {
    User user = authenticate(ctx);
    Listing<AccountView> listing = bank.accounts().list();
    List<AccountJson> accounts =
        listing.views().stream()
            .filter(view -> user.admin() || user.name().equals(view.owner()))
            .map(view -> AccountJson.of(view, bank.accounts().version(view.id())))
            .toList();
    // Only administrators see which documents of others are broken.
    List<Unreadable> unreadable = user.admin() ? Unreadable.of(listing.unreadable()) : List.of();
    ctx.json(new ListJson<>(accounts, unreadable));
  }

  private void account(Context ctx) {
    User user = authenticate(ctx);
    String id = JsonBody.id("id", ctx.pathParam("id"));
    Stored<AccountView> entry = accountEntry(id);
    requireOwner(user, id, entry.view().owner());
    ctx.json(AccountJson.of(entry.view(), entry.version()));
  }

  private void history(Context ctx) {
    User user = authenticate(ctx);
    String id = ownedAccount(ctx, user);
    List<EventJson> events =
        service.history(id).stream().map(event -> EventJson.of(mapper, event)).toList();
    ctx.json(events);
  }

  private void transfers(Context ctx) {
    User user = authenticate(ctx);
    Listing<TransferView> listing = bank.transfers().list();
    Set<String> own =
        user.admin()
            ? Set.of()
            : bank.accounts().all().stream()
                .filter(view -> user.name().equals(view.owner()))
                .map(AccountView::id)
                .collect(Collectors.toSet());
    List<TransferJson> transfers =
        listing.views().stream()
            .filter(
                view ->
                    user.admin()
                        || own.contains(view.fromAccountId())
                        || own.contains(view.toAccountId()))
            .map(view -> TransferJson.of(view, bank.transfers().version(view.id())))
            .toList();
    List<Unreadable> unreadable = user.admin() ? Unreadable.of(listing.unreadable()) : List.of();
    ctx.json(new ListJson<>(transfers, unreadable));
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
    ctx.json(TransferJson.of(view, entry.version()));
  }

  // ---- authentication and ownership

  private User authenticate(Context ctx) {
    return users
        .authenticate(ctx.header("Authorization"))
        .orElseThrow(
            () ->
                new ApiException(
                    401,
                    "unauthorized",
                    "Sign in with HTTP Basic authentication",
                    null,
                    Map.of("WWW-Authenticate", "Basic realm=\"bank\", charset=\"UTF-8\"")));
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
    String type = ctx.contentType();
    byte[] bytes = ctx.bodyAsBytes();
    if (bytes.length > 0
        && (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json"))) {
      throw new ApiException(415, "unsupported_media_type", "Send the body as application/json");
    }
    return JsonBody.parse(mapper, bytes, fields);
  }
}
