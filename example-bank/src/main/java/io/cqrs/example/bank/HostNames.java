package io.cqrs.example.bank;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * What a server's host may be in a connection setting: a DNS host name (RFC 1123 labels of letters,
 * digits and inner '-', 1 to 63 characters each, 253 in all), an IPv4 address, or an IPv6 address
 * in brackets. Anything else, an '_' for instance, is refused rather than left for a client library
 * to misread.
 */
final class HostNames {
  private static final Pattern LABEL =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("\\[[0-9A-Fa-f:.]{2,45}]");

  private HostNames() {}

  /** Whether {@code host} is a host name, an IPv4 address or a bracketed IPv6 address. */
  static boolean isValid(String host) {
    if (IPV4.matcher(host).matches()) {
      for (String part : host.split("\\.")) {
        if (Integer.parseInt(part) > 255) {
          return false;
        }
      }
      return true;
    }
    if (IPV6.matcher(host).matches()) {
      return isIpv6(host.substring(1, host.length() - 1));
    }
    String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    if (name.isEmpty() || name.length() > 253) {
      return false;
    }
    for (String label : name.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return false;
      }
    }
    // A name of digits and dots only would be read as a (malformed) IPv4 address.
    return !name.matches("[0-9.]+");
  }

  /**
   * Whether {@code address} is an IPv6 literal. The JDK parses a bracketed literal itself and never
   * asks DNS about one; the pattern above has already kept out anything but hex digits, ':' and
   * '.'.
   */
  private static boolean isIpv6(String address) {
    try {
      InetAddress.getByName("[" + address + "]");
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
