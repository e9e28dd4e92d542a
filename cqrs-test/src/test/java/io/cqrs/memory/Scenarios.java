package io.cqrs.memory;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;

/**
 * Hand-written Lincheck scenarios, built from Java: the races a guarantee is about, which random
 * scenarios of a few operations meet only now and then. The model checker still explores every
 * interleaving of them it has time for.
 */
final class Scenarios {
  private final Class<?> test;
  private final List<Actor> initial = new ArrayList<>();
  private final List<List<Actor>> threads = new ArrayList<>();
  private final List<Actor> post = new ArrayList<>();

  private Scenarios(Class<?> test) {
    this.test = test;
  }

  static Scenarios of(Class<?> test) {
    return new Scenarios(test);
  }

  /** An operation of the test class, by name, with its arguments. */
  private Actor op(String name, Object... arguments) {
    Method method =
        Arrays.stream(test.getMethods())
            .filter(m -> m.getName().equals(name) && m.getParameterCount() == arguments.length)
            .findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no operation " + name));
    return new Actor(method, List.of(arguments));
  }

  Scenarios initial(String name, Object... arguments) {
    initial.add(op(name, arguments));
    return this;
  }

  /** Starts the next parallel thread with this operation. */
  Scenarios thread(String name, Object... arguments) {
    threads.add(new ArrayList<>());
    return then(name, arguments);
  }

  /** Adds an operation to the last parallel thread. */
  Scenarios then(String name, Object... arguments) {
    threads.get(threads.size() - 1).add(op(name, arguments));
    return this;
  }

  Scenarios post(String name, Object... arguments) {
    post.add(op(name, arguments));
    return this;
  }

  ExecutionScenario build() {
    return new ExecutionScenario(initial, threads, post, null);
  }
}
