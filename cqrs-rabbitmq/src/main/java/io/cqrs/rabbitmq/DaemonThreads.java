package io.cqrs.rabbitmq;

import java.util.concurrent.ThreadFactory;

/** The threads this library starts: daemons, named, with this library's context class loader. */
final class DaemonThreads {
  private DaemonThreads() {}

  /** Daemon threads named {@code name}, with this library's class loader as context loader. */
  static ThreadFactory named(String name) {
    return task -> {
      Thread thread = new Thread(task, name);
      thread.setDaemon(true);
      // Not the context loader of whichever thread happened to start it (an application's, say).
      thread.setContextClassLoader(DaemonThreads.class.getClassLoader());
      return thread;
    };
  }
}
