package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The shipped logback.xml writes one line per event whatever the input it quotes: a forged id with
 * line breaks stays on its line, as text and as JSON.
 */
class LogFormatTest {
  private static final String FORGED = "acc-1\r\n12:00:00.000 [main] ERROR Bank - forged\u2028x";

  /** The shipped logback.xml, configured into a context of its own with that format. */
  private static String encode(String format) throws Exception {
    return encode(format, null);
  }

  private static String encode(String format, Throwable thrown) throws Exception {
    LoggerContext context = new LoggerContext();
    context.putProperty("bank.log.format", format);
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(LogFormatTest.class.getResource("/logback.xml"));
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    @SuppressWarnings("unchecked")
    OutputStreamAppender<ILoggingEvent> appender =
        (OutputStreamAppender<ILoggingEvent>) root.getAppender(format);
    assertThat(appender).as("the %s appender of logback.xml", format).isNotNull();
    LoggingEvent event =
        new LoggingEvent(
            LogFormatTest.class.getName(),
            context.getLogger("io.cqrs.example.bank.Test"),
            Level.WARN,
            "Account {} not found",
            thrown,
            new Object[] {FORGED});
    event.setMDCPropertyMap(Map.of("cqrs.aggregateId", FORGED));
    try {
      return new String(appender.getEncoder().encode(event), StandardCharsets.UTF_8);
    } finally {
      context.stop();
    }
  }

  @Test
  void a_text_line_escapes_line_breaks_in_the_message_and_the_mdc() throws Exception {
    String line = encode("TEXT");

    assertThat(line).endsWith(System.lineSeparator());
    assertThat(line.strip()).doesNotContain("\r").doesNotContain("\n").doesNotContain("\u2028");
    assertThat(line).contains("acc-1\\n\\n12:00:00.000 [main] ERROR Bank - forged\\nx");
  }

  @Test
  void line_breaks_in_an_exceptions_messages_are_escaped_and_its_trace_keeps_its_lines()
      throws Exception {
    IllegalStateException thrown =
        new IllegalStateException("Unknown account '" + FORGED + "'", new RuntimeException(FORGED));
    thrown.addSuppressed(new IllegalArgumentException("suppressed " + FORGED));

    String[] lines = encode("TEXT", thrown).split("\\R", -1);

    assertThat(lines[0]).contains("Account acc-1\\n\\n12:00:00.000");
    assertThat(lines[1])
        .isEqualTo(
            "java.lang.IllegalStateException: Unknown account 'acc-1\\n\\n12:00:00.000 [main]"
                + " ERROR Bank - forged\\nx'");
    for (String line : java.util.Arrays.copyOfRange(lines, 2, lines.length - 1)) {
      assertThat(line)
          .as("every line after the exception's own is part of its trace")
          .matches("(\t|Caused by: |\tSuppressed: |\t\t).*");
    }
    assertThat(lines)
        .anyMatch(line -> line.startsWith("Caused by: java.lang.RuntimeException: acc-1\\n"));
    assertThat(lines)
        .anyMatch(
            line ->
                line.contains(
                    "Suppressed: java.lang.IllegalArgumentException: suppressed acc-1\\n"));
    assertThat(lines).noneMatch(line -> line.startsWith("12:00:00.000"));
  }

  @Test
  void the_json_format_writes_one_object_per_line() throws Exception {
    String line = encode("JSON");

    assertThat(line.strip()).doesNotContain("\n").doesNotContain("\r");
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.get("formattedMessage").asText()).isEqualTo("Account " + FORGED + " not found");
  }
}
