package io.cqrs.routing.base;

import io.cqrs.EventSourceBased;
import java.util.ArrayList;
import java.util.List;

/**
 * A base aggregate in another package than its subclass {@code io.cqrs.routing.Ledger}, and than
 * cqrs: its handlers of every visibility are inherited by a class whose generated routing lives in
 * the subclass's package, where only the public one can be called directly.
 */
public abstract class LedgerBase extends EventSourceBased {
  /** Every handler call, in order. */
  public final List<String> calls = new ArrayList<>();

  protected LedgerBase(String id) {
    super(id);
  }

  /** Raises an event through {@code update}. */
  public void raise(Object event) {
    update(event);
  }

  /** Opens the ledger. */
  public record Opened(String owner) {}

  /** A note, handled by a package-private method of this package. */
  public record Noted(String text) {}

  /** A tag, handled by a protected method that the subclass inherits. */
  public record Tagged(String tag) {}

  /** A rename, handled here and again, overriding, in the subclass. */
  public record Renamed(String name) {}

  /** Closes the ledger. */
  public record Closed(String reason) {}

  /** Makes a handler of the base throw. */
  public record Failed(String why) {}

  @SuppressWarnings("unused")
  private void handleOpened(Opened e) {
    calls.add("base private " + e.owner());
  }

  void handleNoted(Noted e) {
    calls.add("base package " + e.text());
  }

  protected void handleTagged(Tagged e) {
    calls.add("base protected " + e.tag());
  }

  protected void handleRenamed(Renamed e) {
    calls.add("base renamed " + e.name());
  }

  public void handleClosed(Closed e) {
    calls.add("base public " + e.reason());
  }

  protected void handleFailed(Failed e) {
    throw new IllegalStateException("base cannot apply: " + e.why());
  }
}
