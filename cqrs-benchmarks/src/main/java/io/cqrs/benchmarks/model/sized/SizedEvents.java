package io.cqrs.benchmarks.model.sized;

import io.cqrs.EventSourceBased;
import io.cqrs.TypeRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The {@value #MAX_TYPES} event types of the dispatch benchmark, {@code E0} to {@code E49}, and
 * what the benchmark needs to replay them into the aggregates of {@value #MAX_TYPES} or fewer
 * types: {@link Routed1}, {@link Routed5}, {@link Routed20}, {@link Routed50} on cqrs, {@link
 * HandRouted1} and the others written by hand.
 */
public final class SizedEvents {
  /** The most event types an aggregate here handles. */
  public static final int MAX_TYPES = 50;

  /** The aggregate sizes the benchmark measures. */
  public static final List<Integer> SIZES = List.of(1, 5, 20, 50);

  private static final long SEED = 42;

  private SizedEvents() {}

  /** Event type 0. */
  public record E0(long value) {}

  /** Event type 1. */
  public record E1(long value) {}

  /** Event type 2. */
  public record E2(long value) {}

  /** Event type 3. */
  public record E3(long value) {}

  /** Event type 4. */
  public record E4(long value) {}

  /** Event type 5. */
  public record E5(long value) {}

  /** Event type 6. */
  public record E6(long value) {}

  /** Event type 7. */
  public record E7(long value) {}

  /** Event type 8. */
  public record E8(long value) {}

  /** Event type 9. */
  public record E9(long value) {}

  /** Event type 10. */
  public record E10(long value) {}

  /** Event type 11. */
  public record E11(long value) {}

  /** Event type 12. */
  public record E12(long value) {}

  /** Event type 13. */
  public record E13(long value) {}

  /** Event type 14. */
  public record E14(long value) {}

  /** Event type 15. */
  public record E15(long value) {}

  /** Event type 16. */
  public record E16(long value) {}

  /** Event type 17. */
  public record E17(long value) {}

  /** Event type 18. */
  public record E18(long value) {}

  /** Event type 19. */
  public record E19(long value) {}

  /** Event type 20. */
  public record E20(long value) {}

  /** Event type 21. */
  public record E21(long value) {}

  /** Event type 22. */
  public record E22(long value) {}

  /** Event type 23. */
  public record E23(long value) {}

  /** Event type 24. */
  public record E24(long value) {}

  /** Event type 25. */
  public record E25(long value) {}

  /** Event type 26. */
  public record E26(long value) {}

  /** Event type 27. */
  public record E27(long value) {}

  /** Event type 28. */
  public record E28(long value) {}

  /** Event type 29. */
  public record E29(long value) {}

  /** Event type 30. */
  public record E30(long value) {}

  /** Event type 31. */
  public record E31(long value) {}

  /** Event type 32. */
  public record E32(long value) {}

  /** Event type 33. */
  public record E33(long value) {}

  /** Event type 34. */
  public record E34(long value) {}

  /** Event type 35. */
  public record E35(long value) {}

  /** Event type 36. */
  public record E36(long value) {}

  /** Event type 37. */
  public record E37(long value) {}

  /** Event type 38. */
  public record E38(long value) {}

  /** Event type 39. */
  public record E39(long value) {}

  /** Event type 40. */
  public record E40(long value) {}

  /** Event type 41. */
  public record E41(long value) {}

  /** Event type 42. */
  public record E42(long value) {}

  /** Event type 43. */
  public record E43(long value) {}

  /** Event type 44. */
  public record E44(long value) {}

  /** Event type 45. */
  public record E45(long value) {}

  /** Event type 46. */
  public record E46(long value) {}

  /** Event type 47. */
  public record E47(long value) {}

  /** Event type 48. */
  public record E48(long value) {}

  /** Event type 49. */
  public record E49(long value) {}

  /**
   * {@code count} events drawn from the first {@code types} event types in a seeded random order
   * (not round-robin, which a branch predictor learns); the same list for the same arguments.
   */
  public static List<Object> events(int types, int count) {
    requireSize(types);
    SplittableRandom random = new SplittableRandom(SEED);
    List<Object> events = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      events.add(event(random.nextInt(types), 1 + i % 100));
    }
    return events;
  }

  /** A registry that knows the cqrs aggregate of {@code types} event types and its events. */
  public static TypeRegistry registry(int types) {
    requireSize(types);
    Class<?>[] events = new Class<?>[types];
    for (int k = 0; k < types; k++) {
      events[k] = event(k, 0).getClass();
    }
    return new TypeRegistry().registerAggregate(routedClass(types), events);
  }

  /** The factory of the cqrs aggregate of {@code types} event types, for the repository. */
  public static Function<String, ? extends EventSourceBased> factory(int types) {
    switch (types) {
      case 1:
        return Routed1::new;
      case 5:
        return Routed5::new;
      case 20:
        return Routed20::new;
      case 50:
        return Routed50::new;
      default:
        throw new IllegalArgumentException("No aggregate of " + types + " event types");
    }
  }

  private static Class<? extends EventSourceBased> routedClass(int types) {
    switch (types) {
      case 1:
        return Routed1.class;
      case 5:
        return Routed5.class;
      case 20:
        return Routed20.class;
      case 50:
        return Routed50.class;
      default:
        throw new IllegalArgumentException("No aggregate of " + types + " event types");
    }
  }

  private static void requireSize(int types) {
    if (!SIZES.contains(types)) {
      throw new IllegalArgumentException("types must be one of " + SIZES + ", was " + types);
    }
  }

  private static Object event(int type, long value) {
    switch (type) {
      case 0:
        return new E0(value);
      case 1:
        return new E1(value);
      case 2:
        return new E2(value);
      case 3:
        return new E3(value);
      case 4:
        return new E4(value);
      case 5:
        return new E5(value);
      case 6:
        return new E6(value);
      case 7:
        return new E7(value);
      case 8:
        return new E8(value);
      case 9:
        return new E9(value);
      case 10:
        return new E10(value);
      case 11:
        return new E11(value);
      case 12:
        return new E12(value);
      case 13:
        return new E13(value);
      case 14:
        return new E14(value);
      case 15:
        return new E15(value);
      case 16:
        return new E16(value);
      case 17:
        return new E17(value);
      case 18:
        return new E18(value);
      case 19:
        return new E19(value);
      case 20:
        return new E20(value);
      case 21:
        return new E21(value);
      case 22:
        return new E22(value);
      case 23:
        return new E23(value);
      case 24:
        return new E24(value);
      case 25:
        return new E25(value);
      case 26:
        return new E26(value);
      case 27:
        return new E27(value);
      case 28:
        return new E28(value);
      case 29:
        return new E29(value);
      case 30:
        return new E30(value);
      case 31:
        return new E31(value);
      case 32:
        return new E32(value);
      case 33:
        return new E33(value);
      case 34:
        return new E34(value);
      case 35:
        return new E35(value);
      case 36:
        return new E36(value);
      case 37:
        return new E37(value);
      case 38:
        return new E38(value);
      case 39:
        return new E39(value);
      case 40:
        return new E40(value);
      case 41:
        return new E41(value);
      case 42:
        return new E42(value);
      case 43:
        return new E43(value);
      case 44:
        return new E44(value);
      case 45:
        return new E45(value);
      case 46:
        return new E46(value);
      case 47:
        return new E47(value);
      case 48:
        return new E48(value);
      case 49:
        return new E49(value);
      default:
        throw new IllegalArgumentException("No event type " + type);
    }
  }
}
