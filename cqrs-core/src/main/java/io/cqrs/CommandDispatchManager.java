package io.cqrs;

import io.cqrs.interceptor.InterceptorFailedException;
import io.cqrs.interceptor.Interceptors;
import io.cqrs.interceptor.Outcome;
import io.cqrs.internal.Attempts;
import io.cqrs.internal.HandlingChain;
import io.cqrs.internal.SameMessage;
import io.cqrs.internal.Texts;
import io.cqrs.spi.CommandBus;
import io.cqrs.spi.DurationSettings;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes commands to the handler registered for their type (andrewwebber's {@code
 * CommandDispatchManager}), retrying on optimistic-concurrency conflicts.
 *
 * <p>{@link #dispatch} runs a command's handler on the calling thread. A {@link
 * ConcurrencyException} re-runs the handler (which reloads the aggregate) up to {@code maxAttempts}
 * times with a short random back-off. When a command fails for good (a rejection by the domain or a
 * non-transient failure), a {@link CommandFailed} event is recorded under its correlation id in the
 * error log, if one is set, and the exception is rethrown to the caller. A transient failure
 * (conflicts that outlast the retries, a store or broker away) is rethrown and never recorded: it
 * is not an outcome, and the command may be tried again.
 *
 * <p>Every command takes effect at most once, whatever the deliveries: a handler that saves with
 * {@link EventSourcingRepository#save(EventSourceBased, Command)} commits only if the stream holds
 * no effect of the same command, checked in the same atomic step as the commit, and a {@link
 * DuplicateCommandException} from that save counts as "handled by an earlier delivery" (global
 * handlers do not run again). See {@link Builder#deduplicate} for rejections, and {@link
 * Builder#lookupProvesEffects} for letting its look-up stand for that check, under a rule.
 *
 * <p>Commands received from the bus through {@link #listen} are handled the same way, with one
 * difference in what goes back to the bus: a rejection by the domain (any exception that is not a
 * {@link CqrsException}) is recorded and the command consumed, since redelivery would only repeat
 * it; transient failures are rethrown so the bus redelivers the command, and non-transient
 * framework failures (no handler, unknown type, an {@link InterceptorFailedException}) are rethrown
 * so the bus dead-letters it.
 *
 * <p>Register handlers before {@link #listen}. Thread-safe.
 */
public final class CommandDispatchManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CommandDispatchManager.class);
  private static final String DIRECT = "direct";

  /** The longest message a recorded {@link CommandFailed} keeps; a longer one is cut. */
  public static final int MAX_FAILURE_MESSAGE = 1024;

  private final CommandBus bus;
  private final TypeRegistry registry;
  private final EventStreamRepository errorLog;
  private final boolean deduplicate;
  private final boolean recordNoEffect;

  /**
   * The command this thread's dispatch handled without committing anything, marked by {@link
   * #runWithRetries} and recorded by {@link #dispatch} once the whole chain (global handlers and
   * interceptors too) succeeded; cleared by every dispatch.
   */
  private final ThreadLocal<Command> noEffect = new ThreadLocal<>();

  private final boolean lookupProvesEffects;
  private final boolean deferCacheChecks;
  private final int maxAttempts;
  private final Duration maxBackoff;
  private final Map<String, Registered<?>> handlers = new ConcurrentHashMap<>();
  private final List<CommandHandler<Object>> globalHandlers = new CopyOnWriteArrayList<>();
  private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
  private final HandlingChain.Link<Command>[] interceptors;
  private final HandlingChain.Terminal<Command> terminal = new Handler();

  private CommandDispatchManager(Builder builder) {
    this.bus = builder.bus;
    this.registry = builder.registry;
    this.errorLog = builder.errorLog;
    this.deduplicate = builder.deduplicate;
    this.recordNoEffect = builder.recordNoEffect;
    this.lookupProvesEffects = builder.lookupProvesEffects;
    this.deferCacheChecks = builder.deferCacheChecks;
    this.maxAttempts = builder.maxAttempts;
    this.maxBackoff = builder.maxBackoff;
    this.interceptors = links(builder.interceptors);
  }

  @SuppressWarnings("unchecked")
  private static HandlingChain.Link<Command>[] links(Interceptors interceptors) {
    return interceptors.commandHandler().stream()
        .map(interceptor -> (HandlingChain.Link<Command>) interceptor::interceptCommand)
        .toArray(HandlingChain.Link[]::new);
  }

  /** A manager for {@code bus} (which may be {@code null} for a manager that only dispatches). */
  public static Builder builder(CommandBus bus, TypeRegistry registry) {
    return new Builder(bus, registry);
  }

  /** Registers the handler of one command type; the type is registered in the registry too. */
  public <C> CommandDispatchManager registerCommandHandler(
      Class<C> commandType, CommandHandler<? super C> handler) {
    Objects.requireNonNull(commandType, "commandType");
    Objects.requireNonNull(handler, "handler");
    registry.registerCommands(commandType);
    String name = registry.nameOf(commandType);
    if (handlers.putIfAbsent(name, new Registered<>(commandType, handler)) != null) {
      throw new IllegalStateException("A handler for " + name + " is already registered");
    }
    return this;
  }

  /**
   * Calls {@code handler} after the type's own handler has succeeded, for every command (for
   * auditing or logging, as andrewwebber's global command handlers). If it throws, the command
   * counts as failed and is recorded, but not retried: the command's own effect has happened.
   */
  public CommandDispatchManager registerGlobalHandler(CommandHandler<Object> handler) {
    globalHandlers.add(Objects.requireNonNull(handler, "handler"));
    return this;
  }

  /** The logical names of the command types with a handler. */
  public Set<String> commandTypes() {
    return Set.copyOf(handlers.keySet());
  }

  /**
   * Handles one command on the calling thread.
   *
   * @throws MissingHandlerException if no handler is registered for its type
   * @throws ConcurrencyException if called from a command handler whose loads from a cache, left
   *     unchecked ({@link Builder#deferCacheChecks}), are stale: the command would be decided on
   *     them, so it is not handled and the calling handler runs again
   * @throws Exception whatever the handler threw on its last attempt
   */
  public void dispatch(Command command) throws Exception {
    dispatch(command, DIRECT);
  }

  private void dispatch(Command command, String component) throws Exception {
    Objects.requireNonNull(command, "command");
    // From a command handler: what it left unchecked is checked before the command it decided on.
    CommandLookups.beforeDispatch();
    if (!recordNoEffect) {
      // Nothing to mark or record: no thread-local look-up on every command.
      runChain(command, component);
      return;
    }
    try {
      runChain(command, component);
    } catch (Exception | Error e) {
      noEffect.remove();
      throw e;
    }
    Command handled = noEffect.get();
    noEffect.remove();
    if (handled == command) {
      recordHandled(command);
    }
  }

  private void runChain(Command command, String component) throws Exception {
    if (interceptors.length == 0) {
      handle(command, Attempts.UNCOUNTED);
    } else {
      HandlingChain.run(interceptors, command, component, terminal, SameMessage::commands);
    }
  }

  /**
   * The end of the interceptors' chain: {@link #handle}, which records the handler's failures
   * itself, and the recording of what the chain failed with instead (an interceptor's failure).
   */
  private final class Handler implements HandlingChain.Terminal<Command> {
    @Override
    public Outcome run(Command command, Attempts attempts) throws Exception {
      return handle(command, attempts);
    }

    @Override
    public void interceptorFailed(Command command, InterceptorFailedException failure) {
      recordFailure(command, failure);
    }
  }

  /** Handles one command: the end of the interceptors' chain. */
  private Outcome handle(Command command, Attempts attempts) throws Exception {
    Registered<?> registered = handlers.get(command.commandType());
    if (registered == null) {
      MissingHandlerException missing =
          new MissingHandlerException(
              "No command handler registered for " + command.commandType(),
              CommandDispatchManager.class,
              command.body().getClass());
      recordFailure(command, missing);
      throw missing;
    }
    if (!runWithRetries(registered, command, attempts)) {
      return Outcome.DUPLICATE;
    }
    for (CommandHandler<Object> global : globalHandlers) {
      try {
        global.handle(command.body(), command);
      } catch (Exception | AssertionError e) {
        recordFailure(command, e);
        throw e;
      }
    }
    return Outcome.SUCCEEDED;
  }

  /**
   * Runs the command's handler until it succeeds, fails for good or runs out of conflict retries.
   *
   * @return whether this call took effect; {@code false} if an earlier delivery of the command did
   */
  private boolean runWithRetries(Registered<?> registered, Command command, Attempts attempts)
      throws Exception {
    CommandAttempt thisThread = CommandAttempt.onThisThread();
    for (int attempt = 1; ; attempt++) {
      attempts.next();
      CommandPartiallyAppliedException partial = null;
      try {
        long lookedUpAfter = lookupProvesEffects ? CommandLookups.tick() : 0;
        if (deduplicate && earlierOutcome(command) != Earlier.NONE) {
          log.debug(
              "Command {} was handled before; not handling it again",
              Texts.shown(command.messageId()));
          return false;
        }
        int frame = thisThread.enter(command.messageId());
        boolean committedNothing;
        try {
          handleLookedUp(registered, command, lookedUpAfter);
          committedNothing = thisThread.committed(frame).isEmpty();
        } catch (Throwable e) {
          List<String> committed = thisThread.committed(frame);
          if (!committed.isEmpty()) {
            // This attempt committed part of the effect, then failed (an Error too: a redelivery
            // would find the part as well). The store now holds an effect of the command, which a
            // retry's look-up or a save refused as a duplicate would take for an earlier
            // delivery's, dropping the rest and counting it handled.
            partial = new CommandPartiallyAppliedException(command, committed, e);
            throw partial;
          }
          if (e instanceof Exception exception) {
            throw exception;
          }
          throw (Error) e;
        } finally {
          thisThread.leave(frame);
        }
        if (recordNoEffect && committedNothing) {
          noEffect.set(command); // recorded once the global handlers and interceptors succeed
        }
        if (log.isDebugEnabled()) {
          // One line per handled command at debug: lets an operator (and the scale-out test) see
          // how commands spread over competing processes.
          log.debug(
              "Handled {} ({})",
              Texts.shown(command.commandType()),
              Texts.shown(command.messageId()));
        }
        return true;
      } catch (Exception | AssertionError e) {
        if (e == partial) {
          recordFailure(command, partial, false);
          throw partial;
        }
        if (!retry(command, e, attempt)) {
          return false;
        }
      }
    }
  }

  /**
   * What a failure of an attempt that committed nothing leads to: true to try again (a conflict,
   * with attempts left), false if an earlier delivery took effect; otherwise throws.
   */
  private boolean retry(Command command, Throwable failure, int attempt) throws Exception {
    if (failure instanceof DuplicateCommandException e) {
      // The store found this command's effect already committed, in the same atomic step that
      // would have committed it again: another delivery won. Nothing to record or retry.
      log.debug(
          "Command {} took effect in an earlier delivery ({})",
          Texts.shown(command.messageId()),
          Texts.shown(e.streamId()));
      return false;
    }
    if (failure instanceof ConcurrencyException e) {
      if (attempt >= maxAttempts) {
        // Transient: not an outcome. Recording it would make a redelivery believe the command
        // handled; the caller (or the bus, by redelivering and at last dead-lettering) decides.
        throw e;
      }
      log.debug(
          "Conflict on {} (attempt {}), retrying", Texts.shown(command.commandType()), attempt);
      backOff(attempt);
      return true;
    }
    if (failure instanceof TransientCqrsException e) {
      throw e;
    }
    Earlier earlier = outcomeBeside(command, failure);
    if (earlier == Earlier.EFFECT) {
      // A racing delivery committed first and this one failed on what it saw, e.g. "already
      // exists": the command took effect, so this delivery must not report it rejected.
      log.debug(
          "Command {} failed ({}) after an earlier delivery took effect; handled",
          Texts.shown(command.messageId()),
          Texts.shown(failure));
      return false;
    }
    if (earlier == Earlier.NONE) {
      // A failure of the framework (no handler, an event it could not read) is dead-lettered by
      // the bus, so that a replay after the repair runs the command: not its outcome.
      recordFailure(command, failure, retryable(failure));
    }
    if (failure instanceof Exception e) {
      throw e;
    }
    throw (Error) failure;
  }

  /**
   * Runs the handler; with {@code lookupProvesEffects}, inside what its look-up (sent after tick
   * {@code lookedUpAfter}, finding no effect) proves, which lets a repository save on a cached
   * aggregate without the store checking the command again; with {@code deferCacheChecks}, letting
   * its loads from a cache go unchecked until its first save, and checking those still unchecked
   * before its outcome counts ({@link CommandLookups}).
   */
  private void handleLookedUp(Registered<?> registered, Command command, long lookedUpAfter)
      throws Exception {
    if (!lookupProvesEffects && !deferCacheChecks) {
      registered.handle(command);
      return;
    }
    CommandLookups.Lookup lookup =
        CommandLookups.enter(
            command.messageId(),
            command.correlationId(),
            lookupProvesEffects ? errorLog : null,
            lookedUpAfter,
            deferCacheChecks);
    try {
      try {
        registered.handle(command);
      } catch (TransientCqrsException | DuplicateCommandException e) {
        throw e; // not an outcome
      } catch (Exception | AssertionError e) {
        // A rejection decided on what a cache held is an outcome only if the cache was right:
        // stale, the check's conflict is retried; the store away, its failure is not an outcome.
        try {
          CommandLookups.checkUnchecked(lookup);
        } catch (RuntimeException unchecked) {
          unchecked.addSuppressed(e);
          throw unchecked;
        }
        throw e;
      }
      CommandLookups.checkUnchecked(lookup);
    } finally {
      CommandLookups.leave(lookup);
    }
  }

  /**
   * Starts receiving this manager's command types from the bus on {@code listeners} threads.
   *
   * @param service the service name; instances with the same name compete for commands
   */
  public CommandDispatchManager listen(String service, int listeners) {
    Objects.requireNonNull(bus, "this manager was built without a bus");
    if (handlers.isEmpty()) {
      throw new IllegalStateException("Register command handlers before listen()");
    }
    subscriptions.add(
        bus.subscribe(service, commandTypes(), listeners, command -> receive(service, command)));
    return this;
  }

  private void receive(String service, Command command) throws Exception {
    try {
      dispatch(command, service);
    } catch (CqrsException e) {
      throw e;
    } catch (Exception e) {
      if (looksLikeABug(e)) {
        // Recorded and counted as any rejection, but a rejection by the domain is one line, and
        // this is most likely a defect in the handler: whoever reads the log needs where it was.
        log.warn(
            "Command {} ({}) rejected by an exception that looks like a bug in its handler, not a"
                + " rule of the domain: {}",
            Texts.shown(command.commandType()),
            Texts.shown(command.messageId()),
            Texts.shown(e),
            e);
        return;
      }
      log.info(
          "Command {} ({}) rejected: {}",
          Texts.shown(command.commandType()),
          Texts.shown(command.messageId()),
          Texts.shown(e));
    }
  }

  /**
   * Whether a handler's exception is, or was caused by, one the JVM throws for a programming error
   * (a null dereferenced, a bad cast or index, a division by zero, an unsupported operation of an
   * immutable collection) rather than one a domain rule throws on purpose. The causes count: a
   * {@code NullPointerException} inside a {@code CompletionException} or an application's own
   * wrapper is the same bug.
   */
  static boolean looksLikeABug(Throwable e) {
    Throwable seen = e;
    for (int depth = 0; seen != null && depth < 16; depth++) {
      if (isProgrammingError(seen)) {
        return true;
      }
      Throwable cause = seen.getCause();
      seen = cause == seen ? null : cause;
    }
    return false;
  }

  private static boolean isProgrammingError(Throwable e) {
    return e instanceof NullPointerException
        || e instanceof ClassCastException
        || e instanceof IndexOutOfBoundsException
        || e instanceof ArithmeticException
        || e instanceof ArrayStoreException
        || e instanceof NegativeArraySizeException
        || e instanceof UnsupportedOperationException
        || e instanceof IllegalMonitorStateException
        || e instanceof java.util.ConcurrentModificationException;
  }

  /** What an earlier delivery of a command left in the store. */
  private enum Earlier {
    NONE,
    FAILED,
    EFFECT
  }

  /**
   * What the error log's store holds of this command: its effect (stream events caused by it), its
   * recorded failure, or nothing ({@code NONE} also without an error log).
   */
  private Earlier earlierOutcome(Command command) {
    if (errorLog == null) {
      return Earlier.NONE;
    }
    Earlier found = Earlier.NONE;
    for (VersionedEvent event :
        errorLog.eventsCausedBy(command.correlationId(), command.messageId())) {
      if (event.version() > 0) {
        return Earlier.EFFECT;
      }
      if (!(event.event() instanceof CommandFailed failed && failed.retryable())) {
        found = Earlier.FAILED;
      }
    }
    return found;
  }

  /** {@link #earlierOutcome}, or {@code NONE} if the store cannot tell while handling a failure. */
  private Earlier outcomeBeside(Command command, Throwable failure) {
    try {
      return earlierOutcome(command);
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
      return Earlier.NONE;
    }
  }

  private void backOff(int attempt) {
    long maxNanos = Math.min(maxBackoff.toNanos(), 1_000_000L << Math.min(attempt, 10));
    LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(maxNanos / 2, maxNanos + 1));
  }

  private void recordFailure(Command command, Throwable error) {
    recordFailure(command, error, retryable(error));
  }

  /**
   * Whether a failure is the framework's, which a bus dead-letters so that a replay after the
   * repair runs the command (no handler, an interceptor's failure, a message or event it could not
   * read), rather than the command's outcome. Not every {@link CqrsException}: an aggregate that
   * does not exist, or is of another type, is the domain's answer to this command.
   */
  static boolean retryable(Throwable failure) {
    return failure instanceof MissingHandlerException
        || failure instanceof InterceptorFailedException
        || failure instanceof SerializationException
        || failure instanceof UnknownTypeException;
  }

  /**
   * Records a {@link CommandFailed}; {@code retryable} if a later delivery is to be handled again
   * (see {@link CommandFailed#retryable}).
   */
  private void recordFailure(Command command, Throwable error, boolean retryable) {
    if (errorLog == null) {
      return;
    }
    try {
      errorLog.recordIntegrationEvent(
          VersionedEvent.builder(
                  command.messageId(),
                  0,
                  new CommandFailed(
                      command.messageId(),
                      command.commandType(),
                      error.getClass().getName(),
                      bounded(String.valueOf(error.getMessage())),
                      retryable))
              .causedBy(command)
              .build());
    } catch (RuntimeException e) {
      log.warn("Could not record the failure of command {}", Texts.shown(command.messageId()), e);
    }
  }

  /**
   * Records a {@link CommandHandled}: the handler decided to do nothing, which is the command's
   * outcome as much as an effect or a rejection is. A failure to record it is logged; the command
   * stays handled.
   */
  private void recordHandled(Command command) {
    try {
      errorLog.recordIntegrationEvent(
          VersionedEvent.builder(
                  command.messageId(),
                  0,
                  new CommandHandled(command.messageId(), command.commandType()))
              .causedBy(command)
              .build());
    } catch (RuntimeException e) {
      log.warn(
          "Could not record that command {} was handled without effect",
          Texts.shown(command.messageId()),
          e);
    }
  }

  /**
   * A failure's message cut to {@link #MAX_FAILURE_MESSAGE} characters: what a handler threw may
   * quote its input, and input can be huge, but the error log keeps every failure for good.
   */
  static String bounded(String message) {
    return Texts.cut(message, MAX_FAILURE_MESSAGE);
  }

  /** Stops receiving; in-flight commands finish first. */
  @Override
  public void close() {
    for (Subscription subscription : subscriptions) {
      subscription.close();
    }
    subscriptions.clear();
  }

  private record Registered<C>(Class<C> type, CommandHandler<? super C> handler) {
    void handle(Command command) throws Exception {
      if (!type.isInstance(command.body())) {
        throw new IllegalArgumentException(
            "Command "
                + command.messageId()
                + " says "
                + command.commandType()
                + " but its body is a "
                + command.body().getClass().getName());
      }
      handler.handle(type.cast(command.body()), command);
    }
  }

  /** Builds a {@link CommandDispatchManager}. */
  public static final class Builder {
    private final CommandBus bus;
    private final TypeRegistry registry;
    private EventStreamRepository errorLog;
    private boolean deduplicate;
    private boolean recordNoEffect;
    private boolean lookupProvesEffects;
    private boolean deferCacheChecks;
    private int maxAttempts = 10;
    private Duration maxBackoff = Duration.ofMillis(50);
    private Interceptors interceptors = Interceptors.none();

    private Builder(CommandBus bus, TypeRegistry registry) {
      this.bus = bus;
      this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** Records a {@link CommandFailed} event here for each command that fails for good. */
    public Builder errorLog(EventStreamRepository errorLog) {
      this.errorLog = Objects.requireNonNull(errorLog, "errorLog");
      return this;
    }

    /**
     * Makes outcomes final, not only effects: before each attempt the error log's store is asked
     * whether an event caused by this command (its message id as causation id), its {@link
     * CommandFailed} or its {@link CommandHandled} (with {@link #recordNoEffect}) is there already,
     * and if so the command is not handled again. Effects are exactly-once without this (the save
     * refuses a second effect atomically); what this adds is that a redelivery of a command that
     * was <em>rejected</em> is not run again, where the domain's answer might have changed since,
     * and that a redelivery of a handled command skips the handler's work. Only final outcomes are
     * recorded, so a command that failed transiently runs again. A rejection and a racing delivery
     * that succeeds can still both happen, since the rejection commits nothing to check against; an
     * effect never happens twice (unless {@link #lookupProvesEffects} is on and its rule broken).
     * Costs one correlation lookup per attempt. Needs {@link #errorLog}.
     */
    public Builder deduplicate(boolean deduplicate) {
      this.deduplicate = deduplicate;
      return this;
    }

    /**
     * Whether a command whose handler returned without committing anything on its thread records a
     * {@link CommandHandled} (default false; needs {@link #deduplicate}): a decision to do nothing
     * is then an outcome like an effect or a rejection, and a later delivery (a client's retry, a
     * redelivery) is not handled again on state other commands may have changed since, where it
     * could take effect after all. It costs one integration-log write per such command (on
     * Couchbase, as a {@link CommandFailed} does), is recorded once the global handlers and
     * interceptors succeeded, and adds a type processes of an older build cannot read (turn it on
     * once every process runs this one). A handler that hands its command to another thread to
     * dispatch must not use it: the command would be found handled there.
     */
    public Builder recordNoEffect(boolean recordNoEffect) {
      this.recordNoEffect = recordNoEffect;
      return this;
    }

    /**
     * Lets the deduplication look-up stand for the store's own check of the command (default
     * false). The look-up reads the command's correlation for events its message id caused; where
     * it found none, a repository with an {@link AggregateCache} saves the command's effect on a
     * cached aggregate through {@link EventStreamRepository#saveChecked}, which a store may make
     * cheaper by skipping its check that no commit of the stream carries the command id (on
     * Couchbase, one KV operation per command: docs/couchbase.md, "Saves a command has checked").
     *
     * <p>Turn it on only where every delivery of a message id carries the same correlation id, and
     * every effect of a command is saved with {@link EventSourcingRepository#save(EventSourceBased,
     * Command)} (so its events name the command as their cause). Redeliveries by a command bus,
     * {@link Command#create(Object)}, {@link Command#reactingTo} and example-bank's idempotency
     * keys all keep to it. A client that sends a message id again under another correlation id
     * would find the look-up blind to the first effect, and with this on the command would take
     * effect twice; with it off, the store refuses the second effect as always. Needs {@link
     * #deduplicate}.
     */
    public Builder lookupProvesEffects(boolean lookupProvesEffects) {
      this.lookupProvesEffects = lookupProvesEffects;
      return this;
    }

    /**
     * Lets a command handler's loads from an {@link AggregateCache} leave their check for later
     * (default false). A load from the cache normally asks the store whether anything was committed
     * after the cached version (on Couchbase, one KV operation). With this on, a handler's loads up
     * to its first save do not: a save of an aggregate right after the version it was loaded at is
     * checked by the store's exclusive commit anyway (a stale version is a conflict, and the
     * handler runs again on the stream's state), every other load of the handler is checked just
     * before that save is sent, loads after it are checked at once, and the loads of a handler that
     * saves nothing (a rejection, say) are checked before its outcome counts. A command the handler
     * dispatches on its thread counts as a save: its loads are checked before it, and at once
     * after. A stale one is a conflict, retried as one. On Couchbase this makes a command on a
     * cached aggregate one KV operation and one round trip cheaper (docs/couchbase.md, "KV
     * operations per command").
     *
     * <p>What a handler decides is still decided on the stream's latest state, but it may first run
     * on a stale one and then again: turn it on only where a command handler's effects are its
     * saves, made on the handler's own thread, and not other messages or calls it makes on what it
     * loaded (those would be made on the stale state before the retry; and with {@link
     * #deduplicate} on, an effect written to the store other than by a save, such as an event
     * recorded with the command as its cause, is found by the retry's look-up and taken for the
     * command's outcome, so the retry never runs and the stale effect stands). Loads outside a
     * command handler (queries, event handlers) are always checked at once.
     */
    public Builder deferCacheChecks(boolean deferCacheChecks) {
      this.deferCacheChecks = deferCacheChecks;
      return this;
    }

    /** How often a command is tried when it keeps conflicting (default 10). */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** The longest random pause between conflicting attempts (default 50 ms, at most 365 days). */
    public Builder maxBackoff(Duration maxBackoff) {
      this.maxBackoff = DurationSettings.positive("maxBackoff", maxBackoff);
      return this;
    }

    /**
     * Runs the {@link io.cqrs.interceptor.CommandHandlerInterceptor}s among {@code interceptors}
     * around the handling of every command, outside the conflict retries (none by default).
     */
    public Builder interceptors(Interceptors interceptors) {
      this.interceptors = Objects.requireNonNull(interceptors, "interceptors");
      return this;
    }

    /**
     * The manager; it consumes nothing until {@code start}.
     *
     * @throws IllegalStateException if {@code deduplicate(true)} was asked for without an error
     *     log, or {@code lookupProvesEffects(true)} without {@code deduplicate(true)}
     */
    public CommandDispatchManager build() {
      if (deduplicate && errorLog == null) {
        throw new IllegalStateException("deduplicate needs errorLog(store) to look commands up in");
      }
      if (recordNoEffect && !deduplicate) {
        throw new IllegalStateException("recordNoEffect needs deduplicate(true)");
      }
      if (lookupProvesEffects && !deduplicate) {
        throw new IllegalStateException("lookupProvesEffects needs deduplicate(true)");
      }
      return new CommandDispatchManager(this);
    }
  }
}
