package com.couchbase.mock.memcached;

import com.couchbase.mock.Info;
import com.couchbase.mock.memcached.protocol.ErrorCode;

/**
 * Couchbase Server's document size limit for CouchbaseMock 1.5.27's multi-path sub-document
 * mutations, which store a document of any size: its single-path mutations and plain writes answer
 * {@code E2BIG} past {@link Info#itemSizeMax()} (20 MiB), but {@code mutateIn} with two or more
 * specs stored a 30 MiB document where the server refuses it. {@code
 * io.cqrs.couchbase.mock.ItemSizePatch} rewrites the mutation's store calls to these, which refuse
 * an item over the limit as the server does ({@code E2BIG}, the SDK's {@code
 * ValueTooLargeException}) and store nothing.
 *
 * <p>In CouchbaseMock's package beside the classes it serves; it is part of this module, not of
 * CouchbaseMock.
 */
public final class CqrsItemSize {
  private CqrsItemSize() {}

  /** {@link VBucketStore#add}, unless {@code item} is over the size limit. */
  public static MutationStatus add(VBucketStore store, Item item, boolean xerror) {
    return tooLarge(item) ? new MutationStatus(ErrorCode.E2BIG) : store.add(item, xerror);
  }

  /** {@link VBucketStore#replace}, unless {@code item} is over the size limit. */
  public static MutationStatus replace(VBucketStore store, Item item, boolean xerror) {
    return tooLarge(item) ? new MutationStatus(ErrorCode.E2BIG) : store.replace(item, xerror);
  }

  private static boolean tooLarge(Item item) {
    byte[] value = item.getValue();
    return value != null && value.length > Info.itemSizeMax();
  }
}
