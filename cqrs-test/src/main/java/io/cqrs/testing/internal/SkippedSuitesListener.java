package io.cqrs.testing.internal;

import io.cqrs.testing.ServerMissingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Records the suites (test classes) that a {@link ServerMissingException} skipped, whole or in
 * part, into a new file of the directory named by the system property {@value
 * ServerMissingException#REPORT_PROPERTY}, one line per suite: the server, the remedy, the class
 * and the reason, tab-separated. Without the property it does nothing, so it costs nothing where
 * the kit is used outside cqrs's own build. Registered through {@code META-INF/services}.
 */
public final class SkippedSuitesListener implements TestExecutionListener {
  /** Suite class name → the skip that was recorded first for it. */
  private final Map<String, ServerMissingException> skipped = new ConcurrentHashMap<>();

  @Override
  public void executionFinished(TestIdentifier test, TestExecutionResult result) {
    if (result.getStatus() != TestExecutionResult.Status.ABORTED) {
      return;
    }
    Optional<Throwable> cause = result.getThrowable();
    if (cause.isPresent() && cause.get() instanceof ServerMissingException missing) {
      suiteOf(test.getSource().orElse(null)).ifPresent(s -> skipped.putIfAbsent(s, missing));
    }
  }

  @Override
  public void testPlanExecutionFinished(TestPlan plan) {
    String directory = System.getProperty(ServerMissingException.REPORT_PROPERTY);
    if (directory == null || directory.isBlank() || skipped.isEmpty()) {
      return;
    }
    StringBuilder lines = new StringBuilder();
    skipped.forEach(
        (suite, skip) ->
            lines
                .append(clean(skip.server()))
                .append('\t')
                .append(clean(skip.remedy()))
                .append('\t')
                .append(suite)
                .append('\t')
                .append(clean(skip.getMessage()))
                .append('\n'));
    try {
      Path dir = Files.createDirectories(Path.of(directory));
      Files.writeString(dir.resolve(UUID.randomUUID() + ".tsv"), lines, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot record skipped suites in " + directory, e);
    }
    skipped.clear();
  }

  private static Optional<String> suiteOf(TestSource source) {
    if (source instanceof ClassSource c) {
      return Optional.of(c.getClassName());
    }
    if (source instanceof MethodSource m) {
      return Optional.of(m.getClassName());
    }
    return Optional.empty();
  }

  private static String clean(String text) {
    return text.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
  }
}
