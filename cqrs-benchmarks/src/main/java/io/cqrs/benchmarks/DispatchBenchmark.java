package io.cqrs.benchmarks;

import io.cqrs.EventSourcingRepository;
import io.cqrs.SnapshotPolicy;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.benchmarks.model.AccountOpened;
import io.cqrs.benchmarks.model.BenchAccount;
import io.cqrs.benchmarks.model.EventMix;
import io.cqrs.benchmarks.model.Histories;
import io.cqrs.benchmarks.model.MoneyDeposited;
import io.cqrs.benchmarks.model.MoneyWithdrawn;
import io.cqrs.benchmarks.model.OverdraftLimitChanged;
import io.cqrs.benchmarks.model.OwnerChanged;
import io.cqrs.benchmarks.model.PlainAccount;
import io.cqrs.benchmarks.model.StatementIssued;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Benchmark 1: the cost of dispatching one event to its handler.
 *
 * <p>Every variant replays the same immutable stream of {@value #EVENTS} events into a new
 * aggregate with six handlers, and does the same bookkeeping per event as cqrs's replay (check the
 * version is the next one, then record it); they differ only in how the handler is reached:
 *
 * <ul>
 *   <li>{@code direct}: the hand-written baseline, an {@code instanceof} chain calling each handler
 *       directly ({@link PlainAccount#apply}).
 *   <li>{@code generated}: cqrs itself, {@link EventSourcingRepository#get} over a store that hands
 *       out the stream without copying, so each event goes through {@code EventSourceBased}'s
 *       routing to the handler's {@code LambdaMetafactory}-generated invoker.
 *   <li>{@code reflection}: a cached {@link Method} per event class, called with {@link
 *       Method#invoke}.
 *   <li>{@code methodHandle}: a cached, non-constant {@link MethodHandle} per event class, called
 *       with {@code invokeExact}.
 * </ul>
 *
 * <p>The reflective variants find their {@code Method} or handle with the same identity scan over
 * the handled classes that cqrs's router uses. One operation is one event ({@link
 * OperationsPerInvocation}); the aggregate's construction is shared by all {@value #EVENTS} events
 * of an invocation. {@link EventMix#SINGLE} replays one event type, {@link EventMix#MIXED} five
 * types in a seeded random order so that no call site can specialise on one type.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(DispatchBenchmark.EVENTS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DispatchBenchmark {
  /** Events replayed per invocation. */
  static final int EVENTS = 1_000;

  private static final String ID = "account-1";

  @Param({"SINGLE", "MIXED"})
  EventMix mix;

  private List<VersionedEvent> stream;
  private EventSourcingRepository repository;
  private Class<?>[] eventTypes;
  private Method[] methods;
  private MethodHandle[] handles;

  /** Builds the stream and the reflective lookup tables; not measured. */
  @Setup(Level.Trial)
  public void setUp() throws ReflectiveOperationException {
    TypeRegistry registry = Histories.registry();
    stream = List.copyOf(Histories.envelopes(ID, mix.events(EVENTS), registry));
    repository =
        EventSourcingRepository.builder(new ReplayOnlyStore(ID, stream), registry)
            .snapshotPolicy(SnapshotPolicy.never())
            .build();
    eventTypes =
        new Class<?>[] { // the order of PlainAccount.apply's instanceof chain
          MoneyDeposited.class,
          MoneyWithdrawn.class,
          OverdraftLimitChanged.class,
          OwnerChanged.class,
          StatementIssued.class,
          AccountOpened.class
        };
    methods = new Method[eventTypes.length];
    handles = new MethodHandle[eventTypes.length];
    MethodHandles.Lookup lookup =
        MethodHandles.privateLookupIn(PlainAccount.class, MethodHandles.lookup());
    for (int i = 0; i < eventTypes.length; i++) {
      Method method =
          PlainAccount.class.getDeclaredMethod(
              "handle" + eventTypes[i].getSimpleName(), eventTypes[i]);
      method.setAccessible(true);
      methods[i] = method;
      handles[i] =
          lookup
              .unreflect(method)
              .asType(MethodType.methodType(void.class, Object.class, Object.class));
    }
  }

  /** Hand-written dispatch: the baseline. */
  @Benchmark
  public PlainAccount direct() {
    PlainAccount account = new PlainAccount(ID);
    List<VersionedEvent> events = stream;
    for (int i = 0, n = events.size(); i < n; i++) {
      VersionedEvent event = events.get(i);
      account.checkNext(event.version());
      account.apply(event.event());
      account.replayed(event.version());
    }
    return account;
  }

  /** cqrs's convention routing, through the public repository API. */
  @Benchmark
  public BenchAccount generated() {
    return repository.get(ID, BenchAccount::new);
  }

  /** A cached {@code Method} per event class. */
  @Benchmark
  public PlainAccount reflection() throws ReflectiveOperationException {
    PlainAccount account = new PlainAccount(ID);
    List<VersionedEvent> events = stream;
    for (int i = 0, n = events.size(); i < n; i++) {
      VersionedEvent event = events.get(i);
      account.checkNext(event.version());
      Object payload = event.event();
      methods[indexOf(payload.getClass())].invoke(account, payload);
      account.replayed(event.version());
    }
    return account;
  }

  /** A cached, non-constant {@code MethodHandle} per event class. */
  @Benchmark
  public PlainAccount methodHandle() throws Throwable {
    PlainAccount account = new PlainAccount(ID);
    List<VersionedEvent> events = stream;
    for (int i = 0, n = events.size(); i < n; i++) {
      VersionedEvent event = events.get(i);
      account.checkNext(event.version());
      Object payload = event.event();
      handles[indexOf(payload.getClass())].invokeExact((Object) account, payload);
      account.replayed(event.version());
    }
    return account;
  }

  private int indexOf(Class<?> type) {
    Class<?>[] types = eventTypes;
    for (int i = 0; i < types.length; i++) {
      if (types[i] == type) {
        return i;
      }
    }
    throw new IllegalArgumentException("No handler for " + type);
  }
}
