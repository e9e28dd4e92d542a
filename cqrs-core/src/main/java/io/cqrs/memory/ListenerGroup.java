package io.cqrs.memory;

import io.cqrs.CqrsException;
import io.cqrs.spi.BusHealth;
import io.cqrs.spi.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One named subscription of an in-memory bus: a queue that its listeners compete for. Each message
 * is tried up to {@code maxAttempts} times, then handed to the dead-letter sink; the listeners go
 * on either way, whatever the handler throws, unless it is a fatal error ({@link
 * BusHealth#isFatal}): then the message goes back to the head of the queue and every listener of
 * the bus stops.
 */
final class ListenerGroup<T> {
  private static final Logger log = LoggerFactory.getLogger(ListenerGroup.class);
  private static final long POLL_MILLIS = 50;

  /** What a listener does with a message; throwing means a failed attempt. */
  interface Handler<T> {
    void handle(T message) throws Exception;
  }

  private final String name;
  private final int maxAttempts;
  private final BiConsumer<DeadLetter<T>, Boolean> deadLetters;
  private final BusConsumers consumers;

  /** A message as a log line names it: its type and id, printable. */
  private final Function<T, String> describe;

  private final HandOff<T> queue = new HandOff<>();
  private final AtomicInteger unfinished = new AtomicInteger();
  private final AtomicInteger threadIds = new AtomicInteger();

  /** The subscriptions started on this group, until each is closed. */
  private final List<Listeners> subscriptions = new CopyOnWriteArrayList<>();

  ListenerGroup(
      String name,
      int maxAttempts,
      BiConsumer<DeadLetter<T>, Boolean> deadLetters,
      BusConsumers consumers,
      Function<T, String> describe) {
    this.name = name;
    this.describe = describe;
    this.maxAttempts = maxAttempts;
    this.deadLetters = deadLetters;
    this.consumers = consumers;
  }

  void offer(T message) {
    unfinished.incrementAndGet();
    queue.add(message);
  }

  /** Whether every message offered has been handled or dead-lettered. */
  boolean isIdle() {
    return unfinished.get() == 0;
  }

  /** How many messages were offered and are neither handled nor dead-lettered. */
  int unfinished() {
    return unfinished.get();
  }

  String name() {
    return name;
  }

  /**
   * Fails unless {@code listeners} is usable. Buses call it before they create or route to a group,
   * so that a rejected subscribe leaves nothing behind.
   */
  static void checkListeners(int listeners) {
    if (listeners < 1) {
      throw new IllegalArgumentException("listeners must be >= 1, was " + listeners);
    }
  }

  /** Starts {@code listeners} threads on this group; the returned subscription stops them. */
  Subscription start(int listeners, Handler<T> handler) {
    checkListeners(listeners);
    Objects.requireNonNull(handler, "consumer");
    Listeners running = new Listeners();
    for (int i = 0; i < listeners; i++) {
      Thread thread =
          new Thread(
              () -> run(running, handler), "cqrs-" + name + "-" + threadIds.incrementAndGet());
      thread.setDaemon(true);
      running.threads.add(thread);
    }
    running.threads.forEach(Thread::start);
    consumers.add(running);
    subscriptions.add(running);
    return running;
  }

  private void run(Listeners running, Handler<T> handler) {
    try {
      while (!running.closed) {
        T message = queue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        if (message == null) {
          if (running.draining) {
            return; // closing, and nothing is left: done
          }
          continue;
        }
        if (running.closed || (running.draining && running.drainBudget.decrementAndGet() < 0)) {
          queue.addFirst(message); // closed or stopped while waiting: for the next listener
          return;
        }
        Throwable fatal = deliver(message, handler);
        if (fatal != null) {
          consumers.stop(name, fatal);
          queue.addFirst(message); // not handled: it waits, as a broker would redeliver it
          return;
        }
        unfinished.decrementAndGet();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (!running.closed) {
        consumers.lost(
            "Listener " + Thread.currentThread().getName() + " of '" + name + "' was interrupted");
      }
    } catch (RuntimeException | Error e) { // not from the handler: deliver() keeps those
      if (BusHealth.isFatal(e)) {
        consumers.stop(name, e);
      } else {
        consumers.lost(
            "Listener "
                + Thread.currentThread().getName()
                + " of '"
                + name
                + "' ended: "
                + BusConsumers.summary(e));
      }
    }
  }

  /**
   * Tries a message up to {@code maxAttempts} times, or once if it fails non-transiently, then
   * dead-letters it, saying which.
   *
   * @return a fatal error the handler threw, after which the message was not tried again, or {@code
   *     null}
   */
  private Throwable deliver(T message, Handler<T> handler) {
    Throwable last = null;
    int attempt = 0;
    while (attempt < maxAttempts) {
      attempt++;
      try {
        handler.handle(message);
        return null;
      } catch (Throwable e) { // Errors too: only a fatal one may end a listener
        if (BusHealth.isFatal(e)) {
          return e;
        }
        last = e;
        if (e instanceof CqrsException cqrs && !cqrs.isTransient()) {
          // A retry cannot cure a missing handler or an unknown type.
          break;
        }
      }
    }
    log.warn(
        "Dead-lettering {} of '{}' after {} attempt(s)",
        describe.apply(message),
        name,
        attempt,
        last);
    // Said here, not inferred from the attempts: with maxAttempts 1 both kinds take one.
    boolean nonTransient = last instanceof CqrsException cqrs && !cqrs.isTransient();
    deadLetters.accept(
        new DeadLetter<>(name, message, BusConsumers.summary(last), attempt), nonTransient);
    return null;
  }

  private final class Listeners implements Subscription, BusConsumers.Running {
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;
    private final AtomicBoolean closing = new AtomicBoolean();

    /**
     * Closing as the group's last subscription: the listeners handle what was queued when the close
     * began ({@link #drainBudget} messages at most, so that handlers which send more to the group
     * do not keep them for ever), then stop.
     */
    private volatile boolean draining;

    private final AtomicInteger drainBudget = new AtomicInteger();

    @Override
    public String name() {
      return name;
    }

    @Override
    public int alive() {
      if (closed) {
        return 0; // told to stop: no longer takes messages, even while its thread winds down
      }
      int alive = 0;
      for (Thread thread : threads) {
        alive += thread.isAlive() ? 1 : 0;
      }
      return alive;
    }

    @Override
    public int started() {
      return threads.size();
    }

    @Override
    public BusHealth health() {
      return consumers.health(List.of(this), closed);
    }

    @Override
    public void stop() {
      closed = true;
    }

    /**
     * Stops the threads and waits for their messages in hand; only the first call waits, so that a
     * bus closed after a {@link io.cqrs.Cqrs#close()} that gave up on a handler that does not
     * return does not wait for it again, for ever (a second call stops the listeners at once).
     *
     * <p>The group's last subscription first handles what is queued (no broker keeps it for a later
     * listener, and the process may be about to exit): the messages queued when the close began, as
     * many as were offered and not finished then, while its listeners live. Others stop after their
     * message in hand and leave the queue to the subscriptions that stay, and so does a
     * subscription closed from one of its own handlers.
     */
    @Override
    public void close() {
      if (!closing.compareAndSet(false, true)) {
        closed = true;
        return;
      }
      boolean othersListen = false;
      for (Listeners other : subscriptions) {
        othersListen |= other != this && !other.closing.get() && other.alive() > 0;
      }
      // Closed from one of its own handlers, it drains nothing: that handler may hold what the
      // others' handlers need (a lock), and this call waits for them.
      boolean fromOwnHandler = threads.contains(Thread.currentThread());
      if (othersListen || fromOwnHandler || consumers.isStopped()) {
        closed = true;
      } else {
        drainBudget.set(unfinished.get());
        draining = true;
      }
      try {
        for (Thread thread : threads) {
          if (thread == Thread.currentThread()) {
            continue;
          }
          try {
            thread.join();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      } finally {
        closed = true;
        subscriptions.remove(this);
        consumers.remove(this);
      }
    }
  }
}
