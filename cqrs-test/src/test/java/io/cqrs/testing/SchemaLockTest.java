package io.cqrs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.Downcaster;
import io.cqrs.EventSerializer;
import io.cqrs.EventSourceBased;
import io.cqrs.TypeName;
import io.cqrs.TypeRegistry;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each class pair below is one message type (one {@code @TypeName}) in two versions of an
 * application: a registry of the first version records the file, one of the second checks against
 * it.
 */
class SchemaLockTest {
  @TempDir Path dir;
  Path file;

  @BeforeEach
  void file() {
    file = dir.resolve("schemas.json");
  }

  // --- version 1 of the application ---
  @TypeName("Deposited")
  record Deposited1(String accountId, BigDecimal amount, Owner owner) {}

  record Owner(String name, Tier tier) {}

  enum Tier {
    BASIC,
    GOLD
  }

  @TypeName("Counted")
  record Counted1(int count, float ratio) {}

  record Closed(String accountId) {}

  record Open(String accountId) {}

  static final class Account extends EventSourceBased {
    Account(String id) {
      super(id);
    }

    void handleOpen(Open e) {}
  }

  // --- version 2: the changes ---
  @TypeName("Deposited")
  record DepositedRenamed(String accountId, BigDecimal total, Owner owner) {}

  @TypeName("Deposited")
  record DepositedAdded(String accountId, BigDecimal amount, Owner owner, String memo) {}

  @TypeName("Deposited")
  record DepositedAsText(String accountId, String amount, Owner owner) {}

  @TypeName("Deposited")
  record DepositedJavaRenamed(
      String accountId, @JsonProperty("amount") BigDecimal value, Owner owner) {}

  @TypeName(value = "Deposited", revision = 2)
  record Deposited2(String accountId, BigDecimal total, Owner owner) {}

  @TypeName(value = "Deposited", revision = 3)
  record Deposited3(String accountId, BigDecimal total, Owner owner, String memo) {}

  @TypeName("Deposited")
  record DepositedOwnerChanged(String accountId, BigDecimal amount, OwnerRenamed owner) {}

  record OwnerRenamed(String fullName, Tier tier) {}

  @TypeName("Deposited")
  record DepositedTierLost(String accountId, BigDecimal amount, OwnerTierLost owner) {}

  record OwnerTierLost(String name, TierLost tier) {}

  enum TierLost {
    BASIC
  }

  @TypeName("Deposited")
  record DepositedTierGained(String accountId, BigDecimal amount, OwnerTierGained owner) {}

  record OwnerTierGained(String name, TierGained tier) {}

  enum TierGained {
    BASIC,
    GOLD,
    PLATINUM
  }

  @TypeName("Counted")
  record CountedWidened(long count, double ratio) {}

  @TypeName("Counted")
  record CountedNarrowed(short count, float ratio) {}

  @TypeName("Shut")
  record Shut(String accountId) {}

  private static TypeRegistry version1() {
    return new TypeRegistry().registerEvents(Deposited1.class, Counted1.class, Closed.class);
  }

  private SchemaLock lock(TypeRegistry registry) {
    return SchemaLock.of(registry).file(file);
  }

  private void recordVersion1() {
    assertThatThrownBy(() -> lock(version1()).verify())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Recorded the JSON shapes of 3 message types")
        .hasMessageContaining("commit that file");
    assertThat(file).exists();
  }

  @Test
  void aFirstRunWritesTheRecordAndFailsThenTheSameTypesPass() throws Exception {
    recordVersion1();
    String written = Files.readString(file);
    lock(version1()).verify();
    assertThat(Files.readString(file)).isEqualTo(written);
    assertThat(written)
        .contains("\"Deposited\"", "\"Counted\"", "\"Closed\"", "\"tier\"", "\"GOLD\"")
        .doesNotContain("CommandFailed"); // the framework's own types are not recorded
  }

  @Test
  void anAggregateIsNotRecordedItsEventsAre() throws Exception {
    lockFirst(new TypeRegistry().registerAggregate(Account.class, Open.class));
    assertThat(Files.readString(file)).contains("\"Open\"").doesNotContain("\"Account\"");
  }

  @Test
  void aRenamedPropertyAtTheSameRevisionFailsAndTheRecordStays() throws Exception {
    recordVersion1();
    String before = Files.readString(file);
    TypeRegistry v2 =
        new TypeRegistry().registerEvents(DepositedRenamed.class, Counted1.class, Closed.class);
    assertThatThrownBy(() -> lock(v2).verify())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining(
            "Deposited at revision 1: property 'amount' is no longer read (stored values of it would be"
                + " lost)")
        .hasMessageContaining(
            "give DepositedRenamed @TypeName(revision = 2) and an upcaster from revision 1");
    assertThat(Files.readString(file)).isEqualTo(before);
  }

  @Test
  void anAddedPropertyPassesAndIsRecorded() throws Exception {
    recordVersion1();
    lock(new TypeRegistry().registerEvents(DepositedAdded.class, Counted1.class, Closed.class))
        .verify();
    assertThat(Files.readString(file)).contains("\"memo\"");
    // Recorded now: taking it away again at the same revision fails.
    assertThatThrownBy(() -> lock(version1()).verify())
        .hasMessageContaining("property 'memo' is no longer read");
  }

  @Test
  void requireUpToDateFailsOnARecordThatWouldBeRewritten() throws Exception {
    recordVersion1();
    String before = Files.readString(file);
    TypeRegistry v2 =
        new TypeRegistry().registerEvents(DepositedAdded.class, Counted1.class, Closed.class);
    assertThatThrownBy(() -> lock(v2).requireUpToDate(true).verify())
        .hasMessageContaining("is not up to date");
    assertThat(Files.readString(file)).isEqualTo(before);
    lock(version1()).requireUpToDate(true).verify();
  }

  @Test
  void aChangedPropertyTypeFailsButANumberMayWiden() {
    recordVersion1();
    assertThatThrownBy(
            () ->
                lock(new TypeRegistry()
                        .registerEvents(DepositedAsText.class, Counted1.class, Closed.class))
                    .verify())
        .hasMessageContaining("'amount' changed from java.math.BigDecimal to java.lang.String");
    lock(new TypeRegistry().registerEvents(Deposited1.class, CountedWidened.class, Closed.class))
        .verify();
    assertThatThrownBy(
            () ->
                lock(new TypeRegistry()
                        .registerEvents(Deposited1.class, CountedNarrowed.class, Closed.class))
                    .verify())
        .hasMessageContaining("'count' changed from long to short");
  }

  @Test
  void aJavaRenameThatKeepsTheJsonNamePasses() {
    recordVersion1();
    lock(new TypeRegistry()
            .registerEvents(DepositedJavaRenamed.class, Counted1.class, Closed.class))
        .requireUpToDate(true)
        .verify();
  }

  @Test
  void nestedValueObjectsAndEnumsAreCheckedToo() {
    recordVersion1();
    assertThatThrownBy(
            () ->
                lock(new TypeRegistry()
                        .registerEvents(DepositedOwnerChanged.class, Counted1.class, Closed.class))
                    .verify())
        .hasMessageContaining("property 'owner.name' is no longer read");
    assertThatThrownBy(
            () ->
                lock(new TypeRegistry()
                        .registerEvents(DepositedTierLost.class, Counted1.class, Closed.class))
                    .verify())
        .hasMessageContaining("'owner.tier' no longer reads the enum values [GOLD] as stored");
    lock(new TypeRegistry().registerEvents(DepositedTierGained.class, Counted1.class, Closed.class))
        .verify();
  }

  @Test
  void aNewRevisionPassesOnlyWithUpcastersFromTheOldestStoredOne() throws Exception {
    recordVersion1();
    TypeRegistry withoutUpcaster =
        new TypeRegistry().registerEvents(Deposited2.class, Counted1.class, Closed.class);
    assertThatThrownBy(() -> lock(withoutUpcaster).verify())
        .hasMessageContaining(
            "Deposited is at revision 2 and stored messages of it are at revision 1, but its"
                + " upcasters start at revision 2: register the upcasters from revision 1 to 2");

    TypeRegistry v2 =
        new TypeRegistry().registerEvents(Deposited2.class, Counted1.class, Closed.class);
    v2.upcaster(Deposited2.class, 1, p -> p.set("total", p.remove("amount")));
    lock(v2).verify();
    String record = Files.readString(file);
    assertThat(record).contains("\"1\"", "\"2\"", "\"amount\"", "\"total\"");

    // Revision 3 with an upcaster from 2 only: revision 1 is stored too.
    TypeRegistry v3 =
        new TypeRegistry().registerEvents(Deposited3.class, Counted1.class, Closed.class);
    v3.upcaster(Deposited3.class, 2, p -> p);
    assertThatThrownBy(() -> lock(v3).verify())
        .hasMessageContaining(
            "stored messages of it are at revision 1 to 2, but its upcasters start at revision 2");
    v3.upcaster(Deposited3.class, 1, p -> p.set("total", p.remove("amount")));
    lock(v3).verify();

    // Going back to an older class is refused.
    assertThatThrownBy(() -> lock(v2).verify())
        .hasMessageContaining("Deposited is at revision 2, but revision 3 is recorded");
  }

  /** Version 2 with an upcaster from revision 1 and {@code downcaster} back to it. */
  private static TypeRegistry version2Writing1(Downcaster downcaster) {
    TypeRegistry v2 =
        new TypeRegistry().registerEvents(Deposited2.class, Counted1.class, Closed.class);
    v2.upcaster(Deposited2.class, 1, p -> p.set("total", p.remove("amount")));
    v2.downcaster(Deposited2.class, 2, downcaster);
    return v2;
  }

  @Test
  void downcastersMustWriteWhatTheOlderRevisionReads() throws Exception {
    recordVersion1();

    // A rename the downcaster does not undo: revision 1's readers would read amount as null.
    assertThatThrownBy(() -> lock(version2Writing1(p -> p)).verify())
        .hasMessageContaining(
            "Deposited written at revision 1 by its downcasters (a pinned write,"
                + " TypeRegistry.writeRevision): no 'amount' is written, which is read")
        .hasMessageContaining("make the downcaster from revision 2 write what revision 1 reads");
    // Undone, but as text where revision 1 reads a number; and a nested property dropped.
    assertThatThrownBy(
            () ->
                lock(version2Writing1(
                        p -> {
                          p.put("amount", p.remove("total").asText());
                          ((ObjectNode) p.get("owner")).remove("tier");
                          return p;
                        }))
                    .verify())
        .hasMessageContaining("'amount' is written as STRING, where a java.math.BigDecimal is read")
        .hasMessageContaining("no 'owner.tier' is written");
    // An enum value revision 1 does not have.
    assertThatThrownBy(
            () ->
                lock(version2Writing1(
                        p -> {
                          p.set("amount", p.remove("total"));
                          ((ObjectNode) p.get("owner")).put("tier", "PLATINUM");
                          return p;
                        }))
                    .verify())
        .hasMessageContaining(
            "'owner.tier' is written as \"PLATINUM\", which is none of the values");
    // A downcaster that fails.
    assertThatThrownBy(
            () ->
                lock(version2Writing1(
                        p -> {
                          throw new IllegalStateException("not written yet");
                        }))
                    .verify())
        .hasMessageContaining("its downcasters fail to write a payload of revision 2 at revision 1")
        .hasMessageContaining("not written yet");

    lock(version2Writing1(
            p -> {
              p.set("amount", p.remove("total"));
              return p;
            }))
        .verify();
  }

  @TypeName("Scheduled")
  record Scheduled1(String id, String day) {}

  @TypeName(value = "Scheduled", revision = 2)
  record Scheduled2(String id, Instant at, UUID batch) {}

  @TypeName("Tallied")
  record Tallied1(Map<String, Integer> byDay) {}

  @TypeName(value = "Tallied", revision = 2)
  record Tallied2(Map<LocalDate, Integer> byDay, Level level) {}

  enum Level {
    @JsonProperty("1")
    LOW,
    @JsonProperty("2")
    HIGH
  }

  @Test
  void aDowncasterThatParsesMapKeysIsGivenKeysOfTheirType() {
    lockFirst(new TypeRegistry().registerEvents(Tallied1.class));
    TypeRegistry v2 = new TypeRegistry().registerEvents(Tallied2.class);
    v2.upcaster(Tallied2.class, 1, p -> p.put("level", "1"));
    // Revision 1 keyed the tallies by ISO week day name; the downcaster parses each date key.
    v2.downcaster(
        Tallied2.class,
        2,
        p -> {
          ObjectNode byDay = p.putObject("byDayNames");
          p.remove("byDay")
              .fields()
              .forEachRemaining(
                  e -> byDay.set(LocalDate.parse(e.getKey()).getDayOfWeek().name(), e.getValue()));
          p.set("byDay", p.remove("byDayNames"));
          p.remove("level");
          return p;
        });
    lock(v2).verify();
  }

  @Test
  void aDowncasterThatParsesTimesAndIdsIsGivenRealOnes() {
    lockFirst(new TypeRegistry().registerEvents(Scheduled1.class));
    TypeRegistry v2 = new TypeRegistry().registerEvents(Scheduled2.class);
    v2.upcaster(
        Scheduled2.class,
        1,
        p -> p.put("at", p.remove("day").asText() + "T00:00:00Z").put("batch", (String) null));
    // Revision 1 held the day only: the downcaster parses the instant (and reads the id's form).
    v2.downcaster(
        Scheduled2.class,
        2,
        p -> {
          LocalDate day =
              LocalDate.ofInstant(Instant.parse(p.remove("at").asText()), ZoneOffset.UTC);
          UUID.fromString(p.remove("batch").asText());
          return p.put("day", day.toString());
        });
    lock(v2).verify();
  }

  @Test
  void aRemovedTypeFailsARenameWithAnAliasPassesAndTheAliasStaysRequired() throws Exception {
    recordVersion1();
    assertThatThrownBy(
            () ->
                lock(new TypeRegistry().registerEvents(Deposited1.class, Counted1.class)).verify())
        .hasMessageContaining(
            "Closed is recorded but neither registered nor an alias: its stored events (or queued"
                + " commands) would fail to read");

    TypeRegistry renamed =
        new TypeRegistry().registerEvents(Deposited1.class, Counted1.class, Shut.class);
    renamed.alias("Closed", Shut.class);
    lock(renamed).verify();
    String record = Files.readString(file);
    assertThat(record).contains("\"Shut\" : {", "\"Closed\" : {", "\"aliasOf\" : \"Shut\"");
    lock(renamed).requireUpToDate(true).verify(); // the rewrite is stable

    assertThatThrownBy(
            () ->
                lock(new TypeRegistry()
                        .registerEvents(Deposited1.class, Counted1.class, Shut.class))
                    .verify())
        .hasMessageContaining("Closed is recorded but neither registered nor an alias");
  }

  /** A value type written as its {@code @JsonValue}. */
  record Money(BigDecimal amount) {
    @JsonValue
    BigDecimal value() {
      return amount;
    }
  }

  @TypeName("Paid")
  record Paid(Money money, List<Owner> payers, Map<String, Tier> tiers, String[] notes) {}

  @TypeName("Paid")
  record PaidPayersChanged(
      Money money, List<OwnerRenamed> payers, Map<String, Tier> tiers, String[] notes) {}

  @Test
  void collectionsArraysMapsAndJsonValuesAreSeenThrough() throws Exception {
    lockFirst(new TypeRegistry().registerEvents(Paid.class));
    assertThat(Files.readString(file))
        .contains(
            "\"money\" : \"java.math.BigDecimal\"",
            "\"elements\"",
            "\"keys\"",
            "\"elements\" : \"java.lang.String\"");
    assertThatThrownBy(
            () -> lock(new TypeRegistry().registerEvents(PaidPayersChanged.class)).verify())
        .hasMessageContaining("property 'payers[].name' is no longer read");
  }

  @Test
  void theApplicationsMapperNamesTheProperties() throws Exception {
    ObjectMapper snake =
        new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    TypeRegistry registry = new TypeRegistry().registerEvents(Deposited1.class);
    assertThatThrownBy(
            () -> SchemaLock.of(new EventSerializer(registry, snake)).file(file).verify())
        .hasMessageContaining("Recorded");
    assertThat(Files.readString(file)).contains("\"account_id\"");
  }

  @Test
  void aFileOfAnotherFormatIsRefusedClearly() throws Exception {
    Files.writeString(file, "{\"types\": []}");
    assertThatThrownBy(() -> lock(version1()).verify())
        .hasMessageContaining("is not a record of message shapes");
  }

  private void lockFirst(TypeRegistry registry) {
    assertThatThrownBy(() -> lock(registry).verify()).hasMessageContaining("Recorded");
  }
}
