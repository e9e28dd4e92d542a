package io.cqrs.testing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

/**
 * What a bus consumer received in a contract test, safe to read while listeners add to it.
 *
 * @param <T> the message type (events or commands)
 */
final class Received<T> {
  private final List<T> messages = Collections.synchronizedList(new ArrayList<>());
  private final Function<T, String> id;
  private final String noun;

  /**
   * @param id the message's unique id
   * @param noun what the messages are called in failure messages ("events", "commands")
   */
  Received(Function<T, String> id, String noun) {
    this.id = id;
    this.noun = noun;
  }

  void record(T message) {
    messages.add(message);
  }

  List<T> messages() {
    synchronized (messages) {
      return List.copyOf(messages);
    }
  }

  String idOf(T message) {
    return id.apply(message);
  }

  List<String> ids() {
    return idsOf(messages());
  }

  int count() {
    return messages.size();
  }

  void awaitIds(List<T> expected) {
    List<String> wanted = idsOf(expected);
    Await.until(
        Await.DEFAULT_TIMEOUT,
        () -> noun + " " + wanted + "; received " + ids(),
        () -> ids().containsAll(wanted));
  }

  private List<String> idsOf(List<T> list) {
    return list.stream().map(id).toList();
  }
}
