package com.couchbase.mock.memcached;

import com.couchbase.mock.memcached.protocol.BinaryCommand;
import com.couchbase.mock.memcached.protocol.BinaryResponse;
import com.couchbase.mock.memcached.protocol.ErrorCode;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;

/**
 * The memcached protocol's {@code GET_META} (opcode {@code 0xa0}) for CouchbaseMock 1.5.27, which
 * answers it with {@code UNKNOWN_COMMAND}. The Java SDK sends it for {@code Collection.exists}, a
 * cheaper probe than a get: on Couchbase Server it returns no document body, and a missing key is a
 * result ({@code exists() == false}), not an exception. {@code
 * io.cqrs.couchbase.mock.TcpNoDelayPatch} rewrites {@code MemcachedServer.execute} to ask {@link
 * #orGetMeta} for the executor of every command, after the mock's own authentication and failure
 * injection.
 *
 * <p>The response is Couchbase Server's: status {@code KEY_ENOENT} for a missing (or expired) key;
 * otherwise success with the document's CAS and extras of the deleted flag (always 0: the mock
 * keeps no tombstones), the flags, the expiry and a revision sequence number (always 1: the mock
 * keeps none), and the datatype byte when the request asked for version 2 of the extras (one extras
 * byte {@code 0x02}, as the SDK sends). The SDK reads only the deleted flag and the CAS.
 *
 * <p>In CouchbaseMock's package because its executor interface is package-private; it is part of
 * this module, not of CouchbaseMock.
 */
public final class CqrsGetMetaExecutor implements CommandExecutor {
  /** The memcached binary protocol's {@code GET_META} opcode. */
  public static final byte OPCODE = (byte) 0xa0;

  private static final byte RESPONSE_MAGIC = (byte) 0x81;
  private static final int HEADER = 24;
  private static final int EXTRAS_V1 = 20;
  private static final CqrsGetMetaExecutor INSTANCE = new CqrsGetMetaExecutor();

  private CqrsGetMetaExecutor() {}

  /**
   * This executor for a {@code GET_META} command, else {@code found}, the mock's own executor for
   * {@code command}.
   */
  static CommandExecutor orGetMeta(CommandExecutor found, BinaryCommand command) {
    return command.getOpcode() == OPCODE ? INSTANCE : found;
  }

  @Override
  public BinaryResponse execute(
      BinaryCommand command, MemcachedServer server, MemcachedConnection connection) {
    VBucketStore cache = server.getStorage().getCache(server, command.getVBucketId());
    Item item = cache.get(command.getKeySpec());
    if (item == null) {
      return new BinaryResponse(command, ErrorCode.KEY_ENOENT);
    }
    boolean withDatatype = asksForVersion2(command);
    int extras = EXTRAS_V1 + (withDatatype ? 1 : 0);
    ByteBuffer packet = ByteBuffer.allocate(HEADER + extras);
    packet.put(RESPONSE_MAGIC);
    packet.put(OPCODE);
    packet.putShort((short) 0); // key length
    packet.put((byte) extras);
    packet.put((byte) 0); // datatype of the (empty) value
    packet.putShort((short) 0); // status: success
    packet.putInt(extras); // body length
    packet.putInt(command.getOpaque());
    packet.putLong(item.getCas());
    packet.putInt(0); // deleted
    packet.putInt(item.getFlags());
    packet.putInt(item.getExpiryTime());
    packet.putLong(1L); // revision sequence number
    if (withDatatype) {
      packet.put(item.getDatatype());
    }
    packet.rewind();
    BinaryResponse response = new BinaryResponse(command, ErrorCode.SUCCESS);
    response.setBuffer(packet);
    return response;
  }

  /**
   * Whether the request's extras are the one byte {@code 0x02}. The body holds the extras, then the
   * key (the mock decodes it with the platform's charset, so it is encoded back with it here).
   */
  private static boolean asksForVersion2(BinaryCommand command) {
    byte[] body = command.getInputBuffer().array();
    String key = command.getKey();
    int keyBytes = key == null ? 0 : key.getBytes(Charset.defaultCharset()).length;
    return body.length - keyBytes == 1 && body[0] == 0x02;
  }
}
