package io.cqrs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.EventSourceBased;
import io.cqrs.VersionedEvent;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import java.util.function.LongSupplier;
import java.util.function.ToIntBiFunction;
import org.junit.jupiter.api.Test;

/**
 * The class {@link Dispatchers} generates per aggregate class: how it is defined, that it is built
 * once and never per event, and what it does with handlers that throw.
 */
class DispatchersTest {
  record Added(long n) {}

  record Subtracted(long n) {}

  record Failed() {}

  record Unknown() {}

  /** A private and a package-private handler, and one that throws a checked exception. */
  static class Counter extends EventSourceBased {
    long total;

    Counter(String id) {
      super(id);
    }

    void raise(Object event) {
      update(event);
    }

    @SuppressWarnings("unused")
    private void handleAdded(Added e) {
      total += e.n();
    }

    void handleSubtracted(Subtracted e) {
      total -= e.n();
    }

    void handleFailed(Failed e) throws IOException {
      throw new IOException("cannot apply");
    }
  }

  /** Used by one test only, so that its routing is generated inside that test. */
  static final class FreshCounter extends Counter {
    FreshCounter(String id) {
      super(id);
    }
  }

  /** Used by one test only, so that its routing is generated inside that test. */
  static final class RacedCounter extends Counter {
    RacedCounter(String id) {
      super(id);
    }
  }

  private static List<Method> handlers(Class<?> type) {
    List<Method> handlers = new ArrayList<>();
    for (Method method : type.getDeclaredMethods()) {
      if (method.getName().startsWith("handle")) {
        handlers.add(method);
      }
    }
    handlers.sort(Comparator.comparing(Method::getName));
    return handlers;
  }

  private static void routeAll(BiPredicate<Object, Object> dispatcher, Counter counter) {
    assertThat(dispatcher.test(counter, new Added(5))).isTrue();
    assertThat(dispatcher.test(counter, new Subtracted(2))).isTrue();
    assertThat(dispatcher.test(counter, new Unknown())).isFalse();
    assertThat(counter.total).isEqualTo(3);
    assertThatThrownBy(() -> dispatcher.test(counter, new Failed()))
        .isInstanceOf(IOException.class)
        .hasMessage("cannot apply");
  }

  /**
   * The generated replay loop of an aggregate class: it applies events while their versions follow
   * the aggregate's and it has their handlers, setting the version after each, and stops at the
   * first other one, which it leaves to its caller.
   */
  @SuppressWarnings("unchecked")
  private static void replayThroughTheLoop(
      BiPredicate<Object, Object> dispatcher,
      EventSourceBased counter,
      Object added,
      Object subtracted,
      LongSupplier total) {
    assertThat(dispatcher).isInstanceOf(ToIntBiFunction.class);
    ToIntBiFunction<Object, Object> loop = (ToIntBiFunction<Object, Object>) dispatcher;
    String id = counter.id();
    List<VersionedEvent> events =
        List.of(
            VersionedEvent.of(id, 1, added, "c"),
            VersionedEvent.of(id, 2, subtracted, "c"),
            VersionedEvent.of(id, 3, new Unknown(), "c"),
            VersionedEvent.of(id, 5, added, "c"));

    assertThat(loop.applyAsInt(counter, events)).isEqualTo(2); // no handler for the third
    assertThat(counter.version()).isEqualTo(2);
    assertThat(total.getAsLong()).isEqualTo(3);
    assertThat(loop.applyAsInt(counter, events.subList(3, 4))).isZero(); // 5 does not follow 2
    assertThat(counter.version()).isEqualTo(2);
    assertThat(total.getAsLong()).isEqualTo(3);
  }

  @Test
  void the_replay_loop_of_an_aggregate_is_generated_in_the_same_class() throws Exception {
    Counter counter = new Counter("r-1");
    BiPredicate<Object, Object> dispatcher =
        Dispatchers.of(
            MethodHandles.privateLookupIn(Counter.class, MethodHandles.lookup()),
            Counter.class,
            handlers(Counter.class));

    replayThroughTheLoop(dispatcher, counter, new Added(5), new Subtracted(2), () -> counter.total);
  }

  @Test
  void on_the_class_path_the_dispatcher_is_a_hidden_nestmate_of_the_aggregate() throws Exception {
    MethodHandles.Lookup lookup =
        MethodHandles.privateLookupIn(Counter.class, MethodHandles.lookup());

    BiPredicate<Object, Object> dispatcher =
        Dispatchers.of(lookup, Counter.class, handlers(Counter.class));

    assertThat(dispatcher.getClass().isHidden()).isTrue();
    assertThat(dispatcher.getClass().getNestHost()).isEqualTo(Counter.class.getNestHost());
    assertThat(dispatcher.getClass().getPackageName()).isEqualTo(Counter.class.getPackageName());
    routeAll(dispatcher, new Counter("c-1"));
  }

  @Test
  void in_another_module_it_is_a_class_of_the_aggregates_package_and_reaches_private_handlers()
      throws Throwable {
    Class<?> type =
        new IsolatingLoader(IsolatedCounter.class).loadClass(IsolatedCounter.class.getName());
    MethodHandles.Lookup opened = MethodHandles.privateLookupIn(type, MethodHandles.lookup());
    assertThat(type.getModule()).isNotEqualTo(Dispatchers.class.getModule());
    assertThat(opened.hasFullPrivilegeAccess()).isFalse();

    BiPredicate<Object, Object> dispatcher = Dispatchers.of(opened, type, handlers(type));

    assertThat(dispatcher.getClass().isHidden()).isFalse();
    assertThat(dispatcher.getClass().getPackageName()).isEqualTo(type.getPackageName());
    assertThat(dispatcher.getClass().getClassLoader()).isSameAs(type.getClassLoader());
    Object counter = type.getConstructor(String.class).newInstance("i-1");
    assertThat(dispatcher.test(counter, new IsolatedCounter.Added(5))).isTrue();
    assertThat(dispatcher.test(counter, new IsolatedCounter.Subtracted(2))).isTrue();
    assertThat(dispatcher.test(counter, new Unknown())).isFalse();
    assertThat(type.getField("total").getLong(counter)).isEqualTo(3);
    assertThatThrownBy(() -> dispatcher.test(counter, new IsolatedCounter.Failed()))
        .isInstanceOf(IOException.class)
        .hasMessage("cannot apply");
    EventRouter router = EventRouter.of(type);
    router.dispatch(counter, new IsolatedCounter.Added(10));
    assertThat(type.getField("total").getLong(counter)).isEqualTo(13);

    Object replayed = type.getConstructor(String.class).newInstance("i-2");
    replayThroughTheLoop(
        dispatcher,
        (EventSourceBased) replayed,
        new IsolatedCounter.Added(5),
        new IsolatedCounter.Subtracted(2),
        () -> {
          try {
            return type.getField("total").getLong(replayed);
          } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
          }
        });
  }

  /** Defines one class itself, from the parent's bytes, and leaves every other to the parent. */
  private static final class IsolatingLoader extends ClassLoader {
    private final String isolated;

    IsolatingLoader(Class<?> isolated) {
      super(isolated.getClassLoader());
      this.isolated = isolated.getName();
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (!name.equals(isolated)) {
        return super.loadClass(name, resolve);
      }
      synchronized (getClassLoadingLock(name)) {
        Class<?> loaded = findLoadedClass(name);
        if (loaded != null) {
          return loaded;
        }
        try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
          byte[] bytes = in.readAllBytes();
          return defineClass(name, bytes, 0, bytes.length);
        } catch (IOException e) {
          throw new ClassNotFoundException(name, e);
        }
      }
    }
  }

  @Test
  void routing_is_generated_once_per_aggregate_class_and_never_per_event() {
    long before = Dispatchers.generated();

    FreshCounter counter = new FreshCounter("f-1");
    for (int i = 0; i < 10_000; i++) {
      counter.raise(i % 2 == 0 ? new Added(i) : new Subtracted(i));
    }
    new FreshCounter("f-2");

    assertThat(Dispatchers.generated() - before).isEqualTo(1);
    assertThat(EventRouter.of(FreshCounter.class)).isSameAs(EventRouter.of(FreshCounter.class));
    assertThat(counter.total).isEqualTo(-5_000);
  }

  @Test
  void threads_racing_to_the_first_use_of_a_class_generate_its_routing_once() throws Exception {
    int threads = 8;
    long before = Dispatchers.generated();
    CyclicBarrier barrier = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<EventRouter>> routers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        routers.add(
            pool.submit(
                () -> {
                  barrier.await(30, TimeUnit.SECONDS);
                  RacedCounter counter = new RacedCounter("r");
                  counter.raise(new Added(1));
                  assertThat(counter.total).isOne();
                  return EventRouter.of(RacedCounter.class);
                }));
      }
      EventRouter first = routers.get(0).get(60, TimeUnit.SECONDS);
      for (Future<EventRouter> router : routers) {
        assertThat(router.get(60, TimeUnit.SECONDS)).isSameAs(first);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(Dispatchers.generated() - before).isEqualTo(1);
    assertThat(EventRouter.of(RacedCounter.class).handledTypes())
        .containsExactlyInAnyOrder(Added.class, Subtracted.class, Failed.class);
  }
}
