package io.cqrs.example.bank.readmodel;

import io.cqrs.Cqrs;
import io.cqrs.Projector;
import io.cqrs.VersionedEvent;
import io.cqrs.example.bank.domain.BankTypes;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The bank's three read models (accounts, users, transfers) and the global {@link EventJournal},
 * fed together by one subscription.
 *
 * <p>Each read model is a {@link StreamProjection} driven by its own {@link Projector}, so each
 * applies every event of the streams it follows exactly once in effect. One subscription feeds all
 * three ({@link #register}), rather than one {@link Projector#subscribe} each, so the bank declares
 * one queue; and {@link #rebuild} walks the integration log once, giving each event to the read
 * models that follow its stream ({@link Projector#rebuild()} would give every stream to each of
 * them). Registered, then {@linkplain #rebuild() rebuilt} once the subscription runs, they form a
 * catch-up subscription: live events first, then the log, each applied once.
 *
 * <p>Thread-safe.
 */
public final class BankReadModels {
  private static final int LOG_PAGE = 1_000;

  private final EventStreamRepository store;
  private final AccountsReadModel accounts;
  private final UsersReadModel users;
  private final TransfersReadModel transfers;
  private final EventJournal journal = new EventJournal();

  /**
   * What a rebuild did.
   *
   * @param events how many log entries it read
   * @param accounts how many events the accounts read model applied (the rest it had already)
   * @param users how many events the users read model applied
   * @param transfers how many events the transfers read model applied
   */
  public record RebuildCounts(long events, long accounts, long users, long transfers) {}

  /**
   * @param store the event store: holes are filled and rebuilds read from it
   * @param views where the read models keep their views
   */
  public BankReadModels(EventStreamRepository store, ViewStores views) {
    this.store = Objects.requireNonNull(store, "store");
    Objects.requireNonNull(views, "views");
    this.accounts =
        new AccountsReadModel(store, views.open("accounts", AccountsReadModel.AccountView.class));
    this.users = new UsersReadModel(store, views.open("users", UsersReadModel.UserView.class));
    this.transfers =
        new TransfersReadModel(
            store, views.open("transfers", TransfersReadModel.TransferView.class));
  }

  /** Handles one delivered event: the journal records it, each read model applies it once. */
  public void handle(VersionedEvent event) throws Exception {
    journal.record(event);
    project(event);
  }

  private void project(VersionedEvent event) throws Exception {
    accounts.handle(event);
    users.handle(event);
    transfers.handle(event);
  }

  /**
   * Has {@code cqrs} hand every event of the bank's types to {@link #handle}, on the named
   * subscription; start it, then {@link #rebuild()} to catch up with what was published before the
   * subscription existed.
   *
   * @param subscription the subscription's name; instances with the same name compete
   */
  public void register(Cqrs cqrs, String subscription) {
    Objects.requireNonNull(subscription, "subscription");
    for (Class<?> eventType : BankTypes.events()) {
      cqrs.onEvent(subscription, eventType, this::handle);
    }
  }

  /**
   * Replays the whole integration log into the read models; views that have an event already skip
   * it, so this is safe beside live delivery. On empty view stores it rebuilds them from scratch.
   */
  public RebuildCounts rebuild() throws Exception {
    long events = 0;
    long[] applied = new long[3];
    long position = 1;
    while (true) {
      List<LoggedEvent> page = store.readLog(position, LOG_PAGE);
      for (LoggedEvent entry : page) {
        VersionedEvent event = entry.event();
        applied[0] += accounts.handle(event);
        applied[1] += users.handle(event);
        applied[2] += transfers.handle(event);
        events++;
        position = entry.position() + 1;
      }
      if (page.size() < LOG_PAGE) {
        return new RebuildCounts(events, applied[0], applied[1], applied[2]);
      }
    }
  }

  /** Where these read models differ from {@code other}; empty if they hold the same views. */
  public List<String> differencesFrom(BankReadModels other) {
    List<String> differences = new ArrayList<>();
    compare("accounts", accounts.all(), other.accounts.all(), differences);
    compare("users", users.all(), other.users.all(), differences);
    compare("transfers", transfers.all(), other.transfers.all(), differences);
    return differences;
  }

  private static void compare(String model, List<?> mine, List<?> theirs, List<String> out) {
    if (!mine.equals(theirs)) {
      out.add(model + " read model differs: " + mine.size() + " views here, " + theirs.size());
    }
  }

  /** Forgets every view, before a rebuild. */
  public void clear() {
    accounts.clear();
    users.clear();
    transfers.clear();
  }

  /** The accounts read model. */
  public AccountsReadModel accounts() {
    return accounts;
  }

  /** The users read model. */
  public UsersReadModel users() {
    return users;
  }

  /** The transfers read model. */
  public TransfersReadModel transfers() {
    return transfers;
  }

  /** The global handler's journal of received events. */
  public EventJournal journal() {
    return journal;
  }
}
