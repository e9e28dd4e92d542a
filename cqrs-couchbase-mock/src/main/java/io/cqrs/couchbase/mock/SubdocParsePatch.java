package io.cqrs.couchbase.mock;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;
import static net.bytebuddy.matcher.ElementMatchers.takesNoArguments;

import com.couchbase.mock.deps.com.google.gson.JsonElement;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.field.FieldDescription;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.matcher.ElementMatcher;
import net.bytebuddy.utility.OpenedClassReader;

/**
 * Stops CouchbaseMock from re-parsing a whole document, with a new parser, for every sub-document
 * spec it runs.
 *
 * <p>CouchbaseMock 1.5.27 runs each spec of a sub-document command through {@code
 * com.couchbase.mock.subdoc.Executor}, whose {@code parseStrictJson(String, Class)} first checks
 * the text with json-simple ({@code JSONValue.parseWithException}: a new parser, a 32 KB lexer
 * buffer and a throwaway tree) and then parses it again with gson. A lookup of five paths parses
 * the document ten times; a mutation of five paths parses five successive versions of it, each the
 * {@code String} the spec before produced with {@code Result.getNewDocString()}. In the Couchbase
 * benchmarks that, not the code under test, was most of the bytes allocated per operation.
 *
 * <p>{@link #apply} rewrites two classes, through {@link SubdocParseMemo}:
 *
 * <ul>
 *   <li>{@code Executor.parseStrictJson}: its json-simple check uses this thread's parser; a whole
 *       document parsed from a {@code String} this thread parsed (or wrote) last is answered from
 *       the memo (shared by lookups, taken over by a mutation), and a lookup's parse is remembered.
 *       The {@code Executor} constructor first tells the memo its operation.
 *   <li>{@code Result.getNewDocString()}: remembers a copy of the document it serializes as the
 *       parse of the string it returns, which the next spec of a multi-path mutation parses.
 * </ul>
 *
 * Responses stay byte for byte the same (the module's tests compare a patched and an unpatched mock
 * over the same requests). Like {@link TcpNoDelayPatch}, the rewritten classes are defined in the
 * mock's class loader and package before anything loads the originals, no java agent involved, and
 * the rewrite fails loudly, naming the class and method, when a patch point is not there as
 * CouchbaseMock 1.5.27 has it.
 */
final class SubdocParsePatch {
  static final String EXECUTOR = "com.couchbase.mock.subdoc.Executor";

  static final String PARSE = "parseStrictJson";

  /** The type of the third argument of the {@code Executor} constructor that parses. */
  static final String OPERATION = "com.couchbase.mock.subdoc.Operation";

  static final String RESULT = "com.couchbase.mock.subdoc.Result";

  static final String NEW_DOC_STRING = "getNewDocString";

  /** The field of {@code Result} that {@code getNewDocString()} serializes. */
  static final String DOCUMENT = "document";

  /** What a patched mock process prints before it starts; {@link CouchbaseMockProcess} checks. */
  static final String APPLIED =
      "[cqrs-couchbase-mock] sub-document parses memoised: "
          + EXECUTOR
          + "."
          + PARSE
          + "() and "
          + RESULT
          + "."
          + NEW_DOC_STRING
          + "() patched";

  /** A class of the sub-document package whose loading loads neither class to patch. */
  private static final String ANCHOR = "com.couchbase.mock.subdoc.SubdocException";

  private static final String JSON_SIMPLE = "com/couchbase/mock/deps/org/json/simple/JSONValue";

  private static final String GSON = "com/couchbase/mock/deps/com/google/gson/Gson";

  private static final String MEMO = SubdocParseMemo.class.getName().replace('.', '/');

  /** Completes "{@code type} was loaded before ..." when a class to patch was loaded unpatched. */
  private static final String MEMOISING = "it could be patched to memoise sub-document parses";

  private static final Map<ClassLoader, Boolean> PATCHED = new WeakHashMap<>();

  private SubdocParsePatch() {}

  /**
   * Defines the patched {@code Result} and {@code Executor} in the class loader that holds
   * CouchbaseMock for this class; a second call for the same loader does nothing.
   *
   * @throws IllegalStateException if CouchbaseMock is not on the class path, if a patch point is
   *     missing, if a class to patch is already loaded unpatched, or if the mock's class loader
   *     does not see {@link SubdocParseMemo}, which the rewritten classes call
   */
  static synchronized void apply() {
    Class<?> anchor = PatchPoints.anchor(ANCHOR);
    ClassLoader loader = anchor.getClassLoader();
    if (PATCHED.containsKey(loader)) {
      return;
    }
    PatchPoints.requireVisible(loader, SubdocParseMemo.class, EXECUTOR);
    ClassFileLocator classFiles = ClassFileLocator.ForClassLoader.of(loader);
    byte[] result = rewriteResult(classFiles);
    byte[] executor = rewriteExecutor(classFiles);
    PatchPoints.define(anchor, RESULT, result, MEMOISING);
    PatchPoints.define(anchor, EXECUTOR, executor, MEMOISING);
    PATCHED.put(loader, Boolean.TRUE);
  }

  /**
   * {@code Executor}'s class file, as {@code classFiles} holds it, with {@code parseStrictJson}
   * memoised and its json-simple parser reused.
   *
   * <p>The constructor that parses the document first tells {@link SubdocParseMemo#expect} its
   * operation, so that lookups share a remembered tree and mutations take it over.
   *
   * @throws IllegalStateException unless there is exactly one static {@code parseStrictJson(String,
   *     Class)} with exactly one {@code JSONValue.parseWithException(String)} and one {@code
   *     Gson.fromJson(JsonReader, Type)} call, and one constructor taking an {@code Operation}
   *     third of five arguments
   */
  static byte[] rewriteExecutor(ClassFileLocator classFiles) {
    ElementMatcher.Junction<MethodDescription> parse =
        named(PARSE)
            .and(isStatic())
            .and(takesArguments(String.class, Class.class))
            .and(returns(Object.class));
    ElementMatcher.Junction<MethodDescription> constructor =
        isConstructor().and(takesArguments(5)).and(takesArgument(2, named(OPERATION)));
    AtomicInteger methods = new AtomicInteger();
    AtomicInteger constructors = new AtomicInteger();
    AtomicInteger validations = new AtomicInteger();
    AtomicInteger parses = new AtomicInteger();
    byte[] patched =
        PatchPoints.redefine(
            PatchPoints.describe(classFiles, EXECUTOR),
            classFiles,
            new AsmVisitorWrapper.ForDeclaredMethods()
                .method(
                    parse,
                    PatchPoints.advised(
                        methods,
                        Advice.to(ParseAdvice.class),
                        visitor -> new ValidationRewriter(visitor, validations, parses)))
                .invokable(
                    constructor,
                    PatchPoints.advised(
                        constructors, Advice.to(ConstructorAdvice.class), visitor -> visitor)));
    String method = EXECUTOR + "." + PARSE + "(String, Class)";
    if (methods.get() != 1) {
      throw notFitting(method + " is missing");
    }
    if (validations.get() != 1 || parses.get() != 1) {
      throw notFitting(
          method
              + " has "
              + validations.get()
              + " calls to JSONValue.parseWithException(String) and "
              + parses.get()
              + " calls to Gson.fromJson(JsonReader, Type) where CouchbaseMock 1.5.27 has one of"
              + " each");
    }
    if (constructors.get() != 1) {
      throw notFitting(
          EXECUTOR
              + " has "
              + constructors.get()
              + " constructors (String, Path, Operation, String, boolean) where CouchbaseMock"
              + " 1.5.27 has one");
    }
    return patched;
  }

  /**
   * {@code Result}'s class file, as {@code classFiles} holds it, with {@code getNewDocString()}
   * remembering the document it serializes.
   *
   * @throws IllegalStateException unless {@code Result} has {@code String getNewDocString()} and a
   *     {@code JsonElement document} field
   */
  static byte[] rewriteResult(ClassFileLocator classFiles) {
    TypeDescription type = PatchPoints.describe(classFiles, RESULT);
    boolean hasDocument =
        type.getDeclaredFields().stream()
            .anyMatch(
                (FieldDescription.InDefinedShape field) ->
                    field.getName().equals(DOCUMENT)
                        && !field.isStatic()
                        && field
                            .getType()
                            .asErasure()
                            .getName()
                            .equals(JsonElement.class.getName()));
    if (!hasDocument) {
      throw notFitting(RESULT + " has no field JsonElement " + DOCUMENT);
    }
    AtomicInteger methods = new AtomicInteger();
    byte[] patched =
        PatchPoints.redefine(
            type,
            classFiles,
            new AsmVisitorWrapper.ForDeclaredMethods()
                .method(
                    named(NEW_DOC_STRING)
                        .and(takesNoArguments())
                        .and(returns(String.class))
                        .and(not(isStatic())),
                    PatchPoints.advised(
                        methods, Advice.to(NewDocStringAdvice.class), visitor -> visitor)));
    if (methods.get() != 1) {
      throw notFitting(RESULT + "." + NEW_DOC_STRING + "() is missing");
    }
    return patched;
  }

  private static IllegalStateException notFitting(String what) {
    return new IllegalStateException(
        what
            + ": the sub-document parse patch does not fit this CouchbaseMock, and without it the"
            + " mock's re-parsing, not the code under test, dominates what a benchmark allocates");
  }

  /**
   * Counts the two parses of {@code parseStrictJson} and sends its json-simple call to {@link
   * SubdocParseMemo#validate}, which has the same descriptor, so the stack stays as it was.
   */
  private static final class ValidationRewriter extends MethodVisitor {
    private final AtomicInteger validations;
    private final AtomicInteger parses;

    ValidationRewriter(MethodVisitor delegate, AtomicInteger validations, AtomicInteger parses) {
      super(OpenedClassReader.ASM_API, delegate);
      this.validations = validations;
      this.parses = parses;
    }

    @Override
    public void visitMethodInsn(
        int opcode, String owner, String name, String descriptor, boolean isInterface) {
      if (opcode == Opcodes.INVOKESTATIC
          && owner.equals(JSON_SIMPLE)
          && name.equals("parseWithException")
          && descriptor.equals("(Ljava/lang/String;)Ljava/lang/Object;")) {
        validations.incrementAndGet();
        super.visitMethodInsn(opcode, MEMO, "validate", descriptor, false);
        return;
      }
      if (opcode == Opcodes.INVOKEVIRTUAL
          && owner.equals(GSON)
          && name.equals("fromJson")
          && descriptor.equals(
              "(Lcom/couchbase/mock/deps/com/google/gson/stream/JsonReader;"
                  + "Ljava/lang/reflect/Type;)Ljava/lang/Object;")) {
        parses.incrementAndGet();
      }
      super.visitMethodInsn(opcode, owner, name, descriptor, isInterface);
    }
  }

  /**
   * Inlined at the start of {@code Executor(String input, Path path, Operation code, String
   * valueFragment, boolean shouldCreateParents)}, which parses {@code input} with {@code
   * parseStrictJson} once.
   */
  static final class ConstructorAdvice {
    private ConstructorAdvice() {}

    @Advice.OnMethodEnter
    static void enter(@Advice.Argument(2) Object operation) {
      SubdocParseMemo.expect(operation);
    }
  }

  /** Inlined into {@code Executor.parseStrictJson(String text, Class klass)}. */
  static final class ParseAdvice {
    private ParseAdvice() {}

    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
    static Object enter(@Advice.Argument(0) String text, @Advice.Argument(1) Class<?> type) {
      return SubdocParseMemo.cached(text, type);
    }

    /** Not run when the parse throws: failures are not remembered, so they repeat as before. */
    @Advice.OnMethodExit
    static void exit(
        @Advice.Argument(0) String text,
        @Advice.Argument(1) Class<?> type,
        @Advice.Enter Object cached,
        @Advice.Return(readOnly = false, typing = Assigner.Typing.DYNAMIC) Object parsed) {
      if (cached != null) {
        parsed = cached;
      } else {
        SubdocParseMemo.remember(text, type, parsed);
      }
    }
  }

  /** Inlined into {@code Result.getNewDocString()}. */
  static final class NewDocStringAdvice {
    private NewDocStringAdvice() {}

    @Advice.OnMethodExit
    static void exit(
        @Advice.Return String text, @Advice.FieldValue(DOCUMENT) JsonElement document) {
      SubdocParseMemo.rememberDocument(text, document);
    }
  }
}
