package io.cqrs.example.bank;

import picocli.CommandLine.Option;

/** How many messages {@code serve} and {@code worker} handle at once (a picocli mixin). */
final class ListenerOptions {
  @Option(
      names = "--listeners",
      converter = OptionConverters.Listeners.class,
      defaultValue = "" + BankOptions.DEFAULT_LISTENERS,
      description =
          "Commands and events handled at once per subscription, 1 to 64 (default:"
              + " ${DEFAULT-VALUE}).")
  int listeners = BankOptions.DEFAULT_LISTENERS;
}
