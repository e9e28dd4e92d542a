package io.cqrs.couchbase.mock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.utility.OpenedClassReader;
import org.junit.jupiter.api.Test;

class SubdocParsePatchTest {
  private static final ClassFileLocator CLASS_PATH =
      ClassFileLocator.ForClassLoader.ofSystemLoader();

  private static final String MEMO = "io/cqrs/couchbase/mock/SubdocParseMemo";

  @Test
  void couchbase_mock_1_5_27_parses_twice_with_a_new_json_simple_parser_where_the_patch_expects_it()
      throws IOException {
    byte[] original = CLASS_PATH.locate(SubdocParsePatch.EXECUTOR).resolve();

    assertThat(calls(original, SubdocParsePatch.PARSE))
        .containsExactly(
            "com/couchbase/mock/deps/org/json/simple/JSONValue.parseWithException",
            "com/couchbase/mock/deps/com/google/gson/JsonSyntaxException.<init>",
            "java/io/StringReader.<init>",
            "com/couchbase/mock/deps/com/google/gson/stream/JsonReader.<init>",
            "com/couchbase/mock/deps/com/google/gson/stream/JsonReader.setLenient",
            "com/couchbase/mock/deps/com/google/gson/Gson.fromJson");
  }

  @Test
  void the_rewritten_parse_asks_the_memo_first_validates_with_the_thread_s_parser_and_remembers() {
    byte[] patched = SubdocParsePatch.rewriteExecutor(CLASS_PATH);

    List<String> calls = calls(patched, SubdocParsePatch.PARSE);
    assertThat(calls.get(0)).isEqualTo(MEMO + ".cached");
    assertThat(calls)
        .contains(
            MEMO + ".validate",
            "com/couchbase/mock/deps/com/google/gson/Gson.fromJson",
            MEMO + ".remember")
        .doesNotContain("com/couchbase/mock/deps/org/json/simple/JSONValue.parseWithException");
  }

  @Test
  void the_rewritten_constructor_tells_the_memo_its_operation_before_anything_else() {
    byte[] patched = SubdocParsePatch.rewriteExecutor(CLASS_PATH);

    assertThat(calls(patched, "<init>")).first().isEqualTo(MEMO + ".expect");
  }

  @Test
  void an_executor_without_the_constructor_that_parses_fails_naming_it() throws IOException {
    byte[] withoutConstructors =
        MockStubs.withoutConstructors(CLASS_PATH.locate(SubdocParsePatch.EXECUTOR).resolve());
    ClassFileLocator stub =
        new ClassFileLocator.Compound(
            ClassFileLocator.Simple.of(SubdocParsePatch.EXECUTOR, withoutConstructors), CLASS_PATH);

    assertThatThrownBy(() -> SubdocParsePatch.rewriteExecutor(stub))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            "com.couchbase.mock.subdoc.Executor has 0 constructors (String, Path, Operation,"
                + " String, boolean) where CouchbaseMock 1.5.27 has one");
  }

  @Test
  void the_rewritten_new_doc_string_remembers_the_document_it_serialized() {
    byte[] patched = SubdocParsePatch.rewriteResult(CLASS_PATH);

    assertThat(calls(patched, SubdocParsePatch.NEW_DOC_STRING))
        .containsExactly(
            "com/couchbase/mock/deps/com/google/gson/JsonElement.toString",
            MEMO + ".rememberDocument");
  }

  @Test
  void an_executor_without_parse_strict_json_fails_naming_the_method() {
    assertThatThrownBy(
            () ->
                SubdocParsePatch.rewriteExecutor(with(MockStubs.executorWithoutParseStrictJson())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            "com.couchbase.mock.subdoc.Executor.parseStrictJson(String, Class) is missing: the"
                + " sub-document parse patch does not fit this CouchbaseMock");
  }

  @Test
  void a_parse_strict_json_that_parses_otherwise_fails_counting_the_calls() {
    assertThatThrownBy(
            () ->
                SubdocParsePatch.rewriteExecutor(
                    with(MockStubs.executorWhoseParseStrictJsonParsesNothing())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            "com.couchbase.mock.subdoc.Executor.parseStrictJson(String, Class) has 0 calls to"
                + " JSONValue.parseWithException(String) and 0 calls to Gson.fromJson(JsonReader,"
                + " Type) where CouchbaseMock 1.5.27 has one of each");
  }

  @Test
  void a_result_without_get_new_doc_string_fails_naming_the_method() {
    assertThatThrownBy(
            () -> SubdocParsePatch.rewriteResult(with(MockStubs.resultWithoutGetNewDocString())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            "com.couchbase.mock.subdoc.Result.getNewDocString() is missing: the sub-document"
                + " parse patch does not fit");
  }

  @Test
  void a_result_without_its_document_field_fails_naming_the_field() {
    assertThatThrownBy(
            () -> SubdocParsePatch.rewriteResult(with(MockStubs.resultWithoutDocumentField())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            "com.couchbase.mock.subdoc.Result has no field JsonElement document: the"
                + " sub-document parse patch does not fit");
  }

  @Test
  void no_mock_on_the_class_path_fails_saying_so() {
    ClassFileLocator empty = ClassFileLocator.Simple.of(Map.of());

    assertThatThrownBy(() -> SubdocParsePatch.rewriteExecutor(empty))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "com.couchbase.mock.subdoc.Executor is not on the class path: no CouchbaseMock to"
                + " patch");
    assertThatThrownBy(() -> SubdocParsePatch.rewriteResult(empty))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "com.couchbase.mock.subdoc.Result is not on the class path: no CouchbaseMock to patch");
  }

  /** The class path with {@code stub} in place of the class it names. */
  private static ClassFileLocator with(DynamicType.Unloaded<Object> stub) {
    return new ClassFileLocator.Compound(
        ClassFileLocator.Simple.of(stub.getTypeDescription().getName(), stub.getBytes()),
        CLASS_PATH);
  }

  /** The methods {@code method} of {@code classFile} calls, in order, as "owner.name". */
  private static List<String> calls(byte[] classFile, String method) {
    List<String> calls = new ArrayList<>();
    new ClassReader(classFile)
        .accept(
            new ClassVisitor(OpenedClassReader.ASM_API) {
              @Override
              public MethodVisitor visitMethod(
                  int access, String name, String descriptor, String signature, String[] ex) {
                if (!name.equals(method)) {
                  return null;
                }
                return new MethodVisitor(OpenedClassReader.ASM_API) {
                  @Override
                  public void visitMethodInsn(
                      int opcode, String owner, String called, String desc, boolean itf) {
                    calls.add(owner + "." + called);
                  }
                };
              }
            },
            0);
    return calls;
  }
}
