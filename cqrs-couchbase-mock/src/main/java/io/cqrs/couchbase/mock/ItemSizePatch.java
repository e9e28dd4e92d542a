package io.cqrs.couchbase.mock;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesNoArguments;

import com.couchbase.mock.memcached.CqrsItemSize;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.utility.OpenedClassReader;

/**
 * Holds CouchbaseMock's multi-path sub-document mutations to Couchbase Server's document size limit
 * ({@link CqrsItemSize}): {@code SubdocMultiCommandExecutor$ExecutorContext.execute()} stores its
 * result with {@code VBucketStore.add} or {@code replace} without the size check the mock's other
 * writes make, so an append to an index at 20 MiB succeeded where the server refuses it, and what
 * cqrs does about a full document could not be tested.
 *
 * <p>{@link #apply} rewrites the two store calls of {@code execute()} into static calls to {@link
 * CqrsItemSize} (same arguments, receiver first), defined like the other patches in the mock's
 * class loader and package before anything loads the original, and fails loudly, naming the class
 * and method, unless each call is there exactly once as in CouchbaseMock 1.5.27.
 */
final class ItemSizePatch {
  static final String TYPE =
      "com.couchbase.mock.memcached.SubdocMultiCommandExecutor$ExecutorContext";

  static final String METHOD = "execute";

  private static final String STORE = "com/couchbase/mock/memcached/VBucketStore";

  private static final String STORE_DESCRIPTOR =
      "(Lcom/couchbase/mock/memcached/Item;Z)Lcom/couchbase/mock/memcached/MutationStatus;";

  private static final String CHECKED = CqrsItemSize.class.getName().replace('.', '/');

  private static final String CHECKED_DESCRIPTOR =
      "(L" + STORE + ";" + STORE_DESCRIPTOR.substring(1);

  /** What a patched mock process prints before it starts; {@link CouchbaseMockProcess} checks. */
  static final String APPLIED =
      "[cqrs-couchbase-mock] document size limit on multi-path mutations: "
          + TYPE
          + "."
          + METHOD
          + "() patched";

  /** A class of the mock's package whose loading loads no class to patch. */
  private static final String ANCHOR = "com.couchbase.mock.memcached.CompressionMode";

  private static final Map<ClassLoader, Boolean> PATCHED = new WeakHashMap<>();

  private ItemSizePatch() {}

  /**
   * Defines the patched class in the class loader that holds CouchbaseMock for this class; a second
   * call for the same loader does nothing.
   *
   * @throws IllegalStateException if CouchbaseMock is not on the class path, if the patch points
   *     are not there as expected, or if the class is already loaded unpatched
   */
  static synchronized void apply() {
    Class<?> anchor = PatchPoints.anchor(ANCHOR);
    ClassLoader loader = anchor.getClassLoader();
    if (PATCHED.containsKey(loader)) {
      return;
    }
    PatchPoints.requireVisible(loader, CqrsItemSize.class, TYPE);
    byte[] patched = rewrite(ClassFileLocator.ForClassLoader.of(loader));
    PatchPoints.define(
        anchor, TYPE, patched, "its " + METHOD + "() could be held to the document size limit");
    PATCHED.put(loader, Boolean.TRUE);
  }

  /**
   * The class file of {@code ExecutorContext}, as {@code classFiles} holds it, with {@code
   * execute()}'s {@code VBucketStore.add} and {@code replace} calls going through {@link
   * CqrsItemSize}.
   *
   * @throws IllegalStateException unless {@code execute()} has exactly one call of each
   */
  static byte[] rewrite(ClassFileLocator classFiles) {
    AtomicInteger adds = new AtomicInteger();
    AtomicInteger replaces = new AtomicInteger();
    byte[] patched =
        PatchPoints.redefine(
            PatchPoints.describe(classFiles, TYPE),
            classFiles,
            new AsmVisitorWrapper.ForDeclaredMethods()
                .method(
                    named(METHOD).and(takesNoArguments()),
                    PatchPoints.rewritten(visitor -> new StoreRewriter(visitor, adds, replaces))));
    if (adds.get() != 1 || replaces.get() != 1) {
      throw new IllegalStateException(
          TYPE
              + "."
              + METHOD
              + "() has "
              + adds.get()
              + " calls to VBucketStore.add(Item, boolean) and "
              + replaces.get()
              + " to VBucketStore.replace(Item, boolean) where CouchbaseMock 1.5.27 has one of"
              + " each: the document size patch does not fit this CouchbaseMock, and without it"
              + " a multi-path mutation stores documents over Couchbase's 20 MiB limit");
    }
    return patched;
  }

  /** Turns {@code store.add(item, x)} and {@code store.replace(item, x)} into the checked ones. */
  private static final class StoreRewriter extends MethodVisitor {
    private final AtomicInteger adds;
    private final AtomicInteger replaces;

    StoreRewriter(MethodVisitor delegate, AtomicInteger adds, AtomicInteger replaces) {
      super(OpenedClassReader.ASM_API, delegate);
      this.adds = adds;
      this.replaces = replaces;
    }

    @Override
    public void visitMethodInsn(
        int opcode, String owner, String name, String descriptor, boolean isInterface) {
      if (opcode == Opcodes.INVOKEVIRTUAL
          && owner.equals(STORE)
          && descriptor.equals(STORE_DESCRIPTOR)
          && (name.equals("add") || name.equals("replace"))) {
        (name.equals("add") ? adds : replaces).incrementAndGet();
        super.visitMethodInsn(Opcodes.INVOKESTATIC, CHECKED, name, CHECKED_DESCRIPTOR, false);
        return;
      }
      super.visitMethodInsn(opcode, owner, name, descriptor, isInterface);
    }
  }
}
