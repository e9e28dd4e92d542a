package io.cqrs.couchbase.mock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.implementation.FixedValue;
import org.junit.jupiter.api.Test;

class ItemSizePatchTest {
  private static final ClassFileLocator CLASS_PATH =
      ClassFileLocator.ForClassLoader.ofSystemLoader();

  @Test
  void the_rewritten_execute_stores_through_the_size_check() throws Exception {
    byte[] original = CLASS_PATH.locate(ItemSizePatch.TYPE).resolve();
    byte[] patched = ItemSizePatch.rewrite(CLASS_PATH);

    assertThat(new String(original, StandardCharsets.ISO_8859_1))
        .doesNotContain("com/couchbase/mock/memcached/CqrsItemSize");
    assertThat(new String(patched, StandardCharsets.ISO_8859_1))
        .contains("com/couchbase/mock/memcached/CqrsItemSize");
  }

  @Test
  void a_mock_without_the_store_calls_fails_naming_the_class_and_method() {
    byte[] stub =
        new ByteBuddy()
            .subclass(Object.class)
            .name(ItemSizePatch.TYPE)
            .defineMethod("execute", Object.class)
            .intercept(FixedValue.nullValue())
            .make()
            .getBytes();
    ClassFileLocator stubbed =
        new ClassFileLocator.Compound(
            ClassFileLocator.Simple.of(ItemSizePatch.TYPE, stub), CLASS_PATH);

    assertThatThrownBy(() -> ItemSizePatch.rewrite(stubbed))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            ItemSizePatch.TYPE
                + ".execute() has 0 calls to VBucketStore.add(Item, boolean) and 0 to"
                + " VBucketStore.replace(Item, boolean) where CouchbaseMock 1.5.27 has one of each");
  }
}
