package io.cqrs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.annotation.JsonValue;
import io.cqrs.EventSerializer;
import io.cqrs.TypeName;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An adversarial review's attacks on {@link SchemaLock}, each a class change that once slipped
 * through (or a harmless one that failed): the test first shows, with {@link EventSerializer}
 * reading what the old class wrote, what a stored event really reads as, then what {@code verify()}
 * does about it.
 */
class SchemaLockAdversaryTest {
  @TempDir Path dir;
  Path file;

  @BeforeEach
  void file() {
    file = dir.resolve("schemas.json");
  }

  private SchemaLock lock(TypeRegistry registry) {
    return SchemaLock.of(registry).file(file);
  }

  private void record(TypeRegistry v1) {
    assertThatThrownBy(() -> lock(v1).verify()).hasMessageContaining("Recorded");
  }

  /** Writes {@code old} as the old application did, reads it with {@code now}. */
  private static Object storedReadBy(TypeRegistry now, Object old) {
    byte[] stored =
        new EventSerializer(new TypeRegistry()).serialize(VersionedEvent.of("s", 1, old, "c"));
    return new EventSerializer(now).deserializeEvent(stored).event();
  }

  private static String json(Object old) {
    return new EventSerializer(new TypeRegistry()).writeValue(old);
  }

  private static TypeRegistry events(Class<?>... types) {
    return new TypeRegistry().registerEvents(types);
  }

  // =============================================================================================
  // FN1: revision == newest recorded: readableFrom is never checked. Dropping the upcaster from
  // revision 1 (recorded) passes; stored revision-1 events fail to read.

  @TypeName("Opened")
  record Opened1(String name) {}

  @TypeName(value = "Opened", revision = 2)
  record Opened2(String fullName) {}

  @Test
  void fn1_droppingTheUpcasterFromARecordedRevisionFails() {
    TypeRegistry v1 = events(Opened1.class);
    record(v1);
    TypeRegistry v2 = events(Opened2.class);
    v2.upcaster(Opened2.class, 1, p -> p.set("fullName", p.remove("name")));
    lock(v2).verify(); // passes, records revisions 1 and 2
    assertThat(storedReadBy(v2, new Opened1("Ann"))).isEqualTo(new Opened2("Ann"));

    // Next commit: someone deletes the "old" upcaster.
    TypeRegistry v3 = events(Opened2.class);
    assertThatThrownBy(() -> storedReadBy(v3, new Opened1("Ann")))
        .hasMessageContaining("No upcaster of Opened from revision 1");
    assertThatThrownBy(() -> lock(v3).verify())
        .as("stored revision-1 Opened no longer read")
        .isInstanceOf(AssertionError.class);
  }

  // FN1b: adoption: the first record holds only the current revision, not the ones the upcasters
  // say are stored; dropping an upcaster later passes.
  @Test
  void fn1b_aFirstRecordOfARevisedTypeForgetsItsOlderRevisions() throws Exception {
    TypeRegistry v2 = events(Opened2.class);
    v2.upcaster(Opened2.class, 1, p -> p.set("fullName", p.remove("name")));
    record(v2);
    assertThat(Files.readString(file)).doesNotContain("\"1\" :");
    TypeRegistry v3 = events(Opened2.class);
    assertThatThrownBy(() -> lock(v3).verify()).isInstanceOf(AssertionError.class);
  }

  // =============================================================================================
  // FN2: written but not read. The serialization view still shows 'amount'; the class no longer
  // reads it.

  @TypeName("Deposited")
  record Deposited1(String accountId, BigDecimal amount) {}

  /** 'amount' renamed to 'total', an accessor under the old name kept for callers. */
  @TypeName("Deposited")
  record DepositedCompatGetter(String accountId, BigDecimal total) {
    public BigDecimal getAmount() {
      return total;
    }
  }

  @TypeName("Deposited")
  record DepositedReadOnly(
      String accountId, @JsonProperty(access = JsonProperty.Access.READ_ONLY) BigDecimal amount) {}

  /** A creator that reads another name than the getter writes. */
  @TypeName("Deposited")
  static final class DepositedCreator {
    private final String accountId;
    private final BigDecimal total;

    @JsonCreator
    DepositedCreator(
        @JsonProperty("accountId") String accountId, @JsonProperty("total") BigDecimal total) {
      this.accountId = accountId;
      this.total = total;
    }

    public String getAccountId() {
      return accountId;
    }

    public BigDecimal getAmount() { // kept for callers
      return total;
    }

    public BigDecimal getTotal() {
      return total;
    }
  }

  @Test
  void fn2a_aRenamedComponentWithACompatGetterUnderTheOldNameFails() {
    record(events(Deposited1.class));
    TypeRegistry v2 = events(DepositedCompatGetter.class);
    assertThat(json(new DepositedCompatGetter("a", BigDecimal.TEN))).contains("\"amount\"");
    assertThat(storedReadBy(v2, new Deposited1("a", BigDecimal.TEN)))
        .isEqualTo(new DepositedCompatGetter("a", null)); // amount silently lost
    assertThatThrownBy(() -> lock(v2).verify()).isInstanceOf(AssertionError.class);
  }

  @Test
  void fn2b_aPropertyMadeReadOnlyFails() {
    record(events(Deposited1.class));
    TypeRegistry v2 = events(DepositedReadOnly.class);
    assertThat(storedReadBy(v2, new Deposited1("a", BigDecimal.TEN)))
        .isEqualTo(new DepositedReadOnly("a", null));
    assertThatThrownBy(() -> lock(v2).verify()).isInstanceOf(AssertionError.class);
  }

  @Test
  void fn2c_aCreatorReadingAnotherNameFails() {
    record(events(Deposited1.class));
    TypeRegistry v2 = events(DepositedCreator.class);
    assertThat(
            ((DepositedCreator) storedReadBy(v2, new Deposited1("a", BigDecimal.TEN))).getTotal())
        .isNull();
    assertThatThrownBy(() -> lock(v2).verify()).isInstanceOf(AssertionError.class);
  }

  // FP1: read but no longer written: still reads, verify fails.
  @TypeName("Deposited")
  record DepositedWriteOnly(
      String accountId, @JsonProperty(access = JsonProperty.Access.WRITE_ONLY) BigDecimal amount) {}

  @Test
  void fp1_aPropertyMadeWriteOnlyStillReadsAndShouldPass() {
    record(events(Deposited1.class));
    TypeRegistry v2 = events(DepositedWriteOnly.class);
    assertThat(storedReadBy(v2, new Deposited1("a", BigDecimal.TEN)))
        .isEqualTo(new DepositedWriteOnly("a", BigDecimal.TEN));
    lock(v2).verify();
  }

  // FP2: @JsonAlias, Jackson's own way of renaming a property compatibly, fails.
  @TypeName("Deposited")
  record DepositedAliased(String accountId, @JsonAlias("amount") BigDecimal total) {}

  @Test
  void fp2_aPropertyRenamedWithJsonAliasStillReadsAndShouldPass() {
    record(events(Deposited1.class));
    TypeRegistry v2 = events(DepositedAliased.class);
    assertThat(storedReadBy(v2, new Deposited1("a", BigDecimal.TEN)))
        .isEqualTo(new DepositedAliased("a", BigDecimal.TEN));
    lock(v2).verify();
  }

  // =============================================================================================
  // FN3: @JsonUnwrapped: the shape nests what the JSON flattens, so removing @JsonUnwrapped (or
  // adding it) is invisible.

  record Owner(String name, String email) {}

  @TypeName("Registered")
  public static final class RegisteredUnwrapped {
    public String accountId;
    @JsonUnwrapped public Owner owner;
  }

  @TypeName("Registered")
  public static final class RegisteredNested {
    public String accountId;
    public Owner owner;
  }

  @Test
  void fn3_removingJsonUnwrappedFails() {
    record(events(RegisteredUnwrapped.class));
    RegisteredUnwrapped old = new RegisteredUnwrapped();
    old.accountId = "a";
    old.owner = new Owner("Ann", "ann@x");
    assertThat(json(old)).contains("\"name\":\"Ann\"").doesNotContain("\"owner\"");
    TypeRegistry v2 = events(RegisteredNested.class);
    assertThat(((RegisteredNested) storedReadBy(v2, old)).owner).isNull();
    assertThatThrownBy(() -> lock(v2).verify()).isInstanceOf(AssertionError.class);
  }

  // =============================================================================================
  // FN4: an enum's @JsonValue is what is written; the lock records constant names.

  enum Tier1 {
    BASIC("B"),
    GOLD("G");

    private final String code;

    Tier1(String code) {
      this.code = code;
    }

    @JsonValue
    String code() {
      return code;
    }
  }

  enum Tier2 {
    BASIC("basic"),
    GOLD("gold");

    private final String code;

    Tier2(String code) {
      this.code = code;
    }

    @JsonValue
    String code() {
      return code;
    }
  }

  @TypeName("Tiered")
  record Tiered1(Tier1 tier) {}

  @TypeName("Tiered")
  record Tiered2(Tier2 tier) {}

  @Test
  void fn4_changingAnEnumsJsonValueFails() {
    record(events(Tiered1.class));
    assertThat(json(new Tiered1(Tier1.GOLD))).isEqualTo("{\"tier\":\"G\"}");
    TypeRegistry v2 = events(Tiered2.class);
    assertThatThrownBy(() -> storedReadBy(v2, new Tiered1(Tier1.GOLD)))
        .hasMessageContaining("Cannot read Tiered");
    assertThatThrownBy(() -> lock(v2).verify()).isInstanceOf(AssertionError.class);
  }

  // FN5: an enum written as its ordinal (@JsonFormat(shape = NUMBER)): a constant inserted first
  // "passes" as an added constant; every stored value now reads as the constant before it.
  @JsonFormat(shape = JsonFormat.Shape.NUMBER)
  enum Level1 {
    LOW,
    HIGH
  }

  @JsonFormat(shape = JsonFormat.Shape.NUMBER)
  enum Level2 {
    NONE,
    LOW,
    HIGH
  }

  @TypeName("Leveled")
  record Leveled1(Level1 level) {}

  @TypeName("Leveled")
  record Leveled2(Level2 level) {}

  @Test
  void fn5_insertingAConstantIntoAnOrdinalEnumFails() {
    record(events(Leveled1.class));
    assertThat(json(new Leveled1(Level1.HIGH))).isEqualTo("{\"level\":1}");
    TypeRegistry v2 = events(Leveled2.class);
    assertThat(storedReadBy(v2, new Leveled1(Level1.HIGH))).isEqualTo(new Leveled2(Level2.LOW));
    assertThatThrownBy(() -> lock(v2).verify()).isInstanceOf(AssertionError.class);
  }

  // =============================================================================================
  // FN7: @JsonAnySetter / @JsonAnyGetter: properties kept in a map are not in the shape; dropping
  // the any-setter loses them silently.

  @TypeName("Tagged")
  public static final class Tagged1 {
    public String id;
    private final Map<String, String> tags = new LinkedHashMap<>();

    @JsonAnyGetter
    public Map<String, String> tags() {
      return tags;
    }

    @JsonAnySetter
    public void tag(String key, String value) {
      tags.put(key, value);
    }
  }

  @TypeName("Tagged")
  public static final class Tagged2 {
    public String id;
  }

  @Test
  void fn7_droppingAnAnySetterFails() {
    record(events(Tagged1.class));
    Tagged1 old = new Tagged1();
    old.id = "1";
    old.tag("colour", "red");
    assertThat(json(old)).contains("\"colour\":\"red\"");
    assertThatThrownBy(() -> lock(events(Tagged2.class)).verify())
        .isInstanceOf(AssertionError.class);
  }

  // =============================================================================================
  // FN8: a property added as required (@JsonProperty(required = true)) passes as "added"; every
  // stored event (which lacks it) fails to read.

  @TypeName("Deposited")
  record DepositedRequiredMemo(
      String accountId, BigDecimal amount, @JsonProperty(required = true) String memo) {}

  @Test
  void fn8_aRequiredPropertyAddedFails() {
    record(events(Deposited1.class));
    TypeRegistry v2 = events(DepositedRequiredMemo.class);
    assertThatThrownBy(() -> storedReadBy(v2, new Deposited1("a", BigDecimal.TEN)))
        .hasMessageContaining("memo");
    assertThatThrownBy(() -> lock(v2).verify()).isInstanceOf(AssertionError.class);
  }

  // FN9: Integer -> int: the shapes are both java.lang.Integer; a stored null reads as 0.
  @TypeName("Counted")
  record CountedBoxed(String id, Integer count) {}

  @TypeName("Counted")
  record CountedPrimitive(String id, int count) {}

  @Test
  void fn9_aNullableNumberMadePrimitiveFails() {
    record(events(CountedBoxed.class));
    TypeRegistry v2 = events(CountedPrimitive.class);
    assertThat(storedReadBy(v2, new CountedBoxed("a", null)))
        .isEqualTo(new CountedPrimitive("a", 0)); // "no count" became 0
    assertThatThrownBy(() -> lock(v2).verify()).isInstanceOf(AssertionError.class);
  }

  // FN10: Double -> BigDecimal is a "widening" that passes, but a stored NaN/Infinity (written as
  // the text "NaN") no longer reads.
  @TypeName("Measured")
  record MeasuredDouble(double value) {}

  @TypeName("Measured")
  record MeasuredDecimal(BigDecimal value) {}

  @Test
  void fn10_doubleToBigDecimalWithAStoredNaN() {
    record(events(MeasuredDouble.class));
    TypeRegistry v2 = events(MeasuredDecimal.class);
    assertThatThrownBy(() -> storedReadBy(v2, new MeasuredDouble(Double.NaN)))
        .hasMessageContaining("Cannot read Measured");
    assertThatThrownBy(() -> lock(v2).verify()).isInstanceOf(AssertionError.class);
  }

  // =============================================================================================
  // FN11: alias of an old type to a type at a higher revision: the old type's stored events are
  // read as the target's revision 1 and go through the target's upcasters, which were written for
  // the target's revision-1 shape. The old type's shape is compared with nothing (and is written
  // over the target's revision-1 shape in the record).

  @TypeName("Closed")
  record Closed(String accountId, String reason) {}

  @TypeName("Shut")
  record Shut1(String accountId, String why) {}

  @TypeName(value = "Shut", revision = 2)
  record Shut2(String accountId, String cause) {}

  @Test
  void fn11_anAliasOntoARevisedTypeIsCheckedAgainstItsRevisionOneShape() throws Exception {
    record(events(Closed.class, Shut1.class));
    TypeRegistry v2 = events(Shut2.class);
    v2.upcaster(Shut2.class, 1, p -> p.set("cause", p.remove("why")));
    v2.alias("Closed", Shut2.class);
    assertThat(storedReadBy(v2, new Closed("a", "moved away")))
        .isEqualTo(new Shut2("a", null)); // reason silently lost
    assertThatThrownBy(() -> lock(v2).verify()).isInstanceOf(AssertionError.class);
  }

  // FP4: enum keys or values to String, int to double: stored values read fine.
  @TypeName("Counted")
  record CountedDouble(String id, Double count) {}

  @Test
  void fp4_anIntegerWidenedToDoubleShouldPass() {
    record(events(CountedBoxed.class));
    TypeRegistry v2 = events(CountedDouble.class);
    assertThat(storedReadBy(v2, new CountedBoxed("a", 3))).isEqualTo(new CountedDouble("a", 3.0));
    lock(v2).verify();
  }

  // =============================================================================================
  // Corrupt files.

  @TypeName("Closed")
  record ClosedNoReason(String accountId) {}

  @Test
  void duplicateKeysInTheFileAreRefused() throws Exception {
    // A bad merge leaves "Closed" twice; Jackson keeps the last silently.
    Files.writeString(
        file,
        """
        {"format":"cqrs-schemas","version":1,"types":{
          "Closed":{"aliases":[],"revisions":{"1":{"properties":{"accountId":"java.lang.String","reason":"java.lang.String"}}}},
          "Closed":{"aliases":[],"revisions":{"1":{"properties":{"accountId":"java.lang.String"}}}}
        }}
        """);
    assertThatThrownBy(() -> lock(events(ClosedNoReason.class)).verify())
        .hasMessageContaining("Closed");
  }

  @Test
  void aRevisionZeroInTheFileIsRefusedAsNotARevision() throws Exception {
    Files.writeString(
        file,
        """
        {"format":"cqrs-schemas","version":1,"types":{
          "Closed":{"aliases":[],"revisions":{"0":{"properties":{"accountId":"java.lang.String"}}}}
        }}
        """);
    assertThatThrownBy(() -> lock(events(ClosedNoReason.class)).verify())
        .hasMessageContaining("'0' is not a revision");
  }

  // =============================================================================================
  // Held / probes: odd classes.

  record Page<T>(List<T> items) {}

  @TypeName("Listed")
  record Listed1(Page<Owner> page) {}

  record OwnerRenamed(String fullName, String email) {}

  @TypeName("Listed")
  record Listed2(Page<OwnerRenamed> page) {}

  @Test
  void heldGenericValueObjectsAreResolved() {
    record(events(Listed1.class));
    assertThatThrownBy(() -> lock(events(Listed2.class)).verify())
        .hasMessageContaining("page.items[].name");
  }

  record Category(String name, List<Category> children) {}

  sealed interface Payment permits Card, Cash {}

  record Card(String number) implements Payment {}

  record Cash(BigDecimal amount) implements Payment {}

  enum Kind {
    A,
    B
  }

  @TypeName("Odd")
  record Odd(
      Payment payment,
      Map<Kind, List<Category>> byKind,
      byte[] blob,
      java.time.Instant at,
      java.time.ZonedDateTime zoned,
      Object anything,
      com.fasterxml.jackson.databind.JsonNode tree,
      @com.fasterxml.jackson.annotation.JsonIgnore String secret) {}

  @TypeName("Empty")
  static final class EmptyBean {}

  @TypeName("Wrapped")
  record Wrapped<T>(T value) {}

  @Test
  void oddClassesAreRecordedAndPassAgainstThemselves() {
    TypeRegistry r = events(Odd.class, EmptyBean.class, Wrapped.class);
    assertThat(lock(r).describe()).contains("\"byKind\"", "\"blob\" : \"[B\"", "\"Empty\"");
    record(r);
    lock(events(Odd.class, EmptyBean.class, Wrapped.class)).requireUpToDate(true).verify();
  }

  // --- held: aliases, splits, requireUpToDate after a move ---

  @TypeName("Shut")
  record ShutNoReason(String accountId) {}

  @TypeName("Shut")
  record ShutWithReason(String accountId, String reason) {}

  @Test
  void heldAnAliasOntoAnotherRecordedTypeIsCheckedAgainstTheAliasShape() throws Exception {
    record(events(Closed.class, ShutNoReason.class));
    TypeRegistry v2 = events(ShutNoReason.class);
    v2.alias("Closed", ShutNoReason.class);
    assertThatThrownBy(() -> lock(v2).verify()).hasMessageContaining("'reason' is no longer read");
    TypeRegistry v3 = events(ShutWithReason.class);
    v3.alias("Closed", ShutWithReason.class);
    lock(v3).verify();
    lock(v3).requireUpToDate(true).verify(); // the rewrite is stable
    assertThat(Files.readString(file)).contains("\"aliasOf\" : \"Shut\"");
  }

  @TypeName(value = "Opened", revision = 2)
  record Opened2Split(String fullName) {}

  @Test
  void heldASplittingUpcasterCountsAsAStep() {
    record(events(Opened1.class));
    TypeRegistry v2 = events(Opened2Split.class, Closed.class);
    v2.splittingUpcaster(
        Opened2Split.class,
        1,
        List.of(Opened2Split.class),
        p ->
            List.of(
                io.cqrs.SplittingUpcaster.part(
                    Opened2Split.class, 2, p.put("fullName", p.path("name").asText()))));
    lock(v2).verify();
  }

  enum Colour {
    RED,
    GREEN
  }

  enum ColourLost {
    RED
  }

  @TypeName("Painted")
  record Painted1(Map<Colour, String> byColour) {}

  @TypeName("Painted")
  record Painted2(Map<ColourLost, String> byColour) {}

  @Test
  void heldAnEnumKeyLosingAConstantFails() {
    record(events(Painted1.class));
    assertThatThrownBy(() -> lock(events(Painted2.class)).verify())
        .hasMessageContaining("'byColour{key}' no longer reads the enum values [GREEN] as stored");
  }
}
