package io.cqrs.couchbase;

import java.nio.charset.StandardCharsets;

/**
 * The keys of the relay's lease and checkpoint documents, under the repository's key prefix. Names
 * too long for a key are hashed, so any name works.
 */
final class RelayKeys {
  private final String prefix;

  RelayKeys(KeyLayout keys) {
    this.prefix = keys.prefix();
  }

  /** The lease document named {@code lease}. */
  String lease(String lease) {
    return key("::lease::", "::leaseh::", lease);
  }

  /** The checkpoint document named {@code name}. */
  String checkpoint(String name) {
    return key("::ckpt::", "::ckpth::", name);
  }

  private String key(String infix, String hashedInfix, String name) {
    String key = prefix + infix + name;
    return key.getBytes(StandardCharsets.UTF_8).length <= KeyLayout.MAX_KEY_BYTES
        ? key
        : prefix + hashedInfix + KeyLayout.sha256(name);
  }
}
