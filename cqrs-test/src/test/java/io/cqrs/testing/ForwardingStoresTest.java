package io.cqrs.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.VersionedEvent;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStream;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.ProcessorStore;
import io.cqrs.spi.RelayStore;
import io.cqrs.spi.StreamAppend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The forwarding stores hand every method of every SPI interface they implement to the delegate, by
 * reflection over those interfaces, so that a method added to an SPI fails here until it is
 * forwarded (or named below as an overload that reaches the delegate through another method).
 */
class ForwardingStoresTest {
  /** The overloads that only reshape their arguments into a call of another SPI method. */
  private static final Set<String> ROUTED =
      Set.of(
          "save(String,long,List)",
          "save(String,long,List,String)",
          "load(String,long)",
          "load(String)");

  /** What the recording delegate answers, by return type; every other type gets null. */
  private static final Map<Class<?>, Object> ANSWERS =
      Map.of(
          long.class,
          42L,
          int.class,
          7,
          boolean.class,
          true, // the SPI's defaults answer false
          Optional.class,
          Optional.of("answer"),
          List.class,
          List.of("answer"),
          CompletionStage.class,
          new CompletableFuture<Void>(),
          EventStream.class,
          new EventStream("answer", null, List.of()));

  /** A delegate's type for a store that is both. */
  interface RelayRepository extends EventStreamRepository, RelayStore {}

  /** A delegate's type for a store that is all three. */
  interface RelayProcessorRepository extends EventStreamRepository, RelayStore, ProcessorStore {}

  private final List<Call> received = new CopyOnWriteArrayList<>();

  record Call(String signature, List<Object> arguments) {}

  static Stream<Arguments> forwarders() {
    return Stream.of(
        forwarder(
            EventStreamRepository.class,
            delegate -> new ForwardingEventStreamRepository(delegate) {}),
        forwarder(RelayRepository.class, delegate -> new ForwardingRelayStore(delegate) {}),
        forwarder(
            RelayProcessorRepository.class,
            delegate -> new ForwardingRelayProcessorStore(delegate) {}),
        forwarder(ProcessorStore.class, delegate -> new ForwardingProcessorStore(delegate) {}));
  }

  private static <T> Arguments forwarder(Class<T> delegateType, Function<T, Object> forwarding) {
    return Arguments.of(delegateType.getSimpleName(), delegateType, forwarding);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("forwarders")
  <T> void every_spi_method_reaches_the_delegate_with_its_arguments_and_answers_its_answer(
      String name, Class<T> delegateType, Function<T, Object> forwarding) throws Exception {
    Object forwarder = forwarding.apply(recording(delegateType));
    List<Method> methods = spiMethods(forwarder.getClass());
    assertThat(methods).isNotEmpty();

    for (Method method : methods) {
      String signature = signature(method);
      Method implementation =
          forwarder.getClass().getMethod(method.getName(), method.getParameterTypes());
      if (ROUTED.contains(signature)) {
        assertThat(implementation.getDeclaringClass().isInterface())
            .as("%s is left to the SPI, so that it reaches an overridden save or load", signature)
            .isTrue();
        continue;
      }
      assertThat(implementation.getDeclaringClass().isInterface())
          .as("%s forwards %s", forwarder.getClass().getSuperclass().getSimpleName(), signature)
          .isFalse();
      Object[] arguments = arguments(method.getParameterTypes());
      received.clear();

      Object answer = invoke(implementation, forwarder, arguments);

      assertThat(received)
          .as("what %s handed to the delegate", signature)
          .containsExactly(new Call(signature, Arrays.asList(arguments)));
      Object expected = ANSWERS.get(method.getReturnType());
      if (method.getReturnType().isPrimitive()) {
        assertThat(answer).as("answer of %s", signature).isEqualTo(expected);
      } else {
        assertThat(answer).as("answer of %s", signature).isSameAs(expected);
      }
    }
  }

  @Test
  void saves_and_loads_through_the_overloads_reach_the_overridden_save_and_load() {
    List<String> calls = new ArrayList<>();
    EventStreamRepository store =
        new ForwardingEventStreamRepository(new InMemoryEventStreamRepository()) {
          @Override
          public void save(StreamAppend append) {
            calls.add("save " + append.streamId() + " @" + append.expectedVersion());
            super.save(append);
          }

          @Override
          public EventStream loadStream(String streamId, long fromVersion) {
            calls.add("load " + streamId + " from " + fromVersion);
            return super.loadStream(streamId, fromVersion);
          }
        };

    store.save("acc-1", 0, List.of(event(1)));
    store.save("acc-1", 1, List.of(event(2)), "cmd-2");

    assertThat(store.load("acc-1")).extracting(VersionedEvent::version).containsExactly(1L, 2L);
    assertThat(store.load("acc-1", 2)).extracting(VersionedEvent::version).containsExactly(2L);
    assertThat(calls)
        .containsExactly(
            "save acc-1 @0", "save acc-1 @1", "load acc-1 from 1", "load acc-1 from 2");
  }

  @Test
  void a_forwarding_store_is_only_what_it_forwards() {
    InMemoryEventStreamRepository memory = new InMemoryEventStreamRepository();

    assertThat(new ForwardingEventStreamRepository(memory) {})
        .isNotInstanceOf(RelayStore.class)
        .isNotInstanceOf(ProcessorStore.class);
    assertThat(new ForwardingRelayStore(memory) {}).isNotInstanceOf(ProcessorStore.class);
    assertThat(new ForwardingProcessorStore(memory) {})
        .isNotInstanceOf(EventStreamRepository.class);
  }

  private static VersionedEvent event(long version) {
    return VersionedEvent.of("acc-1", version, new ContractEvents.Happened("x", 1), "corr-1");
  }

  private <T> T recording(Class<T> type) {
    return type.cast(
        Proxy.newProxyInstance(
            type.getClassLoader(),
            new Class<?>[] {type},
            (proxy, method, arguments) -> {
              if (method.getDeclaringClass() == Object.class) {
                return method.getName().equals("equals")
                    ? proxy == arguments[0]
                    : method.getName().equals("hashCode")
                        ? System.identityHashCode(proxy)
                        : "recording " + type.getSimpleName();
              }
              received.add(
                  new Call(
                      signature(method), arguments == null ? List.of() : Arrays.asList(arguments)));
              return ANSWERS.get(method.getReturnType());
            }));
  }

  /** The methods of every SPI interface {@code type} implements, however indirectly. */
  private static List<Method> spiMethods(Class<?> type) {
    Set<Class<?>> interfaces = new LinkedHashSet<>();
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      collectInterfaces(c, interfaces);
    }
    return interfaces.stream()
        .filter(i -> i.getPackageName().equals("io.cqrs.spi"))
        .flatMap(i -> Arrays.stream(i.getDeclaredMethods()))
        .filter(m -> !Modifier.isStatic(m.getModifiers()) && !m.isSynthetic())
        .filter(m -> !Modifier.isPrivate(m.getModifiers()))
        .collect(Collectors.toList());
  }

  private static void collectInterfaces(Class<?> type, Set<Class<?>> into) {
    for (Class<?> i : type.getInterfaces()) {
      if (into.add(i)) {
        collectInterfaces(i, into);
      }
    }
  }

  /** Arguments that tell one parameter from another where the type allows; null elsewhere. */
  private static Object[] arguments(Class<?>[] types) {
    Object[] arguments = new Object[types.length];
    for (int i = 0; i < types.length; i++) {
      Class<?> type = types[i];
      arguments[i] =
          type == String.class
              ? "arg-" + i
              : type == long.class
                  ? 100L + i
                  : type == int.class
                      ? 10 + i
                      : type == Instant.class
                          ? Instant.EPOCH.plusSeconds(i)
                          : type == Duration.class ? Duration.ofSeconds(i + 1) : null;
      assertThat(arguments[i] != null || !type.isPrimitive())
          .as("an argument of type %s", type)
          .isTrue();
    }
    return arguments;
  }

  private static Object invoke(Method method, Object target, Object[] arguments) throws Exception {
    try {
      return method.invoke(target, arguments);
    } catch (InvocationTargetException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  private static String signature(Method method) {
    return method.getName()
        + Arrays.stream(method.getParameterTypes())
            .map(Class::getSimpleName)
            .collect(Collectors.joining(",", "(", ")"));
  }
}
