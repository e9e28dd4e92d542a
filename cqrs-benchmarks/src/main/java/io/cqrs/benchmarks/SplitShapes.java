package io.cqrs.benchmarks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cqrs.EventSourceBased;
import io.cqrs.SplittingUpcaster;
import io.cqrs.TypeRegistry;
import io.cqrs.benchmarks.StoreUpcastingBenchmark.Charged;
import io.cqrs.benchmarks.StoreUpcastingBenchmark.FeeCharged;
import java.util.List;

/** The splitting upcaster of {@link StoreUpcastingBenchmark}'s {@code splitEvery} shape. */
final class SplitShapes {
  private SplitShapes() {}

  static TypeRegistry registry(Class<? extends EventSourceBased> aggregate) {
    return new TypeRegistry()
        .registerAggregate(aggregate, Charged.class, FeeCharged.class)
        .splittingUpcaster(
            Charged.class,
            1,
            List.of(Charged.class, FeeCharged.class),
            charged -> {
              ObjectNode fee = charged.objectNode().set("amount", charged.remove("fee"));
              return List.of(
                  SplittingUpcaster.part(Charged.class, 2, charged),
                  SplittingUpcaster.part(FeeCharged.class, 1, fee));
            });
  }
}
