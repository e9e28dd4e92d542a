package io.cqrs.example.bank.readmodel;

import io.cqrs.Cqrs;
import io.cqrs.EventProcessor;
import io.cqrs.Projection;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.example.bank.Await;
import io.cqrs.example.bank.Progress;
import io.cqrs.interceptor.Interceptors;
import io.cqrs.spi.EventStreamRepository;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The bank's three read models (accounts, users, transfers), each a {@link Projection} run by a
 * tracking event processor of its own on the bank's store.
 *
 * <p>A processor reads the store's integration log from a durable checkpoint, so a read model
 * catches up with what it missed by itself, after a restart as at its first start, and several
 * processes running processors of the same name share the log's segments. The version gate in front
 * of each projection makes redelivered events (after a crash, a lost claim, a hand-over) no-ops.
 * The processors are named {@code bank-<model>} ({@link #processorName}); a rebuild runs processors
 * of another generation ({@code bank-<model>-<generation>}) into fresh views while the live ones
 * keep serving ({@link #replay}).
 *
 * <p>Thread-safe.
 */
public final class BankReadModels {
  /** The read models' names: of their views and, after {@code bank-}, of their processors. */
  public static final List<String> MODELS = List.of("accounts", "users", "transfers");

  private final EventStreamRepository store;
  private final AccountsReadModel accounts;
  private final UsersReadModel users;
  private final TransfersReadModel transfers;

  /**
   * @param store the event store whose integration log the processors read
   * @param views where the read models keep their views
   */
  public BankReadModels(EventStreamRepository store, ViewStores views) {
    this.store = Objects.requireNonNull(store, "store");
    Objects.requireNonNull(views, "views");
    this.accounts =
        new AccountsReadModel(views.open("accounts", AccountsReadModel.AccountView.class));
    this.users = new UsersReadModel(views.open("users", UsersReadModel.UserView.class));
    this.transfers =
        new TransfersReadModel(views.open("transfers", TransfersReadModel.TransferView.class));
  }

  /**
   * The name of a read model's processor: {@code bank-<model>}, or {@code
   * bank-<model>-<generation>} for a generation other than the live one ({@code ""}).
   */
  public static String processorName(String model, String generation) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(generation, "generation");
    return generation.isEmpty() ? "bank-" + model : "bank-" + model + "-" + generation;
  }

  /** The projections by model name, in {@link #MODELS} order. */
  public Map<String, Projection> projections() {
    Map<String, Projection> projections = new LinkedHashMap<>();
    projections.put("accounts", accounts);
    projections.put("users", users);
    projections.put("transfers", transfers);
    return projections;
  }

  /**
   * One tracking processor per read model, not started, named for {@code generation} (see {@link
   * #processorName}).
   *
   * @param segments how many segments each splits the log into: the most processes that share it;
   *     fixed by a processor's first start
   */
  public List<TrackingEventProcessor> processors(String generation, int segments) {
    return processors(generation, segments, Interceptors.none());
  }

  /**
   * Like {@link #processors(String, int)}, the processors running {@code interceptors} around every
   * event they handle (metrics, tracing, the MDC).
   */
  public List<TrackingEventProcessor> processors(
      String generation, int segments, Interceptors interceptors) {
    List<TrackingEventProcessor> processors = new ArrayList<>();
    projections()
        .forEach(
            (model, projection) ->
                processors.add(
                    EventProcessor.tracking(processorName(model, generation), store)
                        .projection(projection)
                        .segments(segments)
                        .interceptors(interceptors)
                        .build()));
    return processors;
  }

  /**
   * Registers the read models' processors of {@code generation} on {@code cqrs}, which starts them
   * before its subscriptions and closes them after.
   */
  public void register(Cqrs cqrs, String generation, int segments) {
    processors(generation, segments, cqrs.interceptors()).forEach(cqrs::processor);
  }

  /**
   * Runs processors of {@code generation} (a name not used before, so that they start from the
   * beginning of the log) until they have caught up with the log, then closes them: these read
   * models then hold everything committed up to about then. Safe beside live processors feeding the
   * same views (the version gate and the views' CAS writes decide), and beside processors of other
   * generations feeding other views.
   *
   * @return the log head the processors had caught up with
   * @throws TimeoutException if they had not caught up within {@code timeout}
   */
  public long replay(String generation, int segments, Duration timeout) throws TimeoutException {
    return replay(generation, segments, timeout, null);
  }

  /**
   * {@link #replay(String, int, Duration)}, reporting to {@code progress} (log positions handled of
   * those to handle) while it runs, and the end.
   *
   * @param progress where to report, or {@code null} for nowhere
   */
  public long replay(String generation, int segments, Duration timeout, Progress progress)
      throws TimeoutException {
    List<TrackingEventProcessor> processors = processors(generation, segments);
    try {
      processors.forEach(TrackingEventProcessor::start);
      return awaitCaughtUp(processors, timeout, progress);
    } finally {
      processors.forEach(TrackingEventProcessor::close);
    }
  }

  /**
   * Waits until every processor has handled the log up to its head as it was when this method was
   * called. Not "until the lag is zero": while commands keep coming the head moves, and a rebuild
   * busy on a loaded machine might never see a moment with nothing left to do.
   *
   * @return the head position the processors have all handled
   */
  public static long awaitCaughtUp(
      List<? extends TrackingEventProcessor> processors, Duration timeout) throws TimeoutException {
    return awaitCaughtUp(processors, timeout, null);
  }

  /**
   * {@link #awaitCaughtUp(List, Duration)}, reporting how far the slowest processor is to {@code
   * progress} (log positions handled of those to handle) while it waits, and the end.
   *
   * @param progress where to report, or {@code null} for nowhere
   */
  public static long awaitCaughtUp(
      List<? extends TrackingEventProcessor> processors, Duration timeout, Progress progress)
      throws TimeoutException {
    long target =
        processors.stream().mapToLong(processor -> processor.lag().headPosition()).max().orElse(0);
    Await.until(
        "the read models' processors to handle the integration log up to position " + target,
        timeout,
        () -> {
          long slowest =
              processors.stream()
                  .mapToLong(processor -> processor.lag().checkpoint())
                  .min()
                  .orElse(target);
          if (progress != null) {
            progress.update(Math.min(slowest, target), target);
          }
          return slowest >= target;
        });
    if (progress != null) {
      progress.finish(target, target);
    }
    return target;
  }

  /** Where these read models differ from {@code other}; empty if they hold the same views. */
  public List<String> differencesFrom(BankReadModels other) {
    List<String> differences = new ArrayList<>();
    compare("accounts", accounts.all(), other.accounts.all(), differences);
    compare("users", users.all(), other.users.all(), differences);
    compare("transfers", transfers.all(), other.transfers.all(), differences);
    return differences;
  }

  /**
   * Where these read models differ from {@code other} on the streams both have applied to the same
   * version, for comparing two generations while events keep coming: a stream one of them has
   * applied further (or has not reached yet) is in flight and not compared. Prints how many streams
   * were compared and how many were in flight.
   *
   * @return the differences; empty if every stream compared agrees
   */
  public List<String> differencesAtEqualVersions(BankReadModels other, PrintStream out) {
    List<String> differences = new ArrayList<>();
    int[] counts = new int[2];
    compareAtEqualVersions(
        "accounts",
        accounts,
        other.accounts,
        AccountsReadModel.AccountView::id,
        counts,
        differences);
    compareAtEqualVersions(
        "users", users, other.users, UsersReadModel.UserView::id, counts, differences);
    compareAtEqualVersions(
        "transfers",
        transfers,
        other.transfers,
        TransfersReadModel.TransferView::id,
        counts,
        differences);
    out.println(
        "Compared "
            + counts[0]
            + " views at equal versions, "
            + counts[1]
            + " in flight, "
            + differences.size()
            + " different");
    return differences;
  }

  /**
   * Views whose applied version is beyond their stream's version in the store: views no event of
   * the log made (written by hand, left from another store, or a bug), which a comparison at equal
   * versions would take for streams in flight. Each view is read before its stream's version, and a
   * stream's version only grows, so a view a processor wrote is never reported.
   *
   * @return one line per such view; empty if none
   */
  public List<String> viewsAheadOfTheStore() {
    List<String> ahead = new ArrayList<>();
    ahead("accounts", accounts, AccountsReadModel.AccountView::id, ahead);
    ahead("users", users, UsersReadModel.UserView::id, ahead);
    ahead("transfers", transfers, TransfersReadModel.TransferView::id, ahead);
    return ahead;
  }

  private <V> void ahead(
      String model, StreamProjection<V> views, Function<V, String> id, List<String> out) {
    for (V view : views.all(Comparator.comparing(id))) {
      String stream = id.apply(view);
      long applied = views.version(stream);
      long stored = store.version(stream);
      if (applied > stored) {
        out.add(
            model
                + " view of '"
                + stream
                + "' is at version "
                + applied
                + ", but its stream has "
                + stored
                + " events");
      }
    }
  }

  private static <V> void compareAtEqualVersions(
      String model,
      StreamProjection<V> mine,
      StreamProjection<V> theirs,
      Function<V, String> id,
      int[] counts,
      List<String> out) {
    Set<String> ids = new TreeSet<>();
    mine.all(Comparator.comparing(id)).forEach(view -> ids.add(id.apply(view)));
    theirs.all(Comparator.comparing(id)).forEach(view -> ids.add(id.apply(view)));
    for (String stream : ids) {
      Optional<ViewStore.Stored<V>> a = mine.entry(stream);
      Optional<ViewStore.Stored<V>> b = theirs.entry(stream);
      if (a.isEmpty() || b.isEmpty() || a.get().version() != b.get().version()) {
        counts[1]++;
        continue;
      }
      counts[0]++;
      if (!a.get().view().equals(b.get().view())) {
        out.add(model + " view of '" + stream + "' differs at version " + a.get().version());
      }
    }
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
}
