package io.cqrs.couchbase.mock;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import net.bytebuddy.dynamic.ClassFileLocator;
import org.junit.jupiter.api.Test;

class PatchPointsTest {
  private static final ClassFileLocator CLASS_PATH =
      ClassFileLocator.ForClassLoader.ofSystemLoader();

  @Test
  void a_class_to_patch_that_is_loaded_already_fails_naming_it_and_the_patch() throws IOException {
    String loaded = "com.couchbase.mock.memcached.CompressionMode";
    Class<?> anchor = PatchPoints.anchor(loaded);
    byte[] classFile = CLASS_PATH.locate(loaded).resolve();

    assertThatThrownBy(() -> PatchPoints.define(anchor, loaded, classFile, "its patch could take"))
        .isInstanceOf(IllegalStateException.class)
        .hasCauseInstanceOf(LinkageError.class)
        .hasMessage(
            loaded
                + " was loaded before its patch could take; start CouchbaseMock only through"
                + " InProcessCouchbaseMock or CouchbaseMockProcess");
  }

  @Test
  void an_anchor_that_is_not_on_the_class_path_fails_saying_so() {
    assertThatThrownBy(() -> PatchPoints.anchor("com.couchbase.mock.NoSuchClass"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "com.couchbase.mock.NoSuchClass is not on the class path: no CouchbaseMock to patch");
  }
}
