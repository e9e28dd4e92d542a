package io.cqrs.example.bank;

/**
 * A server's {@code host[:port]} in a connection setting, checked: the host by {@link HostNames},
 * the port a number from 1 to 65535.
 */
record HostAndPort(String host, int port) {

  /**
   * Parses {@code authority}.
   *
   * @param defaultPort the port when none is given
   * @throws SettingException naming {@code setting} and what is wrong
   */
  static HostAndPort parse(String authority, String setting, int defaultPort) {
    String host = authority;
    String port = null;
    int colon = authority.lastIndexOf(':');
    // A colon inside the brackets of an IPv6 address is not the port's.
    if (colon >= 0 && colon > authority.lastIndexOf(']')) {
      host = authority.substring(0, colon);
      port = authority.substring(colon + 1);
    }
    if (host.isEmpty()) {
      throw new SettingException(setting, "has no host");
    }
    if (!HostNames.isValid(host)) {
      throw new SettingException(
          setting,
          "host '"
              + host
              + "' is not a valid host name (letters, digits, '-' and '.'; no '_') or IP address");
    }
    return new HostAndPort(host, port == null ? defaultPort : port(port, setting));
  }

  private static int port(String port, String setting) {
    if (!port.matches("\\d{1,9}")) {
      // Not quoted: without an '@', a mistyped "user:password" would be read as host and port.
      throw new SettingException(setting, "port is not a number");
    }
    int value = Integer.parseInt(port);
    if (value < 1 || value > 65_535) {
      throw new SettingException(setting, "port " + value + " is out of range 1 to 65535");
    }
    return value;
  }
}
